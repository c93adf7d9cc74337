// src/upscaler.cpp — the SRCNN-style upscaler (include/pixelart/upscaler.h).
#include <algorithm>
#include <array>
#include <cstring>
#include <cmath>
#include <numeric>
#include <sstream>

#include "internal.h"
#include "pixelart/ops.h"
#include "pixelart/upscaler.h"
#include "rng.h"
#include "synth_ops.h"

namespace pixelart {

int UpscalerConfig::margin() const {
  int m = 0;
  for (int k : kernels) m += (k - 1) / 2;
  return m * unshuffle;
}

double UpscalerConfig::forward_flops(int size) const {
  const int io = channels * unshuffle * unshuffle;  // the blocks' channels, in and out
  double flops = 0;
  int cin = io, hw = size / unshuffle;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const int cout = i < filters.size() ? filters[i] : io;
    hw -= kernels[i] - 1;
    flops += 2.0 * hw * hw * cout * cin * kernels[i] * kernels[i];
    cin = cout;
  }
  return flops;
}

std::string UpscalerConfig::describe() const {
  std::ostringstream os;
  auto width = [&](size_t i) { return i < filters.size() ? filters[i] : channels * unshuffle * unshuffle; };
  if (unshuffle > 1) os << unshuffle << "x" << unshuffle << ":";
  for (size_t i = 0; i < kernels.size();) {
    size_t n = 1;  // a run of equal convolutions is written once with its count: 32@3x15
    while (i + n < kernels.size() && width(i + n) == width(i) && kernels[i + n] == kernels[i]) ++n;
    os << (i ? "-" : "") << width(i) << "@" << kernels[i];
    if (n > 1) os << "x" << n;
    i += n;
  }
  return os.str();
}

void UpscalerConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("upscaler: " + what, ErrorKind::Usage);
  };
  need(!filters.empty() && filters.size() <= 32, "--filters needs 1 to 32 widths");
  need(kernels.size() == filters.size() + 1,
       "--kernels needs one size per convolution: " + std::to_string(filters.size() + 1) + " for " +
           std::to_string(filters.size()) + " filters (the last convolution goes back to the channels), got " +
           std::to_string(kernels.size()));
  for (int k : kernels)
    need(k >= 1 && k <= 15 && k % 2 == 1,
         "kernel size " + std::to_string(k) + " cannot keep output and target aligned: sizes must be odd (1..15)");
  for (int f : filters) need(f >= 1 && f <= 1024, "--filters entries must be in 1..1024");
  need(channels == 3 || channels == 4, "channels must be 3 or 4");
  need(unshuffle >= 1 && unshuffle <= 4, "--unshuffle must be 1 (pixels), 2, 3 or 4 (blocks of S x S pixels)");
}

std::vector<ParamSpec> UpscalerConfig::param_specs() const {
  validate();
  std::vector<ParamSpec> specs;
  const int io = channels * unshuffle * unshuffle;  // channels of the blocks in and out
  int cin = io;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const int cout = i < filters.size() ? filters[i] : io;
    specs.push_back({"conv" + std::to_string(i) + ".weight", {cout, kernels[i], kernels[i], cin}, true});
    cin = cout;
  }
  for (size_t i = 0; i < kernels.size(); ++i)
    specs.push_back({"conv" + std::to_string(i) + ".bias", {i < filters.size() ? filters[i] : io}, false});
  return specs;
}

