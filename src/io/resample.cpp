// src/io/resample.cpp — io_builtin's resamplers (src/io/image_backend.h): the filters of
// image_io.h's Filter with the geometry users' programs use (pixel centres at half-integers, source
// x = (x_out + 0.5) * in / out - 0.5), separable, a horizontal pass then a vertical one, in float.
// Compiled with -ffp-contract=off (CMakeLists.txt): a fused multiply-add in that mapping moves a
// source position that should be exactly on a sample (x3: 1.5 / 3 - 0.5) off it by 1e-17.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "image_backend.h"
#include "pixelart/error.h"

namespace pixelart::io_builtin {
namespace {

// Which source samples, with which weights, make each output sample along one axis.
struct Taps {
  int per = 0;                // taps per output sample
  std::vector<int> index;     // out * per, clamped to the source
  std::vector<float> weight;  // out * per
};

float cubic(float x, int k) {  // Keys' kernel, a = -0.75, tap k of 4 at fraction x
  constexpr float A = -0.75f;
  switch (k) {
    case 0: return ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
    case 1: return ((A + 2) * x - (A + 3)) * x * x + 1;
    case 2: return ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
    default: return 1 - cubic(x, 0) - cubic(x, 1) - cubic(x, 2);
  }
}

// Lanczos with a = 4 at fraction x: taps -3..4, normalised to sum 1.
void lanczos4(float x, float* w) {
  if (x < 1e-7f) {
    std::fill(w, w + 8, 0.f);
    w[3] = 1;
    return;
  }
  constexpr double pi = 3.14159265358979323846;
  double sum = 0;
  for (int i = 0; i < 8; ++i) {
    const double t = (x + 3 - i) * pi;  // distance from tap i, in radians of the sinc
    w[i] = float(std::sin(t) * std::sin(t / 4) / (t * t / 4));
    sum += w[i];
  }
  for (int i = 0; i < 8; ++i) w[i] = float(w[i] / sum);
}

Taps taps_for(int in, int out, Filter f, bool area_shrinks) {
  Taps t;
  const double inv = double(out) / in, scale = 1.0 / inv;
  auto clamp = [&](int i) { return std::clamp(i, 0, in - 1); };
  if (f == Filter::Nearest) {
    t.per = 1;
    for (int d = 0; d < out; ++d) t.index.push_back(std::min(int(std::floor(d * scale)), in - 1)), t.weight.push_back(1);
    return t;
  }
  if (f == Filter::Area && area_shrinks) {  // each output cell averages the source it covers
    std::vector<std::vector<std::pair<int, float>>> cells(static_cast<size_t>(out));
    for (int d = 0; d < out; ++d) {
      const double a = d * scale, b = std::min(a + scale, double(in)), width = b - a;
      for (int i = int(std::floor(a)); i < b; ++i) {
        const double cover = std::min(b, i + 1.0) - std::max(a, double(i));
        if (cover > 1e-3) cells[size_t(d)].push_back({clamp(i), float(cover / width)});
      }
      t.per = std::max(t.per, int(cells[size_t(d)].size()));
    }
    for (const auto& c : cells)
      for (int k = 0; k < t.per; ++k) {
        t.index.push_back(k < int(c.size()) ? c[size_t(k)].first : c.back().first);
        t.weight.push_back(k < int(c.size()) ? c[size_t(k)].second : 0.f);
      }
    return t;
  }
  t.per = f == Filter::Cubic ? 4 : f == Filter::Lanczos ? 8 : 2;
  for (int d = 0; d < out; ++d) {
    int s;
    float x;
    if (f == Filter::Area) {  // growing by area: linear weights of how much of the cell each side covers
      s = int(std::floor(d * scale));
      x = float((d + 1) - (s + 1) * inv);
      x = x <= 0 ? 0.f : x - std::floor(x);
    } else {
      const float fx = float((d + 0.5) * scale - 0.5);
      s = int(std::floor(fx));
      x = fx - s;
      if (x >= 1) ++s, x = 0;  // a tiny negative fx rounds to 1 in float
    }
    if (t.per == 2) {  // linear: the edge samples are held, not extrapolated
      if (s < 0) s = 0, x = 0;
      if (s >= in - 1) s = in - 1, x = 0;
      t.index.insert(t.index.end(), {s, clamp(s + 1)});
      t.weight.insert(t.weight.end(), {1 - x, x});
    } else if (t.per == 4) {
      for (int k = 0; k < 4; ++k) t.index.push_back(clamp(s - 1 + k)), t.weight.push_back(cubic(x, k));
    } else {
      float w[8];
      lanczos4(x, w);
      for (int k = 0; k < 8; ++k) t.index.push_back(clamp(s - 3 + k)), t.weight.push_back(w[k]);
    }
  }
  return t;
}

// src (w x h x ch) -> out (W x H x ch), horizontal pass first; Store turns a float into the output.
template <class In, class Store>
void separable(const In* src, int w, int h, int ch, int W, int H, Filter f, Store store) {
  const bool area_shrinks = W <= w && H <= h;
  const Taps tx = taps_for(w, W, f, area_shrinks), ty = taps_for(h, H, f, area_shrinks);
  std::vector<float> rows(size_t(h) * W * ch);
#pragma omp parallel for schedule(static) if (int64_t(h) * W * ch > (1 << 16))
  for (int y = 0; y < h; ++y) {
    const In* s = src + size_t(y) * w * ch;
    float* r = &rows[size_t(y) * W * ch];
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < ch; ++c) {
        float acc = 0;
        for (int k = 0; k < tx.per; ++k) acc += float(s[size_t(tx.index[size_t(x * tx.per + k)]) * ch + c]) * tx.weight[size_t(x * tx.per + k)];
        r[size_t(x) * ch + c] = acc;
      }
  }
#pragma omp parallel for schedule(static) if (int64_t(H) * W * ch > (1 << 16))
  for (int y = 0; y < H; ++y) {
    std::vector<float> acc(size_t(W) * ch, 0.f);
    for (int k = 0; k < ty.per; ++k) {
      const float wk = ty.weight[size_t(y * ty.per + k)];
      if (wk == 0) continue;
      const float* r = &rows[size_t(ty.index[size_t(y * ty.per + k)]) * W * ch];
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += wk * r[i];
    }
    for (size_t i = 0; i < acc.size(); ++i) store(size_t(y) * W * ch + i, acc[i]);
  }
}

}  // namespace

