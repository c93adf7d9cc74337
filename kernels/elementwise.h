// kernels/elementwise.h — per-element math of the small ops, shared by elementwise_cpu.cpp and
// elementwise.cu: sigmoid, ReLU's backward mask, bias epilogue.
#pragma once
#include <cmath>

#include "common.h"

namespace pixelart::kernels {

// Numerically stable logistic: never evaluates exp of a large positive number.
//   sigmoid(x) = 1 / (1 + e^-x)          for x >= 0
//              = e^x / (1 + e^x)          for x <  0
template <class T>
PA_HD T sigmoid_fwd(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
// d sigmoid / dx = y (1 - y), written in terms of the saved output y.
template <class T>
PA_HD T sigmoid_bwd(T y, T dy) { return dy * y * (T(1) - y); }

template <class T>
PA_HD T relu_fwd(T x) { return x > T(0) ? x : T(0); }
// ReLU's backward from its saved output: the kink (y == 0) takes gradient 0.
template <class T>
PA_HD T relu_bwd(T y, T dy) { return y > T(0) ? dy : T(0); }

// Index into x [n, H + 2m, W + 2m, C] of the element at flat index i of h [n, H, W, C].
PA_HD int64_t center_crop_index(int64_t i, int64_t H, int64_t W, int64_t C, int64_t m) {
  const int64_t k = i % C, c = (i / C) % W, r = (i / (C * W)) % H, n = i / (C * W * H);
  return ((n * (H + 2 * m) + r + m) * (W + 2 * m) + c + m) * C + k;
}

// Space to depth by S: element i of d [n, H, W, S*S*C] (the blocked layout) is element
// unshuffle_index(i) of x [n, H*S, W*S, C]; channel (dy*S + dx)*C + c of block (Y, X) is pixel
// (Y*S + dy, X*S + dx), channel c. A permutation: pixel_unshuffle gathers with it, pixel_shuffle
// scatters, and each one's gradient is the other.
PA_HD int64_t unshuffle_index(int64_t i, int64_t H, int64_t W, int64_t C, int64_t S) {
  const int64_t CS = C * S * S, k = i % CS, X = (i / CS) % W, Y = (i / (CS * W)) % H, n = i / (CS * W * H);
  const int64_t c = k % C, d = k / C, dx = d % S, dy = d / S;
  return ((n * H * S + Y * S + dy) * (W * S) + X * S + dx) * C + c;
}

// Block projection by S on [n, H, W, C] (H, W multiples of S): unit u = ((n * H/S + Y) * W/S + X) * C + c
// is channel c of the S x S block (Y, X); it sets y to a less the block's mean of a - b (b may be
// null: the mean of a), so that y's block mean is b's. Linear in a, symmetric, idempotent: its own
// adjoint, so the gradient (b null) is the same unit. `accumulate` adds to y instead of storing.
template <class T>
PA_HD void project_block_unit(const T* a, const T* b, T* y, int64_t u, int64_t H, int64_t W, int64_t C, int64_t S,
                              bool accumulate) {
  const int64_t c = u % C, X = (u / C) % (W / S), Y = (u / (C * (W / S))) % (H / S), n = u / (C * (W / S) * (H / S));
  const int64_t origin = ((n * H + Y * S) * W + X * S) * C + c;
  T mean = T(0);
  for (int64_t dy = 0; dy < S; ++dy)
    for (int64_t dx = 0; dx < S; ++dx) {
      const int64_t i = origin + (dy * W + dx) * C;
      mean += b ? a[i] - b[i] : a[i];
    }
  mean /= T(S * S);
  for (int64_t dy = 0; dy < S; ++dy)
    for (int64_t dx = 0; dx < S; ++dx) {
      const int64_t i = origin + (dy * W + dx) * C;
      y[i] = (accumulate ? y[i] : T(0)) + a[i] - mean;
    }
}

// Premultiplied alpha (RGBA, 4 values): colour is learnt and resampled as c * a, so transparent
// pixels carry no colour into their neighbours (no fringes); un-premultiplying divides back where
// alpha is above 1/512 and leaves transparent pixels black.
template <class T>
PA_HD void premultiply_px(T* v) {
  const T a = v[3] < T(0) ? T(0) : (v[3] > T(1) ? T(1) : v[3]);
  for (int c = 0; c < 3; ++c) v[c] *= a;
}
template <class T>
PA_HD void unpremultiply_px(T* v) {
  const T a = v[3] < T(0) ? T(0) : (v[3] > T(1) ? T(1) : v[3]);
  for (int c = 0; c < 3; ++c) {
    const T x = a > T(1.0 / 512) ? v[c] / a : T(0);
    v[c] = x < T(0) ? T(0) : (x > T(1) ? T(1) : x);
  }
  v[3] = a;
}

}  // namespace pixelart::kernels
