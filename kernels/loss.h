// kernels/loss.h — the composite loss, per element: value contributions and gradient. Shared by
// loss_cpu.cpp and loss.cu. Terms (see include/pixelart/ops.h):
//   0 mse   (p-t)^2                 count N*H*W*C
//   1 l1    |p-t|                   count N*H*W*C
//   2 edge  (dp - dt)^2 over horizontal pairs (x,x+1) and vertical pairs (y,y+1);
//           count N*H*(W-1)*C + N*(H-1)*W*C; a pair is owned by its left / top element
//   3 alpha 4 a (1-a) on channel 3  count N*H*W
#pragma once
#include "common.h"

namespace pixelart::kernels {

constexpr int kLossTerms = 4;

struct LossShape {
  int64_t N, H, W, C;
  PA_HD int64_t numel() const { return N * H * W * C; }
};

struct LossCoef {  // weight_k / count_k (0 for an unused term); the gradient's per-term factors
  double c[kLossTerms];
};

template <class T>
PA_HD T sign_of(T d) { return d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0)); }

// Unnormalised contributions of element i to each term's sum.
template <class T>
PA_HD void loss_terms_elem(const T* p, const T* t, int64_t i, const LossShape& s, T out[kLossTerms]) {
  const int64_t c = i % s.C;
  const int64_t x = (i / s.C) % s.W;
  const int64_t y = (i / (s.C * s.W)) % s.H;
  const T d = p[i] - t[i];
  out[0] = d * d;
  out[1] = d < T(0) ? -d : d;
  T e = T(0);
  if (x + 1 < s.W) {
    const int64_t j = i + s.C;
    const T g = (p[j] - p[i]) - (t[j] - t[i]);
    e += g * g;
  }
  if (y + 1 < s.H) {
    const int64_t j = i + s.C * s.W;
    const T g = (p[j] - p[i]) - (t[j] - t[i]);
    e += g * g;
  }
  out[2] = e;
  out[3] = (c == 3) ? T(4) * p[i] * (T(1) - p[i]) : T(0);
}

// d(sum_k coef_k * term_k) / d p[i].
template <class T>
PA_HD T loss_grad_elem(const T* p, const T* t, int64_t i, const LossShape& s, const LossCoef& k) {
  const int64_t c = i % s.C;
  const int64_t x = (i / s.C) % s.W;
  const int64_t y = (i / (s.C * s.W)) % s.H;
  const T d = p[i] - t[i];
  T g = T(k.c[0]) * T(2) * d + T(k.c[1]) * sign_of(d);
  if (k.c[2] != 0.0) {
    T e = T(0);
    // pair (i, right) contributes -2 g_r; pair (left, i) contributes +2 g_l; same vertically.
    if (x + 1 < s.W) { const int64_t j = i + s.C;       e -= (p[j] - p[i]) - (t[j] - t[i]); }
    if (x > 0)       { const int64_t j = i - s.C;       e += (p[i] - p[j]) - (t[i] - t[j]); }
    if (y + 1 < s.H) { const int64_t j = i + s.C * s.W; e -= (p[j] - p[i]) - (t[j] - t[i]); }
    if (y > 0)       { const int64_t j = i - s.C * s.W; e += (p[i] - p[j]) - (t[i] - t[j]); }
    g += T(k.c[2]) * T(2) * e;
  }
  if (c == 3) g += T(k.c[3]) * T(4) * (T(1) - T(2) * p[i]);
  return g;
}

// Element counts of each term, for the means.
inline void loss_counts(const LossShape& s, double out[kLossTerms]) {
  out[0] = out[1] = static_cast<double>(s.numel());
  out[2] = static_cast<double>(s.N * s.H * (s.W - 1) * s.C + s.N * (s.H - 1) * s.W * s.C);
  out[3] = s.C == 4 ? static_cast<double>(s.N * s.H * s.W) : 0.0;
}

}  // namespace pixelart::kernels
