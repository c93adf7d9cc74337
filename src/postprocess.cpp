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
// exp(v) for v <= 0 in float, to a relative error below 4e-7, written so that loops over it
// vectorise: 2^t = 2^floor(t) (built in the exponent bits) x a degree-5 polynomial in the
// fraction (a least-squares fit of 2^f on [0, 1] in relative error). Below -87 it is 0 for
// our purposes (exp(-87) ~ 1.6e-38).
inline float exp_neg(float v) {
  const float t = std::max(v, -87.f) * 1.44269504f;
  const float fl = std::floor(t), f = t - fl;
  const float p = 0.99999993f + f * (0.69315297f + f * (0.24015453f + f * (0.0558236f + f * (0.00899258f + f * 0.00187623f))));
  const int32_t bits = (int32_t(fl) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// One sprite's opaque colours pooled into a palette: pixels in order of their support (how many
// input pixels agreed with the colour) join the nearest cluster whose mean is within the pixel's
// tolerance in every channel, or start one; each pixel then takes its cluster's support-weighted
// mean.
void pool_palette(double* y, const double* support, const double* tolerance, int pixels) {
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
    double best_d = tolerance[k];
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

void grid_shift(const double* y, const double* x, int h, int w, int scale, int* dy, int* dx) {
  const int H = h * scale, W = w * scale, R = scale / 2, step = std::max(1, scale / 4);
  const float tau2 = 0.1f * 0.1f;
  // The input's colours as floats, once row-major and once column-major, so that both scans run
  // over contiguous memory; a transparent pixel is far from every colour (it never agrees).
  std::vector<float> rowm(size_t(H) * W * 3), colm(size_t(H) * W * 3);
  for (int yy = 0; yy < H; ++yy)
    for (int xx = 0; xx < W; ++xx) {
      const double* q = &x[(size_t(yy) * W + xx) * 4];
      float* a = &rowm[(size_t(yy) * W + xx) * 3];
      float* b = &colm[(size_t(xx) * H + yy) * 3];
      for (int k = 0; k < 3; ++k) a[k] = b[k] = q[3] >= 0.5 ? float(q[k]) : 1e6f;
    }
  // Input pixels (on the rows or columns scanned) within tau of the opaque prediction over them,
  // cell by cell: each cell's prediction is read once for the run of input pixels it covers.
  auto agree = [&](int sy, int sx, bool rows) {
    int64_t count = 0;
    auto run = [&](const double* p, const float* q, int len) {
      if (p[3] < 0.5) return;
      const float p0 = float(p[0]), p1 = float(p[1]), p2 = float(p[2]);
      int hits = 0;
      for (int k = 0; k < len; ++k, q += 3) {
        const float d0 = q[0] - p0, d1 = q[1] - p1, d2 = q[2] - p2;
        hits += d0 * d0 + d1 * d1 + d2 * d2 < tau2;
      }
      count += hits;
    };
    // the cell index of input coordinate v under shift s is floor((v - s) / scale)
    auto cell = [&](int v, int s, int n) { return (v - s + scale * n) / scale - n; };
    // every step-th line of a plane of L lines of N pixels (line-major), cut into cells: cell a
    // (of na) along the lines, b (of nb) across them; y's cell is (a, b), or (b, a) transposed
    auto scan = [&](const std::vector<float>& plane, int L, int N, int na, int nb, int sa, int sb, bool transposed) {
      for (int l = 0; l < L; l += step) {
        const int a = cell(l, sa, na);
        if (a < 0 || a >= na) continue;
        for (int b = 0; b < nb; ++b) {
          const int b0 = std::max(0, b * scale + sb), b1 = std::min(N, (b + 1) * scale + sb);
          const size_t yc = transposed ? size_t(b) * w + size_t(a) : size_t(a) * w + size_t(b);
          if (b0 < b1) run(&y[yc * 4], &plane[(size_t(l) * N + b0) * 3], b1 - b0);
        }
      }
    };
    if (rows) scan(rowm, H, W, h, w, sy, sx, false);  // every step-th row, all columns
    else scan(colm, W, H, w, h, sx, sy, true);        // every step-th column, all rows
    return count;
  };
  auto search = [&](auto&& score) {
    int best = 0;
    int64_t best_score = score(0);
    for (int d = 1; d <= R; ++d)
      for (int s : {-d, d})
        if (const int64_t v = score(s); v > best_score) best_score = v, best = s;
    return best;
  };
  *dx = search([&](int s) { return agree(0, s, true); });
  *dy = search([&](int s) { return agree(s, *dx, false); });
}

void refine_colours(std::vector<double>& y, const std::vector<double>& x, int64_t n, int h, int w, int scale) {
  const int H = h * scale, W = w * scale;
  const double min_weight = 0.1 * 0.5625 * scale * scale, fallback_weight = 0.3 * 0.5625 * scale * scale;  // 0.5625: the mean of the middle weight
  std::vector<double> support(size_t(n) * h * w, 0.0), tolerance(size_t(n) * h * w, 0.0);
  std::vector<int> shift(size_t(n) * 2, 0);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i)
    grid_shift(&y[size_t(i) * h * w * 4], &x[size_t(i) * H * W * 4], h, w, scale, &shift[size_t(i) * 2], &shift[size_t(i) * 2 + 1]);
  // Inputs that still carry a mask: where it is decisive over a cell (on average at least 3/4
  // opaque, or at most 1/4), it decides the pixel's alpha.
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = &x[size_t(i) * size_t(H) * W * 4];
    bool mask = false;
    for (size_t k = 3; k < size_t(H) * W * 4 && !mask; k += 4) mask = xi[k] < 0.5;
    if (!mask) continue;
    const int sy = shift[size_t(i) * 2], sx = shift[size_t(i) * 2 + 1];
    for (int r = 0; r < h; ++r)
      for (int c = 0; c < w; ++c) {
        double sum = 0;
        int count = 0;
        for (int yy = std::max(0, r * scale + sy); yy < std::min(H, (r + 1) * scale + sy); ++yy)
          for (int xx = std::max(0, c * scale + sx); xx < std::min(W, (c + 1) * scale + sx); ++xx)
            sum += xi[(size_t(yy) * W + xx) * 4 + 3], ++count;
        if (count == 0) continue;
        double* p = &y[((size_t(i) * h + r) * w + c) * 4];
        if (sum >= 0.75 * count) p[3] = 1.0;
        else if (sum <= 0.25 * count) p[3] = 0.0;
      }
  }
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i = 0; i < n; ++i)
    for (int r = 0; r < h; ++r) {
      const double* xi = &x[size_t(i) * size_t(H) * W * 4];
      const int sy = shift[size_t(i) * 2], sx = shift[size_t(i) * 2 + 1];
      // the cell's pixels that have any alpha, as float planes (the only ones that weigh)
      std::vector<float> q0(size_t(scale) * scale), q1(q0.size()), q2(q0.size()), qa(q0.size());
      for (int c = 0; c < w; ++c) {
        double* p = &y[((size_t(i) * h + r) * w + c) * 4];
        if (p[3] < 0.5) continue;
        const int y0 = std::clamp(r * scale + sy, 0, H), y1 = std::clamp((r + 1) * scale + sy, 0, H);
        const int x0 = std::clamp(c * scale + sx, 0, W), x1 = std::clamp((c + 1) * scale + sx, 0, W);
        int m = 0;
        // the cell's middle weighs most: JPEG's chroma and resampling bleed the neighbours'
        // colours into its edges, more the fewer input pixels a cell had
        auto middle = [](int v, int a, int b) {
          const float t = (2.f * (float(v - a) + 0.5f) / float(b - a) - 1.f);
          return 0.25f + 0.75f * (1.f - t * t);
        };
        for (int yy = y0; yy < y1; ++yy)
          for (int xx = x0; xx < x1; ++xx)
            if (const double* q = &xi[(size_t(yy) * W + xx) * 4]; q[3] > 0)
              q0[size_t(m)] = float(q[0]), q1[size_t(m)] = float(q[1]), q2[size_t(m)] = float(q[2]),
              qa[size_t(m++)] = float(q[3]) * middle(yy, y0, y1) * middle(xx, x0, x1);
        // Gaussian-weighted sums around `e` with 1 / (2 sigma^2) = inv2s2: weight, then the
        // weighted colour (mean shift) or the weighted squared deviation (spread)
        auto sums = [&](const float* e, float inv2s2, bool deviation, float* acc) {
          float w0 = 0, s0 = 0, s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : w0, s0, s1, s2)
          for (int k = 0; k < m; ++k) {
            const float d0 = q0[size_t(k)] - e[0], d1 = q1[size_t(k)] - e[1], d2 = q2[size_t(k)] - e[2];
            const float wt = qa[size_t(k)] * exp_neg(-(d0 * d0 + d1 * d1 + d2 * d2) * inv2s2);
            w0 += wt;
            s0 += wt * (deviation ? d0 * d0 : q0[size_t(k)]);
            s1 += wt * (deviation ? d1 * d1 : q1[size_t(k)]);
            s2 += wt * (deviation ? d2 * d2 : q2[size_t(k)]);
          }
          acc[0] = w0, acc[1] = s0, acc[2] = s1, acc[3] = s2;
        };
        // five mean-shift steps from `start`; false where too little input is near the estimate
        auto mode = [&](const double* start, float* est, double* wsum) {
          for (int k = 0; k < 3; ++k) est[k] = float(std::clamp(start[k], 0.0, 1.0));
          for (int it = 0; it < 5; ++it) {
            const double sigma = std::max(0.16 * std::pow(0.6, it), 0.045);
            float acc[4];
            sums(est, float(1.0 / (2 * sigma * sigma)), false, acc);
            *wsum = acc[0];
            if (*wsum < min_weight) return false;
            for (int k = 0; k < 3; ++k) est[k] = acc[k + 1] / acc[0];
          }
          return true;
        };
        // how far the cell's colours near the mode lie from it: the weighted RMS deviation in
        // the largest channel, under the last (narrowest) colour kernel
        auto spread = [&](const float* est) {
          float acc[4];
          sums(est, float(1.0 / (2 * 0.045 * 0.045)), true, acc);
          return std::sqrt(double(std::max({acc[1], acc[2], acc[3]})) / std::max(double(acc[0]), 1e-12));
        };
        float est[3];
        double wsum = 0;
        if (!mode(p, est, &wsum)) {
          // The prediction is far from every colour in the cell: start again from the cell's
          // median colour, and take the mode found if it holds at least 30% of the cell.
          std::vector<double> v[3];
          for (int yy = y0; yy < y1; ++yy)
            for (int xx = x0; xx < x1; ++xx)
              if (const double* q = &xi[(size_t(yy) * W + xx) * 4]; q[3] >= 0.5)
                for (int k = 0; k < 3; ++k) v[k].push_back(q[k]);
          if (v[0].empty()) continue;
          double med[3];
          for (int k = 0; k < 3; ++k) {
            std::nth_element(v[k].begin(), v[k].begin() + long(v[k].size() / 2), v[k].end());
            med[k] = v[k][v[k].size() / 2];
          }
          if (!mode(med, est, &wsum) || wsum < fallback_weight) continue;
        }
        for (int k = 0; k < 3; ++k) p[k] = est[k];
        support[(size_t(i) * h + r) * w + c] = wsum;
        tolerance[(size_t(i) * h + r) * w + c] = std::min(16.0 / 255.0, 2.0 * spread(est));
      }
    }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) pool_palette(&y[size_t(i) * h * w * 4], &support[size_t(i) * h * w], &tolerance[size_t(i) * h * w], h * w);
}

