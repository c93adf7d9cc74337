// src/io/eval_render.cpp — users' images for `eval` (include/pixelart/eval_render.h), drawn by
// the build's image backend (src/io/image_backend.h: OpenCV's warpAffine, resize and codec, or
// libjpeg and the builtin resamplers).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>

#include "pixelart/autograd.h"
#include "pixelart/error.h"
#include "pixelart/eval_render.h"
#include "pixelart/image_io.h"
#include "pixelart/postprocess.h"
#include "image_backend.h"
#include "rng.h"

namespace pixelart {
namespace {

// Uniform draws from the raw 64-bit engine (the standard distributions differ between libraries;
// the engine's sequence does not).
struct Draw {
  std::mt19937_64 g;
  double u() { return double(g() >> 11) * (1.0 / 9007199254740992.0); }
  double range(double a, double b) { return a + (b - a) * u(); }
  int below(int n) { return std::min(n - 1, int(u() * n)); }
};

// The filters of the resampling round trips (user-web, outside), drawn uniformly.
constexpr Filter kRoundTrip[] = {Filter::Linear, Filter::Cubic, Filter::Area, Filter::Lanczos};

#if PIXELART_IMAGE_IO_BUILTIN
namespace backend = io_builtin;
#else
namespace backend = io_opencv;
#endif

}  // namespace

const char* to_string(UserFamily f) {
  switch (f) {
    case UserFamily::Clean: return "user-clean";
    case UserFamily::Jpeg: return "user-jpeg";
    default: return "user-web";
  }
}

EvalSample render_user_sample(const SpriteSet& set, UserFamily family, uint64_t seed, uint64_t index, double* pitch_x,
                              double* pitch_y, double* origin_x, double* origin_y) {
  PA_CHECK(set.size() > 0, "render_user_sample: an empty sprite set");
  Draw r{std::mt19937_64(seed * 0x9e3779b97f4a7c15ULL + index * 0xbf58476d1ce4e5b9ULL + uint64_t(family) * 0x94d049bb133111ebULL)};
  const int T = set.canvas;
  EvalSample s;
  char what[256];
  double px_ = 0, py_ = 0, ox_ = 0, oy_ = 0;
  // layout: one sprite, or a sheet of up to 70 sprite pixels a side
  const int most = std::max(1, 70 / T);
  int cols = 1, rows = 1;
  if (r.u() < 0.5) cols = 1 + r.below(most), rows = 1 + r.below(most);
  const int mx = r.below(4), my = r.below(4);
  const int cw = cols * T + 2 * mx, ch = rows * T + 2 * my;
  s.truth.width = cw, s.truth.height = ch, s.truth.rgba.assign(size_t(cw) * ch * 4, 0);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const Sprite one = set.sprite(int64_t(r.below(int(std::min<int64_t>(set.size(), 1 << 30)))));
      for (int y = 0; y < T; ++y) std::memcpy(s.truth.px(mx + j * T, my + i * T + y), one.px(0, y), size_t(T) * 4);
    }
  // scale (log-uniform 3..24, the axes up to 5% apart) and a sub-pixel offset of the grid
  const double p = 3.0 * std::exp(r.u() * std::log(8.0));
  px_ = p * (1 + r.range(-0.025, 0.025)), py_ = p * (1 + r.range(-0.025, 0.025));
  // The image starts and ends within a cell of the canvas's edges (a crop that cuts the first and
  // last cells, or keeps a sliver of what lies beyond), by less than half a cell and a rounded
  // pixel, so that the truth's size is the image's size in cells, unambiguously.
  auto sliver = [&](double pitch) { const double f = std::clamp(0.45 - 0.6 / pitch, 0.1, 0.45); return r.range(-f, f) * pitch; };
  ox_ = sliver(px_), oy_ = sliver(py_);
  const int W = int(std::lround(ox_ + cw * px_ + sliver(px_))), H = int(std::lround(oy_ + ch * py_ + sliver(py_)));
  // nearest neighbour: destination pixel centre x maps to truth pixel (x - t) / pitch, OpenCV
  // taking pixel centres at integers; cell 0's leading edge then lands on origin
  const double tx = ox_ + 0.5 * px_ - 0.5, ty = oy_ + 0.5 * py_ - 0.5;
  Sprite big = backend::warp_nearest(s.truth, W, H, px_, py_, tx, ty);
  // background
  static const char* names[] = {"flat", "gradient", "noise", "checker", "transparent"};
  int bg = r.below(4);
  if (family == UserFamily::Clean && r.u() < 0.2) bg = 4;
  double c0[3], c1[3];
  for (double& v : c0) v = r.range(0, 255);
  for (double& v : c1) v = r.range(0, 255);
  const int square = std::array<int, 4>{8, 10, 12, 16}[size_t(r.below(4))];
  const bool grey_checker = r.u() < 0.75;
  const double angle = r.range(0, 6.283185307179586);
  std::vector<float> field;
  if (bg == 2) {  // smooth noise: a small random field enlarged by bicubic, plus grain
    const int fw = std::max(2, W / 48), fh = std::max(2, H / 48);
    std::vector<float> small(size_t(fw) * fh * 3);
    for (float& v : small) v = float(r.range(-1, 1));
    field = backend::resize_cubic(small, fw, fh, 3, W, H);
  }
  const double grain = r.range(0, 8);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      uint8_t* px = big.px(x, y);
      if (bg == 4) continue;
      double b[3];
      switch (bg) {
        case 0: std::copy(c0, c0 + 3, b); break;
        case 1: {
          const double t = std::clamp(0.5 + ((x - W / 2.0) * std::cos(angle) + (y - H / 2.0) * std::sin(angle)) / std::max(W, H), 0.0, 1.0);
          for (int c = 0; c < 3; ++c) b[c] = c0[c] + (c1[c] - c0[c]) * t;
          break;
        }
        case 2:
          for (int c = 0; c < 3; ++c) b[c] = std::clamp(c0[c] * 0.6 + 50 + 40 * field[(size_t(y) * W + x) * 3 + c] + grain * (r.u() - 0.5), 0.0, 255.0);
          break;
        default: {
          const bool odd = ((x / square) + (y / square)) & 1;
          for (int c = 0; c < 3; ++c) b[c] = grey_checker ? (odd ? 204 : 255) : (odd ? c1[c] : c0[c]);
        }
      }
      const double a = px[3] / 255.0;
      for (int c = 0; c < 3; ++c) px[c] = uint8_t(std::clamp(std::lround(a * px[c] + (1 - a) * b[c]), 0L, 255L));
      px[3] = 255;
    }
  std::string damage;
  static const char* fnames[] = {"linear", "cubic", "area", "lanczos"};  // kRoundTrip's
  if (family == UserFamily::Web) {
    const int trips = 1 + r.below(2);
    for (int k = 0; k < trips; ++k) {
      const double f = r.range(0.5, 0.95);
      const int f1 = r.below(4), f2 = r.below(4);
      big = backend::resize(backend::resize(big, std::max(4, int(W * f)), std::max(4, int(H * f)), kRoundTrip[f1]), W, H, kRoundTrip[f2]);
      char b[64];
      std::snprintf(b, sizeof b, ", %.0f%% %s/%s", 100 * f, fnames[f1], fnames[f2]);
      damage += b;
    }
  }
  if (family != UserFamily::Clean) {
    const int passes = r.u() < 0.5 ? 1 : 2;
    for (int k = 0; k < passes; ++k) {
      const int q = 30 + r.below(66);
      big = backend::jpeg_roundtrip(big, q);
      damage += ", jpeg q" + std::to_string(q);
    }
  }
  std::snprintf(what, sizeof what, "%dx%d sheet of %d px + %d,%d margin, pitch %.2f x %.2f, offset %.2f,%.2f, %s%s", cols, rows, T, mx, my,
                px_, py_, ox_, oy_, bg == 3 ? (std::string("checker ") + std::to_string(square)).c_str() : names[bg],
                bg == 4 ? "" : " background");
  s.what = what + damage;
  big.name = s.what;
  s.image = std::move(big);
  s.truth.name = "truth";
  if (pitch_x) *pitch_x = px_;
  if (pitch_y) *pitch_y = py_;
  if (origin_x) *origin_x = ox_;
  if (origin_y) *origin_y = oy_;
  return s;
}