Upscaler::Upscaler(const UpscalerConfig& cfg, uint64_t seed, DType dtype, Device dev) : cfg_(cfg) {
  ParamArena host(cfg.param_specs(), DType::F64, Device::CPU);
  for (size_t i = 0; i < host.size(); ++i) {
    const ParamSpec& s = host.spec(i);
    if (!s.decay) continue;
    const int64_t fan_in = shape_numel(s.shape) / s.shape[0];
    const bool last = s.name == "conv" + std::to_string(cfg.kernels.size() - 1) + ".weight";
    // The last layer starts at zero, so an untrained upscaler is exactly plain bicubic (the residual
    // branch adds nothing) and training only ever improves on it; its gradient, the features times
    // the error, is not zero, and the layers before it learn once it has moved. (Before 2026-11-21's
    // upscalers it started uniform in +-0.1 sqrt(3 / fan_in): 3.3 dB worse than bicubic untrained, for the
    // shipped shape.) The others: He-uniform for the ReLUs.
    const double bound = last ? 0.0 : std::sqrt(6.0 / double(fan_in));
    double* p = host.param(i).data<double>();
    for (int64_t k = 0; k < shape_numel(s.shape); ++k) p[k] = bound * (2.0 * kernels::uniform01(seed, i, uint64_t(k)) - 1.0);
  }
  arena_ = dtype == DType::F64 ? host : host.to(dtype);
  if (dev != Device::CPU) arena_ = arena_.to(dev);
}

Upscaler::Upscaler(const UpscalerConfig& cfg, ParamArena arena) : cfg_(cfg), arena_(std::move(arena)) {
  for (const ParamSpec& s : cfg.param_specs())
    PA_CHECK(arena_.param(s.name).shape() == s.shape, "upscaler: parameter " << s.name << " is "
                                                           << arena_.param(s.name).describe() << ", expected " << shape_str(s.shape));
}

Tensor Upscaler::forward(const Tensor& x) const {
  detail::check_rank("upscaler", "input", x, 4);
  PA_CHECK(x.size(3) == cfg_.channels, "upscaler: input " << x.describe() << " has " << x.size(3) << " channels, expected " << cfg_.channels);
  PA_CHECK(x.size(1) > 2 * cfg_.margin() && x.size(2) > 2 * cfg_.margin(),
           "upscaler " << cfg_.describe() << ": input " << x.describe() << " is smaller than its receptive field ("
                       << 2 * cfg_.margin() + 1 << " px)");
  const int S = cfg_.unshuffle;
  Tensor h = S > 1 ? pixel_unshuffle(x, S) : x;  // refuses sizes that are not whole blocks
  const size_t n = cfg_.kernels.size();
  for (size_t i = 0; i < n; ++i) {
    const std::string p = "conv" + std::to_string(i);
    h = conv2d(h, arena_.param(p + ".weight"), arena_.param(p + ".bias"), {0, i + 1 < n, impl_, precision_});
  }
  if (S > 1) h = pixel_shuffle(h, S);
  // The network refines the interpolation: it predicts a correction to the input's centre.
  return add_center_crop(h, x);
}

namespace {
// Where the interpolated input is flat over an output pixel's whole receptive field, nothing the
// network sees says it should change there, so the output keeps the input: where the alpha is
// flat (an opaque image, the inside of a sprite, empty background) that alpha exactly (and a
// transparent pixel keeps no colour); where all four channels are flat (a field of one colour)
// the colour too. Without this, the network's small corrections put noise into the alpha of
// opaque images (46 dB, about one level) and a bias of about one level into flat colour, which
// breaks the palette of flat pixel art.
//   pad: the interpolated premultiplied image with its border replicated by m; out: the result.
//   S: the block size (unshuffle): output pixel x sees pad columns S*(x/S) .. S*(x/S) + 2m + S - 1.
//   kept: per output pixel, kKeptAlpha and kKeptColour where it kept them (for back_project).
constexpr uint8_t kKeptAlpha = 1, kKeptColour = 2;
void keep_flat(const Tensor& pad, int m, int S, Tensor* out, std::vector<uint8_t>* kept) {
  const int64_t PH = pad.size(1), PW = pad.size(2), H = out->size(1), W = out->size(2), L = 2 * m + S;
  const float* s = pad.data<float>();
  std::vector<float> lo(size_t(PH * W * 4)), hi(size_t(PH * W * 4));
#pragma omp parallel for schedule(static)
  for (int64_t y = 0; y < PH; ++y)  // per channel, min and max over the L columns, then over the L rows
    for (int64_t x = 0; x < W; ++x)
      for (int c = 0; c < 4; ++c) {
        float a = 2, b = -1;
        const int64_t x0 = x / S * S;
        for (int64_t k = 0; k < L; ++k) a = std::min(a, s[(y * PW + x0 + k) * 4 + c]), b = std::max(b, s[(y * PW + x0 + k) * 4 + c]);
        lo[size_t((y * W + x) * 4 + c)] = a, hi[size_t((y * W + x) * 4 + c)] = b;
      }
  float* o = out->data<float>();
  kept->assign(size_t(H * W), 0);
#pragma omp parallel for schedule(static)
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      float a[4] = {2, 2, 2, 2}, b[4] = {-1, -1, -1, -1};
      const int64_t y0 = y / S * S;
      for (int64_t k = 0; k < L; ++k)
        for (int c = 0; c < 4; ++c)
          a[c] = std::min(a[c], lo[size_t(((y0 + k) * W + x) * 4 + c)]), b[c] = std::max(b[c], hi[size_t(((y0 + k) * W + x) * 4 + c)]);
      if (b[3] - a[3] > 1e-5f) continue;
      float* px = o + (y * W + x) * 4;
      const float alpha = std::clamp((a[3] + b[3]) / 2, 0.f, 1.f);
      px[3] = alpha < 1e-5f ? 0.f : alpha > 1 - 1e-5f ? 1.f : alpha;
      uint8_t& k = (*kept)[size_t(y * W + x)];
      k = kKeptAlpha;
      if (px[3] == 0.f) {
        px[0] = px[1] = px[2] = 0.f;
        k |= kKeptColour;
      } else if (b[0] - a[0] <= 1e-5f && b[1] - a[1] <= 1e-5f && b[2] - a[2] <= 1e-5f) {
        for (int c = 0; c < 3; ++c) px[c] = std::clamp((a[c] + b[c]) / 2, 0.f, px[3]);  // premultiplied: at most alpha
        k |= kKeptColour;
      }
    }
}

