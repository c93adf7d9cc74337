// kernels/pool.h — 2x2 stride-2 max-pool, per-output-element math shared by the CPU loop
// (pool_cpu.cpp) and the CUDA kernel (pool.cu).
//
// Ties: the first maximum in row-major window order wins (window index 0=top-left, 1=top-right,
// 2=bottom-left, 3=bottom-right), as in PyTorch. A NaN wins over any number (it propagates); of
// several NaNs the last wins, again as PyTorch's `val > max || isnan(val)`.
//   input  window   values      output  argmax
//   [a b]           [1 1]   ->  1       0        (tie: the first, a)
//   [c d]           [1 1]
#pragma once
#include "common.h"

namespace pixelart::kernels {

struct PoolShape {
  int64_t N, H, W, C;  // input, NHWC
  PA_HD int64_t Ho() const { return H / 2; }
  PA_HD int64_t Wo() const { return W / 2; }
  PA_HD int64_t out_numel() const { return N * Ho() * Wo() * C; }
};

// Offset (in elements) of window position k relative to the window's top-left element.
PA_HD int64_t pool_window_offset(int k, int64_t W, int64_t C) {
  return (k & 1) * C + (k >> 1) * W * C;
}
// Flat input index of the top-left element of the window of output element `o` (NHWC flat).
PA_HD int64_t pool_window_base(int64_t o, const PoolShape& s) {
  const int64_t c = o % s.C;
  int64_t r = o / s.C;
  const int64_t ox = r % s.Wo();
  r /= s.Wo();
  const int64_t oy = r % s.Ho();
  const int64_t n = r / s.Ho();
  return ((n * s.H + 2 * oy) * s.W + 2 * ox) * s.C + c;
}

// The tie rule, on the four values of one window in row-major order (v00, v01, v10, v11):
// returns the maximum and writes its window index to `arg`. Written as selects without
// short-circuits so that the CPU loop over channels vectorises (with -fno-trapping-math) and the
// threads of a GPU warp never diverge.
template <class T>
PA_HD void maxpool2x2_take(T v, int k, T& best, int& bi) {
  // strict '>' keeps the first of equal maxima; a NaN always takes over (PyTorch's rule:
  // `val > max || isnan(val)`, so the last NaN of a window wins)
  const bool take = (v > best) | (v != v);
  best = take ? v : best;
  bi = take ? k : bi;
}
template <class T>
PA_HD T maxpool2x2_select(T v0, T v1, T v2, T v3, uint8_t& arg) {
  T best = v0;
  int bi = 0;
  maxpool2x2_take(v1, 1, best, bi);
  maxpool2x2_take(v2, 2, best, bi);
  maxpool2x2_take(v3, 3, best, bi);
  arg = static_cast<uint8_t>(bi);
  return best;
}

// The window whose top-left input element is x[base] (row stride W*C, column stride C).
template <class T>
PA_HD void maxpool2x2_window(const T* x, int64_t base, int64_t W, int64_t C, T* y, uint8_t* arg) {
  *y = maxpool2x2_select(x[base], x[base + C], x[base + W * C], x[base + W * C + C], *arg);
}

// One output element `o` (NHWC flat index), as the CUDA kernel visits them.
template <class T>
PA_HD void maxpool2x2_forward_elem(const T* x, int64_t o, const PoolShape& s, T* y, uint8_t* arg) {
  maxpool2x2_window(x, pool_window_base(o, s), s.W, s.C, y + o, arg + o);
}

// Backward, gather-free: each output sends its gradient to exactly one input; windows do not
// overlap, so there are no write conflicts. dx accumulates (+=).
template <class T>
PA_HD void maxpool2x2_backward_elem(const T* dy, const uint8_t* arg, int64_t o, const PoolShape& s,
                                    T* dx) {
  const int64_t base = pool_window_base(o, s);
  dx[base + pool_window_offset(arg[o], s.W, s.C)] += dy[o];
}

}  // namespace pixelart::kernels