DamageConfig outside_synthesis() {
  DamageConfig d = DamageConfig::none();
  d.scale_jitter = 0.02f, d.max_offset = 0.5f, d.p_keep_alpha = 0.f;
  d.p_bg[0] = 0.6f, d.p_bg[1] = 0.f, d.p_bg[2] = 0.2f, d.p_bg[3] = 0.2f;
  d.p_noise = 1.f, d.max_noise = 0.03f;
  return d;
}

Sprite render_outside(const Sprite& img, uint64_t seed, uint64_t index) {
  auto u = [&](uint64_t k) { return kernels::uniform01(seed, 0xe7a1 + index, k); };
  const int small = int(img.width * (0.35 + 0.6 * u(0)));
  Sprite s = resize_with(img, small, small, kRoundTrip[int(u(1) * 4) % 4]);
  s = resize_with(s, img.width, img.height, kRoundTrip[int(u(2) * 4) % 4]);
  return jpeg_roundtrip(s, 20 + int(u(3) * 76));
}

RestoreEval evaluate_network(const Restorer& model, const SpriteSet& held, const std::string& family, int n, uint64_t seed,
                             int batch, bool refine, Device dev, int keep_worst,
                             const std::function<void(int64_t, int64_t)>& progress) {
  PA_CHECK(family == "clean" || family == "original" || family == "hard" || family == "outside",
           "evaluate_network: unknown family " << family);
  const int canvas = held.canvas, S = canvas * model.config().scale();
  const DamageConfig cfg = family == "outside" ? outside_synthesis() : DamageConfig::preset(family == "clean" ? "none" : family);
  Synthesizer synth(held, S, cfg, dev);
  RestoreEval ev;
  ev.samples = n;
  auto& worst = ev.worst;
  for (int b = 0; b < n; b += batch) {
    if (progress) progress(b, n);
    const int nb = std::min(batch, n - b);
    Tensor x, t;
    synth.generate(seed, uint64_t(b), nb, &x, &t);
    if (family == "outside") {  // on the host, by other code: damage the synthesis did not write
      auto v = x.to_vector();
      const size_t per = size_t(S) * S * 4;
      for (int i = 0; i < nb; ++i) {
        const Sprite d = render_outside(image_from_values(v, i, S, S), seed, uint64_t(b + i));
        for (size_t k = 0; k < per; ++k) v[size_t(i) * per + k] = d.rgba[k] / 255.0;
      }
      x = Tensor::from_vector(v, x.shape(), DType::F32, dev);
    }
    Tensor y;
    {
      NoGradGuard ng;
      y = model.forward(x);
    }
    auto yv = y.to_vector();
    const auto tv = t.to_vector();
    std::vector<double> xv;  // read back for colour refinement, or if a sample joins the worst cases
    if (refine) {
      xv = x.to_vector();
      refine_colours(yv, xv, nb, canvas, canvas, model.config().scale());
    }
    const size_t per = size_t(canvas) * canvas * 4;
    for (int i = 0; i < nb; ++i) {
      SpriteMetrics one;
      one.add(std::vector<double>(yv.begin() + long(i * per), yv.begin() + long((i + 1) * per)),
              std::vector<double>(tv.begin() + long(i * per), tv.begin() + long((i + 1) * per)), 1, canvas, canvas);
      ev.metrics.merge(one);
      const double acc = one.pixel_accuracy();
      if (keep_worst <= 0 || (int(worst.size()) >= keep_worst && acc >= worst.back().accuracy)) continue;
      if (xv.empty()) xv = x.to_vector();
      worst.push_back({acc, image_from_values(xv, i, S, S), output_sprite(yv, i, canvas, canvas), output_sprite(tv, i, canvas, canvas), ""});
      std::sort(worst.begin(), worst.end(), [](const RestoreEval::Case& p, const RestoreEval::Case& q) { return p.accuracy < q.accuracy; });
      if (int(worst.size()) > keep_worst) worst.pop_back();
    }
  }
  if (progress) progress(n, n);
  return ev;
}

}  // namespace pixelart