// Back-projection (Irani & Peleg's constraint): at a whole factor f, each f x f block of the
// output (the top left h f x w f of out, which may be wider and taller: whole --unshuffle blocks)
// is moved so that its mean is the input pixel it came from (src
// [1, h, w, 4], premultiplied), i.e. the output shrunk by area averaging gives the input back.
// Alpha always; colour where the input pixel is opaque or empty. (Under a partly transparent pixel
// the constraint depends on how the input was shrunk: averaging premultiplied colour, as this
// program does, or straight colour, as OpenCV and most tools do; they agree only where the alpha is
// uniform. Projecting premultiplied colour there too cost Teeworlds' soft-edged clouds up to 1.2 dB
// at x2 under eval-upscale, which shrinks straight colour.)
// Per block and channel, the pixels keep_flat left to the network (kept values stay exact) all
// move by one shift d, clamped to what premultiplied RGBA can hold (alpha in [0, 1], then colour in
// [0, alpha]): mean(clamp(x + d)) = input, found by bisection (it is monotone in d) unless the plain
// shift stays within the bounds. That is the nearest point, in squared error, with the right block
// mean inside the bounds; where the input is itself an area-averaged shrink, the true image is such
// a point, so the output only comes closer to it.
void back_project(const Tensor& src, int f, const std::vector<uint8_t>& kept, Tensor* out) {
  const int64_t h = src.size(1), w = src.size(2), W = out->size(2);  // W: out's and kept's row stride
  const float* y = src.data<float>();
  float* o = out->data<float>();
#pragma omp parallel for schedule(static)
  for (int64_t by = 0; by < h; ++by)
    for (int64_t bx = 0; bx < w; ++bx)
      for (int c : {3, 0, 1, 2}) {  // alpha first: it bounds the colour
        const float alpha = y[(by * w + bx) * 4 + 3];
        if (c != 3 && alpha > 0.f && alpha < 1.f) continue;  // see above: colour only where opaque (or empty)
        const uint8_t mask = c == 3 ? kKeptAlpha : kKeptColour;
        std::array<float*, 64> free;  // the block's values left to the network (f <= 8)
        int n = 0;
        double target = double(y[(by * w + bx) * 4 + c]) * f * f, sum = 0;
        for (int64_t j = by * f; j < (by + 1) * f; ++j)
          for (int64_t i = bx * f; i < (bx + 1) * f; ++i) {
            float* v = o + (j * W + i) * 4 + c;
            if (kept[size_t(j * W + i)] & mask) target -= *v;
            else free[size_t(n++)] = v, sum += *v;
          }
        if (n == 0) continue;
        // the upper bound of a value: 1 for alpha, the pixel's alpha for premultiplied colour
        auto top = [&](const float* v) { return c == 3 ? 1.0 : double(v[3 - c]); };
        auto shifted = [&](const float* v, double d) { return std::clamp(double(*v) + d, 0.0, top(v)); };
        double d = (target - sum) / n;
        bool inside = true;  // the common case: the plain shift stays within the bounds
        for (int k = 0; k < n; ++k) inside = inside && shifted(free[size_t(k)], d) == double(*free[size_t(k)]) + d;
        if (!inside) {
          double lo = -2, hi = 2;  // the total at -2 is 0 and at 2 the most the bounds allow
          for (int it = 0; it < 40; ++it) {
            double t = 0;
            for (int k = 0; k < n; ++k) t += shifted(free[size_t(k)], (lo + hi) / 2);
            (t < target ? lo : hi) = (lo + hi) / 2;
          }
          d = (lo + hi) / 2;
        }
        for (int k = 0; k < n; ++k) *free[size_t(k)] = float(shifted(free[size_t(k)], d));
      }
}