double cell_noise(const std::vector<double>& y, const std::vector<double>& x, int h, int w, int scale) {
  std::vector<double> spreads;
  const size_t W = size_t(w) * scale;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      if (y[(size_t(r) * w + c) * 4 + 3] < 0.5) continue;
      double worst = 0;
      for (int k = 0; k < 3; ++k) {
        double s1 = 0, s2 = 0;
        int n = 0;
        for (int yy = r * scale + scale / 4; yy < r * scale + 3 * scale / 4; ++yy)
          for (int xx = c * scale + scale / 4; xx < c * scale + 3 * scale / 4; ++xx) {
            const double v = x[(size_t(yy) * W + size_t(xx)) * 4 + size_t(k)];
            s1 += v, s2 += v * v, ++n;
          }
        if (n) worst = std::max(worst, std::sqrt(std::max(0.0, s2 / n - (s1 / n) * (s1 / n))));
      }
      spreads.push_back(worst);
    }
  if (spreads.empty()) return 0.0;
  std::nth_element(spreads.begin(), spreads.begin() + long(spreads.size() / 2), spreads.end());
  return spreads[spreads.size() / 2];
}

void snap_boundary_chroma(std::vector<double>& y, int h, int w) {
  constexpr double kUniform = 12.0 / 255, kPool = 10.0 / 255, kAlready = 8.0 / 255, kLuma = 6.0 / 255, kChroma = 20.0 / 255;
  auto at = [&](int r, int c) { return &y[(size_t(r) * w + size_t(c)) * 4]; };
  auto luma = [](const double* p) { return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]; };
  auto cb = [](const double* p) { return -0.168736 * p[0] - 0.331264 * p[1] + 0.5 * p[2]; };
  auto cr = [](const double* p) { return 0.5 * p[0] - 0.418688 * p[1] - 0.081312 * p[2]; };
  auto within = [](const double* a, const double* b, double tol) {
    for (int k = 0; k < 3; ++k)
      if (std::abs(a[k] - b[k]) > tol) return false;
    return true;
  };
  struct Colour {
    double c[3];
    int n;
  };
  std::vector<Colour> palette;
  std::vector<uint8_t> interior(size_t(h) * w, 0);
  for (int r = 1; r + 1 < h; ++r)
    for (int c = 1; c + 1 < w; ++c) {
      const double* p = at(r, c);
      bool uniform = p[3] >= 0.5;
      for (int dr = -1; dr <= 1 && uniform; ++dr)
        for (int dc = -1; dc <= 1 && uniform; ++dc) uniform = at(r + dr, c + dc)[3] >= 0.5 && within(at(r + dr, c + dc), p, kUniform);
      if (!uniform) continue;
      interior[size_t(r) * w + size_t(c)] = 1;
      auto it = std::find_if(palette.begin(), palette.end(), [&](const Colour& e) { return within(e.c, p, kPool); });
      if (it == palette.end()) {
        palette.push_back(Colour{{p[0], p[1], p[2]}, 1});
      } else {
        for (int k = 0; k < 3; ++k) it->c[k] = (it->c[k] * it->n + p[k]) / (it->n + 1);
        ++it->n;
      }
    }
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      double* p = at(r, c);
      if (p[3] < 0.5 || interior[size_t(r) * w + size_t(c)]) continue;
      const Colour* best = nullptr;
      double best_d = kChroma;
      bool already = false;
      for (const Colour& e : palette) {
        if (e.n < 2) continue;
        already = already || within(e.c, p, kAlready);
        if (std::abs(luma(e.c) - luma(p)) > kLuma) continue;
        const double d = std::hypot(cb(e.c) - cb(p), cr(e.c) - cr(p));
        if (d <= best_d) best_d = d, best = &e;
      }
      if (best && !already)
        for (int k = 0; k < 3; ++k) p[k] = best->c[k];
    }
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
