// src/metrics.cpp — restoration quality (include/pixelart/metrics.h).
#include <cmath>
#include <cstdlib>
#include <unordered_set>

#include "pixelart/error.h"

#include "pixelart/metrics.h"

namespace pixelart {

void SpriteMetrics::add(const std::vector<double>& pred, const std::vector<double>& target, int64_t n, int64_t h,
                        int64_t w) {
  const int64_t per = h * w * 4;
  for (int64_t i = 0; i < n; ++i) {
    bool perfect = true, alpha_exact = true;
    std::unordered_set<uint32_t> pal_p, pal_t;
    for (int64_t k = 0; k < h * w; ++k) {
      const double* p = &pred[size_t(i * per + k * 4)];
      const double* t = &target[size_t(i * per + k * 4)];
      const bool po = p[3] >= 0.5, to = t[3] >= 0.5;
      bool ok = po == to, colour_ok = true;
      if (to) {
        for (int c = 0; c < 3; ++c) {
          const double d = std::abs(p[c] - t[c]) * 255.0;
          colour_ok = colour_ok && d <= 8.0 + 1e-6;
          rgb_abs_sum += d;
        }
        rgb_count += 3;
      }
      alpha_errors += !ok;
      alpha_exact = alpha_exact && ok;
      colour_errors += ok && !colour_ok;
      ok = ok && colour_ok;
      alpha_inter += po && to;
      alpha_union += po || to;
      auto key = [](const double* v) {
        uint32_t k = 0;
        for (int c = 0; c < 3; ++c) k = k * 256 + uint32_t(std::lround(std::fmin(std::fmax(v[c], 0.0), 1.0) * 255.0));
        return k;
      };
      if (po) pal_p.insert(key(p));
      if (to) pal_t.insert(key(t));
      correct_pixels += ok;
      perfect = perfect && ok;
    }
    pixels += h * w;
    ++sprites;
    perfect_sprites += perfect;
    colour_only_sprites += alpha_exact && !perfect;
    palette_ratio_sum += pal_t.empty() ? (pal_p.empty() ? 1.0 : double(pal_p.size())) : double(pal_p.size()) / double(pal_t.size());
  }
}

void SpriteMetrics::merge(const SpriteMetrics& o) {
  sprites += o.sprites, pixels += o.pixels, correct_pixels += o.correct_pixels, perfect_sprites += o.perfect_sprites;
  alpha_inter += o.alpha_inter, alpha_union += o.alpha_union, rgb_abs_sum += o.rgb_abs_sum, rgb_count += o.rgb_count;
  palette_ratio_sum += o.palette_ratio_sum;
  alpha_errors += o.alpha_errors, colour_errors += o.colour_errors, colour_only_sprites += o.colour_only_sprites;
}

namespace {
// Premultiplied colour, alpha and luminance planes, in [0, 1].
void planes(const Sprite& s, std::vector<double>* rgb, std::vector<double>* a, std::vector<double>* luma) {
  const size_t px = size_t(s.width) * s.height;
  rgb->resize(px * 3), a->resize(px), luma->resize(px);
  for (size_t i = 0; i < px; ++i) {
    const double al = s.rgba[i * 4 + 3] / 255.0;
    for (int c = 0; c < 3; ++c) (*rgb)[i * 3 + size_t(c)] = s.rgba[i * 4 + size_t(c)] / 255.0 * al;
    (*a)[i] = al;
    (*luma)[i] = 0.299 * (*rgb)[i * 3] + 0.587 * (*rgb)[i * 3 + 1] + 0.114 * (*rgb)[i * 3 + 2];
  }
}
// The 11-tap Gaussian (sigma 1.5) along rows, then columns; the border reflected with its edge
// pixel repeated (..., b, a | a, b, ...).
std::vector<double> blur(const std::vector<double>& v, int w, int h) {
  constexpr int R = 5;
  double k[2 * R + 1], sum = 0;
  for (int i = -R; i <= R; ++i) sum += k[i + R] = std::exp(-double(i * i) / (2 * 1.5 * 1.5));
  for (double& x : k) x /= sum;
  auto reflect = [](int i, int n) {
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
  };
  std::vector<double> rows(v.size()), out(v.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      for (int i = -R; i <= R; ++i) s += k[i + R] * v[size_t(y) * w + reflect(x + i, w)];
      rows[size_t(y) * w + x] = s;
    }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double s = 0;
      for (int i = -R; i <= R; ++i) s += k[i + R] * rows[size_t(reflect(y + i, h)) * w + x];
      out[size_t(y) * w + x] = s;
    }
  return out;
}
double ssim(const std::vector<double>& x, const std::vector<double>& y, int w, int h) {
  std::vector<double> xx(x.size()), yy(x.size()), xy(x.size());
  for (size_t i = 0; i < x.size(); ++i) xx[i] = x[i] * x[i], yy[i] = y[i] * y[i], xy[i] = x[i] * y[i];
  const std::vector<double> mx = blur(x, w, h), my = blur(y, w, h), bxx = blur(xx, w, h), byy = blur(yy, w, h),
                            bxy = blur(xy, w, h);
  const double C1 = 1e-4, C2 = 9e-4;
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double sxx = bxx[i] - mx[i] * mx[i], syy = byy[i] - my[i] * my[i], sxy = bxy[i] - mx[i] * my[i];
    sum += (2 * mx[i] * my[i] + C1) * (2 * sxy + C2) / ((mx[i] * mx[i] + my[i] * my[i] + C1) * (sxx + syy + C2));
  }
  return sum / double(x.size());
}
}  // namespace

double psnr(const std::vector<double>& x, const std::vector<double>& y) {
  PA_CHECK(x.size() == y.size() && !x.empty(), "psnr: " << x.size() << " values against " << y.size());
  double se = 0;
  for (size_t i = 0; i < x.size(); ++i) se += (x[i] - y[i]) * (x[i] - y[i]);
  return se == 0 ? 99.0 : 10.0 * std::log10(double(x.size()) / se);
}

ImageScore score_image(const Sprite& out, const Sprite& ref) {
  PA_CHECK(out.width == ref.width && out.height == ref.height && out.width > 0 && out.height > 0,
           "score_image: " << out.width << "x" << out.height << " against " << ref.width << "x" << ref.height);
  std::vector<double> r1, a1, l1, r2, a2, l2;
  planes(out, &r1, &a1, &l1);
  planes(ref, &r2, &a2, &l2);
  // luma where ref is opaque; out composited on white (its own alpha, 1 where it is opaque too)
  std::vector<double> y1, y2;
  auto luma = [](double r, double g, double b) { return (16 + 65.481 * r + 128.553 * g + 24.966 * b) / 255.0; };
  for (size_t i = 0, n = size_t(ref.width) * ref.height; i < n; ++i) {
    if (ref.rgba[i * 4 + 3] != 255) continue;
    const uint8_t* o = &out.rgba[i * 4];
    const double a = o[3] / 255.0;
    auto on_white = [&](int c) { return o[c] / 255.0 * a + (1 - a); };
    y1.push_back(luma(on_white(0), on_white(1), on_white(2)));
    y2.push_back(luma(ref.rgba[i * 4] / 255.0, ref.rgba[i * 4 + 1] / 255.0, ref.rgba[i * 4 + 2] / 255.0));
  }
  return {psnr(r1, r2), ssim(l1, l2, ref.width, ref.height), psnr(a1, a2), y1.empty() ? 99.0 : psnr(y1, y2)};
}

}  // namespace pixelart