// One of the eight flips and transposes of an image [1, h, w, 4]: bit 2 transposes, then bit 0
// flips x and bit 1 flips y; `inverse` undoes the same transform. Resampling by a factor, the
// border replication and valid convolutions all commute with these, so the ensemble averages
// eight honest views of the same image.
Tensor dihedral(const Tensor& src, int t, bool inverse) {
  const int64_t h = src.size(1), w = src.size(2);
  const bool tr = t & 4, fx = t & 1, fy = t & 2;
  const int64_t H = tr ? w : h, W = tr ? h : w;
  Tensor dst = Tensor::empty({1, H, W, 4});
  const float* s = src.data<float>();
  float* d = dst.data<float>();
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      int64_t sy, sx;
      if (!inverse) {  // dst = flips(transpose(src)); here H x W are the transformed dims
        const int64_t y1 = fy ? H - 1 - y : y, x1 = fx ? W - 1 - x : x;
        sy = tr ? x1 : y1, sx = tr ? y1 : x1;
      } else {  // src = flips(transpose(dst)); h x w are the transformed dims
        const int64_t y1 = tr ? x : y, x1 = tr ? y : x;
        sy = fy ? h - 1 - y1 : y1, sx = fx ? w - 1 - x1 : x1;
      }
      std::copy(s + (sy * w + sx) * 4, s + (sy * w + sx) * 4 + 4, d + (y * W + x) * 4);
    }
  return dst;
}
}  // namespace

// The network over `pad` [1, H + 2m, W + 2m, 4] in tiles of up to `tile` output pixels; each input
// tile carries the margin, so the seams are exact. Returns [1, H, W, 4] on the host.
Tensor Upscaler::run_tiles(const Tensor& pad, int64_t H, int64_t W, int tile,
                           const std::function<void(size_t, size_t)>& on_batch) const {
  const int m = cfg_.margin();
  const int64_t PW = W + 2 * m;
  const Device dev = arena_.device();
  const int S = cfg_.unshuffle;  // H, W are multiples of S; tiles and their origins are too, so the
                                  // blocks of every tile are the blocks of the whole image
  const int64_t th = std::min<int64_t>(tile / S * S, H), tw = std::min<int64_t>(tile / S * S, W);
  std::vector<std::pair<int64_t, int64_t>> origins;
  for (int64_t y0 = 0; y0 < H; y0 += th)
    for (int64_t x0 = 0; x0 < W; x0 += tw) origins.emplace_back(std::min(y0, H - th), std::min(x0, W - tw));
  Tensor out = Tensor::empty({1, H, W, 4});
  const int64_t batch = 16;
  for (size_t b = 0; b < origins.size(); b += batch) {
    const int64_t nb = std::min<int64_t>(batch, int64_t(origins.size() - b));
    Tensor tiles = Tensor::empty({nb, th + 2 * m, tw + 2 * m, 4});
    for (int64_t i = 0; i < nb; ++i) {
      const auto [y0, x0] = origins[b + size_t(i)];
      for (int64_t y = 0; y < th + 2 * m; ++y)
        std::copy(pad.data<float>() + ((y0 + y) * PW + x0) * 4, pad.data<float>() + ((y0 + y) * PW + x0 + tw + 2 * m) * 4,
                  tiles.data<float>() + ((i * (th + 2 * m) + y) * (tw + 2 * m)) * 4);
    }
    Tensor y;
    {
      NoGradGuard ng;
      y = forward(tiles.to(dev)).to(Device::CPU);
    }
    for (int64_t i = 0; i < nb; ++i) {
      const auto [y0, x0] = origins[b + size_t(i)];
      for (int64_t r = 0; r < th; ++r)
        std::copy(y.data<float>() + ((i * th + r) * tw) * 4, y.data<float>() + ((i * th + r) * tw + tw) * 4,
                  out.data<float>() + ((y0 + r) * W + x0) * 4);
    }
    if (on_batch) on_batch(b + size_t(nb), origins.size());
  }
  return out;
}

