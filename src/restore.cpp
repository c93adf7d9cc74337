// src/restore.cpp — the restore pipeline (include/pixelart/restore.h): lattice, canonical input,
// the network in batches and tiles, refinement.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

#include "pixelart/autograd.h"
#include "pixelart/postprocess.h"
#include "pixelart/restore.h"

namespace pixelart {
namespace {

constexpr double kChromaSnapPitch = 6, kChromaSnapNoise = 0.5 / 255;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The restorer over n same-sized canonical inputs ([n, H, W, 4] floats in [0, 1] on the host):
// [n, H/scale, W/scale, 4] on the host.
std::vector<float> forward_batch(const Restorer& model, const std::vector<float>& x, int n, int H, int W, Device dev) {
  Tensor t = Tensor::empty({n, H, W, 4}, DType::F32, Device::CPU);
  std::memcpy(t.data<float>(), x.data(), x.size() * sizeof(float));
  if (dev != Device::CPU) t = t.to(dev);
  NoGradGuard ng;
  Tensor y = model.forward(t);
  if (dev != Device::CPU) y = y.to(Device::CPU);
  const float* p = y.data<float>();
  return std::vector<float>(p, p + y.numel());
}

std::vector<float> as_values(const Sprite& s) {
  std::vector<float> v(s.rgba.size());
  for (size_t k = 0; k < v.size(); ++k) v[k] = s.rgba[k] * (1.f / 255.f);
  return v;
}

// One large canonical input in tiles: each tile's core (its cells less the overlap) is taken from
// a pass over the tile widened by `reach` cells on each side, so every output cell sees all the
// input it would see in one pass.
std::vector<double> forward_tiled(const Restorer& model, const Sprite& in, int tile, Device dev) {
  const int s = model.config().scale(), CW = in.width / s, CH = in.height / s;
  const int reach = restorer_reach_cells(model.config());
  const int core = std::max(1, tile - 2 * reach);
  std::vector<double> y(size_t(CW) * CH * 4);
  for (int ty = 0; ty < CH; ty += core)
    for (int tx = 0; tx < CW; tx += core) {
      const int y0 = std::max(0, ty - reach), y1 = std::min(CH, ty + core + reach);
      const int x0 = std::max(0, tx - reach), x1 = std::min(CW, tx + core + reach);
      const int h = (y1 - y0) * s, w = (x1 - x0) * s;
      std::vector<float> x(size_t(h) * w * 4);
      for (int r = 0; r < h; ++r)
        for (int c = 0; c < w * 4; ++c) x[size_t(r) * w * 4 + size_t(c)] = in.rgba[(size_t(y0 * s + r) * in.width + size_t(x0 * s)) * 4 + size_t(c)] * (1.f / 255.f);
      const std::vector<float> out = forward_batch(model, x, 1, h, w, dev);
      for (int r = ty; r < std::min(CH, ty + core); ++r)
        for (int c = tx; c < std::min(CW, tx + core); ++c)
          for (int k = 0; k < 4; ++k) y[(size_t(r) * CW + c) * 4 + size_t(k)] = out[(size_t(r - y0) * (x1 - x0) + size_t(c - x0)) * 4 + size_t(k)];
    }
  return y;
}

}  // namespace

int restorer_reach_cells(const RestorerConfig& cfg) {
  // the encoder's receptive field is 1 + 2 (2^depth - 1) input pixels, centred on a cell of
  // 2^depth: it reaches 2^depth / 2 - 1/2 pixels past the cell, under one cell; one more for the
  // zero padding's own reach, and each context layer one cell further
  return 2 + cfg.context;
}

RestoreJob prepare_restore(const Sprite& img, const RestoreOptions& o, int scale) {
  const auto t0 = std::chrono::steady_clock::now();
  RestoreJob job;
  job.lattice = find_lattice(img, o.hints);
  // A flat or checkerboard background the image surely has becomes transparent: the network then
  // sees what a sprite with its mask looks like, and refinement's mask rule settles those cells.
  Sprite cleared;
  if (o.clear_background && job.lattice.found) {
    Background bg = find_background(img, 0.1, kRestoreNoiseScale);
    if (!bg.clear() && o.clear_smooth_background) bg = find_smooth_background(img, job.lattice);
    if (bg.clear()) {
      cleared = img;
      for (size_t p = 0; p < bg.mask.size(); ++p)
        if (bg.mask[p]) std::fill(cleared.rgba.begin() + long(p * 4), cleared.rgba.begin() + long(p * 4 + 4), uint8_t(0));
      job.background = bg.smooth ? -1 : bg.colours;
    }
  }
  if (!job.lattice.found) {
    job.error = job.lattice.why + " (give --scale or --size if it is pixel art)";
  } else if (job.lattice.x.cells > o.max_cells || job.lattice.y.cells > o.max_cells) {
    job.error = "the pixel grid found (" + job.lattice.describe() + ") is larger than " + std::to_string(o.max_cells) +
                " cells on a side; give --scale or --size if that is wrong";
  } else {
    job.canonical = resample_to_lattice(cleared.rgba.empty() ? img : cleared, job.lattice, scale);
    if (!cleared.rgba.empty()) job.colours = resample_to_lattice(img, job.lattice, scale);
  }
  job.seconds = seconds_since(t0);
  return job;
}

void run_restorer(const Restorer& model, const std::vector<RestoreJob*>& jobs, Device dev, int tile_cells) {
  const int s = model.config().scale();
  std::map<std::pair<int, int>, std::vector<RestoreJob*>> by_size;
  for (RestoreJob* j : jobs)
    if (j->ok()) by_size[{j->canonical.width, j->canonical.height}].push_back(j);
  for (auto& [dims, group] : by_size) {
    const auto [W, H] = dims;
    if (W / s > tile_cells || H / s > tile_cells) {
      for (RestoreJob* j : group) {
        const auto t1 = std::chrono::steady_clock::now();
        j->y = forward_tiled(model, j->canonical, tile_cells, dev);
        j->seconds += seconds_since(t1);
      }
      continue;
    }
    // a forward pass holds at most about 4 Mpx of input on the CPU, 16 Mpx on a GPU (256 inputs of
    // 256 x 256), whatever the batch: the activations of large images grow with it
    const size_t per = size_t(W) * H * 4, out = per / size_t(s * s);
    const size_t most = dev == Device::CUDA ? size_t(1) << 24 : size_t(1) << 22;
    const size_t chunk = std::max<size_t>(1, most / (size_t(W) * H));
    for (size_t c0 = 0; c0 < group.size(); c0 += chunk) {
      const size_t c1 = std::min(group.size(), c0 + chunk);
      const auto t1 = std::chrono::steady_clock::now();
      std::vector<float> x((c1 - c0) * per);
      for (size_t i = c0; i < c1; ++i) {
        const std::vector<float> v = as_values(group[i]->canonical);
        std::copy(v.begin(), v.end(), x.begin() + long((i - c0) * per));
      }
      const std::vector<float> y = forward_batch(model, x, int(c1 - c0), H, W, dev);
      const double share = seconds_since(t1) / double(c1 - c0);
      for (size_t i = c0; i < c1; ++i) {
        group[i]->y.assign(y.begin() + long((i - c0) * out), y.begin() + long((i - c0 + 1) * out));
        group[i]->seconds += share;
      }
    }
  }
}

void finish_restore(RestoreJob& job, const RestoreOptions& o, int scale, bool keep_input) {
  if (!job.ok()) return;
  const auto t0 = std::chrono::steady_clock::now();
  const int w = job.lattice.x.cells, h = job.lattice.y.cells;
  if (o.refine) {
    // Where a background was cleared the network has decided which of its cells are sprite (as it
    // was trained to: a sprite's pixels of the background's colour are cleared with it), so the
    // colours come from the image before clearing, and its mask is not the input's to impose.
    const Sprite& from = job.colours.rgba.empty() ? job.canonical : job.colours;
    std::vector<double> x(from.rgba.size());
    for (size_t k = 0; k < x.size(); ++k) x[k] = from.rgba[k] / 255.0;
    refine_colours(job.y, x, 1, h, w, scale);
    // JPEG's chroma at a few pixels per sprite pixel (postprocess.h)
    if (std::min(job.lattice.x.pitch, job.lattice.y.pitch) < kChromaSnapPitch && cell_noise(job.y, x, h, w, scale) >= kChromaSnapNoise)
      snap_boundary_chroma(job.y, h, w);
  }
  job.sprite = output_sprite(job.y, 0, h, w);
  snap_palette(job.sprite, o.palette);
  if (!keep_input) job.canonical = job.colours = Sprite{};
  job.seconds += seconds_since(t0);
}

int64_t restore_memory_bytes(const RestoreJob& job) {
  return int64_t(job.lattice.x.cells) * job.lattice.y.cells * 20 * 1024;
}

RestoreJob restore_image(const Restorer& model, const Sprite& img, const RestoreOptions& o, Device dev) {
  const int s = model.config().scale();
  RestoreJob job = prepare_restore(img, o, s);
  std::vector<RestoreJob*> one{&job};
  run_restorer(model, one, dev);
  finish_restore(job, o, s);
  return job;
}

}  // namespace pixelart
