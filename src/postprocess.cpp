// src/postprocess.cpp — binary alpha and palette snapping (include/pixelart/postprocess.h).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include "pixelart/postprocess.h"

namespace pixelart {

Sprite image_from_values(const std::vector<double>& v, int64_t i, int h, int w) {
  Sprite s;
  s.width = w, s.height = h;
  s.rgba.resize(size_t(h) * w * 4);
  const size_t base = size_t(i) * s.rgba.size();
  for (size_t k = 0; k < s.rgba.size(); ++k) s.rgba[k] = uint8_t(std::lround(std::clamp(v[base + k], 0.0, 1.0) * 255.0));
  return s;
}

Sprite output_sprite(const std::vector<double>& v, int64_t i, int h, int w) {
  Sprite s;
  s.width = w, s.height = h;
  s.rgba.resize(size_t(h) * w * 4);
  const size_t base = size_t(i) * s.rgba.size();
  for (size_t p = 0; p < size_t(h) * w; ++p) {
    uint8_t* d = &s.rgba[p * 4];
    const double* x = &v[base + p * 4];
    if (x[3] < 0.5) {
      d[0] = d[1] = d[2] = d[3] = 0;
      continue;
    }
    for (int c = 0; c < 3; ++c) d[c] = uint8_t(std::lround(std::clamp(x[c], 0.0, 1.0) * 255.0));
    d[3] = 255;
  }
  return s;
}

namespace {
// One sprite's opaque colours pooled into a palette: pixels in order of their support (how many
// input pixels agreed with the colour) join the first cluster whose mean is within `tol` in every
// channel, or start one; each pixel then takes its cluster's support-weighted mean.
void pool_palette(double* y, const double* support, int pixels, double tol) {
  std::vector<int> order;
  for (int k = 0; k < pixels; ++k)
    if (y[k * 4 + 3] >= 0.5 && support[k] > 0) order.push_back(k);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return support[a] > support[b]; });
  struct Cluster {
    double sum[3] = {0, 0, 0}, weight = 0;
    std::vector<int> members;
  };
  std::vector<Cluster> clusters;
  for (int k : order) {
    const double* p = &y[k * 4];
    Cluster* best = nullptr;
    double best_d = tol;
    for (Cluster& cl : clusters) {
      double d = 0;
      for (int c = 0; c < 3; ++c) d = std::max(d, std::abs(cl.sum[c] / cl.weight - p[c]));
      if (d <= best_d) best_d = d, best = &cl;
    }
    if (!best) best = &clusters.emplace_back();
    for (int c = 0; c < 3; ++c) best->sum[c] += support[k] * p[c];
    best->weight += support[k];
    best->members.push_back(k);
  }
  for (const Cluster& cl : clusters)
    for (int k : cl.members)
      for (int c = 0; c < 3; ++c) y[k * 4 + c] = cl.sum[c] / cl.weight;
}
}  // namespace

void refine_colours(std::vector<double>& y, const std::vector<double>& x, int64_t n, int h, int w, int scale) {
  const int H = h * scale, W = w * scale, m = scale / 8;
  const double min_weight = 0.1 * scale * scale;
  std::vector<double> support(size_t(n) * h * w, 0.0);
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int r = 0; r < h; ++r) {
      const double* xi = &x[size_t(i) * size_t(H) * W * 4];
      for (int c = 0; c < w; ++c) {
        double* p = &y[((size_t(i) * h + r) * w + c) * 4];
        if (p[3] < 0.5) continue;
        const int y0 = std::max(0, r * scale - m), y1 = std::min(H, (r + 1) * scale + m);
        const int x0 = std::max(0, c * scale - m), x1 = std::min(W, (c + 1) * scale + m);
        double est[3] = {std::clamp(p[0], 0.0, 1.0), std::clamp(p[1], 0.0, 1.0), std::clamp(p[2], 0.0, 1.0)};
        double wsum = 0;
        for (int it = 0; it < 5; ++it) {
          double sum[3] = {0, 0, 0};
          wsum = 0;
          const double sigma = std::max(0.16 * std::pow(0.6, it), 0.045), inv2s2 = 1.0 / (2 * sigma * sigma);
          for (int yy = y0; yy < y1; ++yy)
            for (int xx = x0; xx < x1; ++xx) {
              const double* q = &xi[(size_t(yy) * W + xx) * 4];
              const double d0 = q[0] - est[0], d1 = q[1] - est[1], d2 = q[2] - est[2];
              const double wt = q[3] * std::exp(-(d0 * d0 + d1 * d1 + d2 * d2) * inv2s2);
              sum[0] += wt * q[0], sum[1] += wt * q[1], sum[2] += wt * q[2], wsum += wt;
            }
          if (wsum < min_weight) break;
          for (int k = 0; k < 3; ++k) est[k] = sum[k] / wsum;
        }
        if (wsum < min_weight) continue;  // no input colour near the prediction: it stays
        for (int k = 0; k < 3; ++k) p[k] = est[k];
        support[(size_t(i) * h + r) * w + c] = wsum;
      }
    }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) pool_palette(&y[size_t(i) * h * w * 4], &support[size_t(i) * h * w], h * w, 12.0 / 255.0);
}