Sprite Upscaler::upscale(const Sprite& img, double factor, const UpscaleOptions& opt) const {
  PA_CHECK(factor >= 1.0 && factor <= 8.0, "upscale: factor " << factor << " must be in [1, 8]");
  PA_CHECK(opt.passes >= 1 && opt.passes <= 8, "upscale: passes " << opt.passes << " must be in 1..8");
  PA_CHECK(cfg_.channels == 4, "upscale: this model has " << cfg_.channels << " channels; RGBA images need 4");
  const int m = cfg_.margin();
  const int tile = std::max(opt.tile, 16);
  const int whole = factor == std::floor(factor) && factor >= 2 ? int(factor) : 0;  // back-projection's factor
  // straight RGBA in [0, 1], as one image [1, h, w, 4] on the host
  std::vector<double> v(img.rgba.size());
  for (size_t k = 0; k < v.size(); ++k) v[k] = img.rgba[k] / 255.0;
  Tensor cur = Tensor::from_vector(v, {1, img.height, img.width, 4});
  // Progress: the work of a pass is about its output's area, each of the ensemble's runs alike.
  auto pass_size = [factor](int64_t n) { return std::max<int64_t>(1, std::llround(double(n) * factor)); };
  std::vector<double> pass_work;
  for (int64_t h = img.height, w = img.width; int(pass_work.size()) < opt.passes;)
    h = pass_size(h), w = pass_size(w), pass_work.push_back(double(h) * double(w));
  const double total_work = std::accumulate(pass_work.begin(), pass_work.end(), 0.0);
  double work_done = 0;
  for (int pass = 0; pass < opt.passes; ++pass) {
    const int64_t H = pass_size(cur.size(1)), W = pass_size(cur.size(2));
    const int runs = opt.ensemble ? 8 : 1;
    int run = 0;  // of the ensemble's eight
    const auto on_batch = [&](size_t done, size_t tiles) {
      if (opt.progress)
        opt.progress((work_done + pass_work[size_t(pass)] * (double(run) + double(done) / double(tiles)) / runs) / total_work);
    };
    // premultiply, then interpolate: resampling straight RGBA would pull the hidden colour of
    // transparent pixels into the edges
    const Tensor pm = premultiply(cur);
    Tensor up = factor == 1.0 ? pm : resize_images(pm, H, W, ResizeFilter::Bicubic);
    // replicate the border by the margin, so the output keeps the interpolated size; with
    // --unshuffle S also the bottom and right up to whole blocks (HS x WS, cropped after)
    const int S = cfg_.unshuffle;
    const int64_t HS = (H + S - 1) / S * S, WS = (W + S - 1) / S * S;
    const int64_t PH = HS + 2 * m, PW = WS + 2 * m;
    Tensor pad = Tensor::empty({1, PH, PW, 4});
    {
      const float* s = up.data<float>();
      float* d = pad.data<float>();
      for (int64_t y = 0; y < PH; ++y)
        for (int64_t x = 0; x < PW; ++x) {
          const int64_t sy = std::clamp<int64_t>(y - m, 0, H - 1), sx = std::clamp<int64_t>(x - m, 0, W - 1);
          std::copy(s + (sy * W + sx) * 4, s + (sy * W + sx) * 4 + 4, d + (y * PW + x) * 4);
        }
    }
    Tensor out;
    if (!opt.ensemble) {
      out = run_tiles(pad, HS, WS, tile, on_batch);
    } else {  // the mean over the eight flips and transposes, each undone on the output
      out = Tensor::zeros({1, HS, WS, 4});
      for (int t = 0; t < 8; ++t, ++run) {
        const Tensor o = dihedral(run_tiles(dihedral(pad, t, false), t & 4 ? WS : HS, t & 4 ? HS : WS, tile, on_batch), t, true);
        float* d = out.data<float>();
        const float* q = o.data<float>();
        for (int64_t k = 0; k < out.numel(); ++k) d[k] += q[k] * 0.125f;
      }
    }
    std::vector<uint8_t> kept;
    keep_flat(pad, m, S, &out, &kept);
    if (opt.back_project && whole) back_project(pm, whole, kept, &out);
    if (HS != H || WS != W) {  // the whole blocks' extra rows and columns go
      Tensor crop = Tensor::empty({1, H, W, 4});
      for (int64_t y = 0; y < H; ++y)
        std::copy(out.data<float>() + y * WS * 4, out.data<float>() + (y * WS + W) * 4, crop.data<float>() + y * W * 4);
      out = crop;
    }
    cur = unpremultiply(out);
    work_done += pass_work[size_t(pass)];
  }
  Sprite s;
  s.width = int(cur.size(2)), s.height = int(cur.size(1)), s.name = img.name;
  s.rgba.resize(size_t(cur.numel()));
  const float* p = cur.data<float>();
  for (size_t k = 0; k < s.rgba.size(); ++k) s.rgba[k] = uint8_t(std::lround(std::clamp(p[k], 0.f, 1.f) * 255.f));
  return s;
}