Sprite resize(const Sprite& img, int width, int height, Filter filter) {
  PA_CHECK(width > 0 && height > 0 && img.width > 0 && img.height > 0,
           "resize " << img.width << "x" << img.height << " to " << width << "x" << height);
  Sprite s;
  s.width = width, s.height = height, s.name = img.name;
  s.rgba.resize(size_t(width) * height * 4);
  uint8_t* out = s.rgba.data();
  separable(img.rgba.data(), img.width, img.height, 4, width, height, filter,
            [out](size_t i, float v) { out[i] = uint8_t(std::clamp(std::lround(v), 0L, 255L)); });
  return s;
}

std::vector<float> resize_cubic(const std::vector<float>& src, int width, int height, int channels, int out_width,
                                int out_height) {
  PA_CHECK(src.size() == size_t(width) * height * channels && out_width > 0 && out_height > 0, "resize_cubic: malformed image");
  std::vector<float> out(size_t(out_width) * out_height * channels);
  float* o = out.data();
  separable(src.data(), width, height, channels, out_width, out_height, Filter::Cubic, [o](size_t i, float v) { o[i] = v; });
  return out;
}

Sprite warp_nearest(const Sprite& src, int width, int height, double sx, double sy, double tx, double ty) {
  PA_CHECK(sx != 0 && sy != 0 && width > 0 && height > 0, "warp_nearest: a degenerate map");
  // The inverse map in 10-bit fixed point, rounded to the nearest source pixel, as warpAffine
  // computes it (so that both backends place every pixel alike).
  const double D = 1.0 / (sx * sy), ax = sy * D, ay = sx * D, bx = -ax * tx, by = -ay * ty;
  constexpr int bits = 10, one = 1 << bits;
  std::vector<int> col(static_cast<size_t>(width));
  const long x0 = std::lrint(bx * one) + one / 2;
  for (int x = 0; x < width; ++x) col[size_t(x)] = int((x0 + std::lrint(ax * x * one)) >> bits);
  Sprite out;
  out.width = width, out.height = height, out.name = src.name;
  out.rgba.assign(size_t(width) * height * 4, 0);
  for (int y = 0; y < height; ++y) {
    const int r = int((std::lrint((ay * y + by) * one) + one / 2) >> bits);
    if (r < 0 || r >= src.height) continue;
    for (int x = 0; x < width; ++x)
      if (const int c = col[size_t(x)]; c >= 0 && c < src.width) std::memcpy(out.px(x, y), src.px(c, r), 4);
  }
  return out;
}

}  // namespace pixelart::io_builtin
