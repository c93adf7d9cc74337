// src/metrics.cpp — restoration quality (include/pixelart/metrics.h).
#include <cmath>
#include <cstdlib>
#include <unordered_set>

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

}  // namespace pixelart