PatchSampler::PatchSampler(const std::vector<Sprite>& images, int patch, double factor, int margin, Device dev,
                           PatchOptions opts, int* skipped)
    : P_(patch), m_(margin), f_(factor), opts_(opts), dev_(dev) {
  PA_CHECK(factor >= 1.0 && factor <= 8.0, "upscaler training: factor " << factor << " must be in [1, 8]");
  PA_CHECK(patch > 2 * margin + 1, "upscaler training: a " << patch << " px patch leaves no target after the valid "
                                        "convolutions trim " << margin << " px from each side; use --patch > " << 2 * margin + 1);
  std::vector<kernels::ImageEntry> table;
  std::vector<uint8_t> pixels;
  int skip = 0;
  for (const Sprite& img : images) {
    if (img.width < patch || img.height < patch) { ++skip; continue; }
    table.push_back({int64_t(pixels.size() / 4), img.width, img.height, 0.f});
    pixels.insert(pixels.end(), img.rgba.begin(), img.rgba.end());
  }
  if (skipped) *skipped = skip;
  nimages_ = int64_t(table.size());
  PA_CHECK(nimages_ > 0, "upscaler training: no image is at least " << patch << "x" << patch << " px");
  double total = 0, sum = 0;  // each image's share of all patch positions, accumulated
  for (const auto& e : table) total += double(e.width - patch + 1) * double(e.height - patch + 1);
  for (auto& e : table) sum += double(e.width - patch + 1) * double(e.height - patch + 1), e.until = float(sum / total);
  table.back().until = 1.f;
  Tensor px = Tensor::empty({int64_t(pixels.size())}, DType::U8);
  std::memcpy(px.raw(), pixels.data(), pixels.size());
  Tensor tb = Tensor::empty({int64_t(table.size() * sizeof(kernels::ImageEntry))}, DType::U8);
  std::memcpy(tb.raw(), table.data(), table.size() * sizeof(kernels::ImageEntry));
  pixels_ = px.to(dev);
  table_ = tb.to(dev);
}