namespace {
// Scale2x / Scale3x over one image; neighbours outside the image repeat the border.
Sprite scale_nx(const Sprite& s, int n) {
  Sprite o;
  o.width = s.width * n, o.height = s.height * n, o.name = s.name;
  o.rgba.resize(size_t(o.width) * o.height * 4);
  auto at = [&](int x, int y) {
    const uint8_t* p = s.px(std::clamp(x, 0, s.width - 1), std::clamp(y, 0, s.height - 1));
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) {
      const uint32_t A = at(x - 1, y - 1), B = at(x, y - 1), C = at(x + 1, y - 1), D = at(x - 1, y), E = at(x, y),
                     F = at(x + 1, y), G = at(x - 1, y + 1), H = at(x, y + 1), I = at(x + 1, y + 1);
      uint32_t out[9];
      if (n == 2) {
        out[0] = D == B && B != F && D != H ? D : E;
        out[1] = B == F && B != D && F != H ? F : E;
        out[2] = D == H && D != B && H != F ? D : E;
        out[3] = H == F && D != H && B != F ? F : E;
      } else {
        const bool db = D == B && D != H && B != F, bf = B == F && B != D && F != H;
        const bool dh = D == H && D != B && H != F, hf = H == F && D != H && B != F;
        out[0] = db ? D : E;
        out[1] = (db && E != C) || (bf && E != A) ? B : E;
        out[2] = bf ? F : E;
        out[3] = (db && E != G) || (dh && E != A) ? D : E;
        out[4] = E;
        out[5] = (bf && E != I) || (hf && E != C) ? F : E;
        out[6] = dh ? D : E;
        out[7] = (dh && E != I) || (hf && E != G) ? H : E;
        out[8] = hf ? F : E;
      }
      for (int j = 0; j < n; ++j)
        for (int i = 0; i < n; ++i) std::memcpy(o.px(x * n + i, y * n + j), &out[j * n + i], 4);
    }
  return o;
}
}  // namespace

Sprite scale_pixel_art(const Sprite& s, int factor, bool smooth) {
  PA_CHECK(factor >= 1, "scale_pixel_art: factor " << factor);
  Sprite cur = s;
  while (smooth && factor % 2 == 0) cur = scale_nx(cur, 2), factor /= 2;
  while (smooth && factor % 3 == 0) cur = scale_nx(cur, 3), factor /= 3;
  if (factor == 1) return cur;
  Sprite o;  // nearest neighbour for the rest
  o.width = cur.width * factor, o.height = cur.height * factor, o.name = cur.name;
  o.rgba.resize(size_t(o.width) * o.height * 4);
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) std::memcpy(o.px(x, y), cur.px(x / factor, y / factor), 4);
  return o;
}

void snap_palette(Sprite& s, int k) {
  if (k == 0) return;
  using C = std::array<double, 3>;
  std::map<std::array<uint8_t, 3>, int> counts;
  for (size_t p = 0; p < s.rgba.size(); p += 4)
    if (s.rgba[p + 3]) ++counts[{s.rgba[p], s.rgba[p + 1], s.rgba[p + 2]}];
  if (counts.empty()) return;
  std::vector<std::pair<int, std::array<uint8_t, 3>>> by_count;
  for (const auto& [c, n] : counts) by_count.emplace_back(n, c);
  std::sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  std::vector<C> centres;
  if (k > 0) {  // the k most frequent distinct colours start k-means
    for (const auto& [n, c] : by_count) {
      if (int(centres.size()) == k) break;
      centres.push_back({double(c[0]), double(c[1]), double(c[2])});
    }
  } else {  // auto: greedy clusters of colours within 24 levels of a more frequent one
    for (const auto& [n, c] : by_count) {
      bool near = false;
      for (const C& m : centres)
        near = near || (std::abs(m[0] - c[0]) <= 24 && std::abs(m[1] - c[1]) <= 24 && std::abs(m[2] - c[2]) <= 24);
      if (!near) centres.push_back({double(c[0]), double(c[1]), double(c[2])});
    }
  }
  auto nearest = [&](const uint8_t* px) {
    size_t best = 0;
    double bd = 1e30;
    for (size_t j = 0; j < centres.size(); ++j) {
      double d = 0;
      for (int c = 0; c < 3; ++c) d += (centres[j][size_t(c)] - px[c]) * (centres[j][size_t(c)] - px[c]);
      if (d < bd) bd = d, best = j;
    }
    return best;
  };
  for (int it = 0; it < 10; ++it) {  // Lloyd iterations, weighted by pixel counts
    std::vector<C> sum(centres.size(), C{0, 0, 0});
    std::vector<double> n(centres.size(), 0);
    for (const auto& [cnt, c] : by_count) {
      const size_t j = nearest(c.data());
      for (int ch = 0; ch < 3; ++ch) sum[j][size_t(ch)] += double(c[size_t(ch)]) * cnt;
      n[j] += cnt;
    }
    for (size_t j = 0; j < centres.size(); ++j)
      if (n[j] > 0)
        for (int ch = 0; ch < 3; ++ch) centres[j][size_t(ch)] = sum[j][size_t(ch)] / n[j];
  }
  for (size_t p = 0; p < s.rgba.size(); p += 4)
    if (s.rgba[p + 3]) {
      const C& m = centres[nearest(&s.rgba[p])];
      for (int c = 0; c < 3; ++c) s.rgba[p + size_t(c)] = uint8_t(std::lround(m[size_t(c)]));
    }
}

}  // namespace pixelart