// The low-resolution patches [n, s, s, 4] (premultiplied) with each sample's JPEG applied where
// it draws one, its quality drawn on the device the patches are on from (seed, first).
Tensor PatchSampler::jpeg_patches(Tensor lo, uint64_t seed, uint64_t first) {
  const int n = int(lo.size(0)), s = int(lo.size(1)), S = (s + 15) / 16 * 16;
  if (n != jpeg_n_ || s != jpeg_s_) {  // as the restorer's Synthesizer keeps its JPEG scratch
    jpeg_params_ = Tensor::empty({int64_t(n * sizeof(kernels::SampleParams))}, DType::U8, dev_);
    jpeg_work_ = Tensor::empty({n, S, S, 4}, DType::F32, dev_);
    jpeg_y_ = Tensor::empty({n, S, S}, DType::F32, dev_);
    jpeg_cb_ = Tensor::empty({n, S / 2, S / 2}, DType::F32, dev_);
    jpeg_cr_ = Tensor::empty({n, S / 2, S / 2}, DType::F32, dev_);
    jpeg_n_ = n, jpeg_s_ = s;
  }
  auto* p = static_cast<kernels::SampleParams*>(jpeg_params_.raw());
  float *work = jpeg_work_.data<float>(), *y = jpeg_y_.data<float>(), *cb = jpeg_cb_.data<float>(), *cr = jpeg_cr_.data<float>();
  const kernels::SynthDims g{n, S, 0, 0, seed, first};
  if (dev_ == Device::CPU)
    kernels::synth_patch_jpeg_cpu(lo.data<float>(), s, work, y, cb, cr, p, g, opts_.jpeg_min, opts_.jpeg_max, opts_.jpeg_share);
  else
    PA_ON_CUDA(cuda::synth_patch_jpeg(lo.data<float>(), s, work, y, cb, cr, p, g, opts_.jpeg_min, opts_.jpeg_max, opts_.jpeg_share));
  return lo;
}

void PatchSampler::generate(uint64_t seed, uint64_t first, int n, Tensor* inputs, Tensor* targets) {
  const int T = P_ - 2 * m_;
  Tensor patch = Tensor::empty({n, P_, P_, 4}, DType::F32, dev_), target = Tensor::empty({n, T, T, 4}, DType::F32, dev_);
  const auto* tab = static_cast<const kernels::ImageEntry*>(table_.raw());
  const uint8_t* px = pixels_.data<uint8_t>();
  const kernels::PatchDraw d{P_, opts_.by_area, opts_.dihedral};
  if (dev_ == Device::CPU) {
    kernels::synth_patches_cpu(px, tab, int(nimages_), seed, first, n, d, 0, P_, patch.data<float>());
    kernels::synth_patches_cpu(px, tab, int(nimages_), seed, first, n, d, m_, T, target.data<float>());
  } else {
    PA_ON_CUDA(cuda::synth_patches(px, tab, int(nimages_), seed, first, n, d, 0, P_, patch.data<float>()));
    PA_ON_CUDA(cuda::synth_patches(px, tab, int(nimages_), seed, first, n, d, m_, T, target.data<float>()));
  }
  // Premultiplied before any resampling, exactly as Upscaler::upscale prepares its input.
  const int64_t small = std::max<int64_t>(1, std::llround(double(P_) / f_));
  const Tensor pm = premultiply(patch);
  // the batch's shrink kernel, drawn from (seed, first) on the host: the same on every device
  const size_t k = opts_.shrink.size() == 1 ? 0 : size_t(kernels::uniform01(seed, first, 0x5348524bull) * double(opts_.shrink.size()));
  const ResizeFilter shrink = opts_.shrink[std::min(k, opts_.shrink.size() - 1)];
  Tensor lo = f_ == 1.0 ? pm : resize_images(pm, small, small, shrink);
  if (opts_.jpeg_min > 0) lo = jpeg_patches(lo, seed, first);
  *inputs = f_ == 1.0 ? lo : resize_images(lo, P_, P_, ResizeFilter::Bicubic);
  *targets = premultiply(target);
}

}  // namespace pixelart
