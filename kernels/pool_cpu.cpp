// kernels/pool_cpu.cpp — CPU loops over kernels/pool.h. CUDA twin: pool.cu.
#include "cpu_ops.h"

namespace pixelart::kernels {

// Walks output rows, so window bases follow from the loop indices (no per-element divisions).
template <class T>
void maxpool2x2_forward_cpu(const T* __restrict x, T* __restrict y, uint8_t* __restrict arg,
                            const PoolShape& s) {
  const int64_t Ho = s.Ho(), Wo = s.Wo(), C = s.C, W = s.W;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy) {
      const int64_t out_row = ((n * Ho + oy) * Wo) * C;
      const int64_t in_row = ((n * s.H + 2 * oy) * W) * C;
      for (int64_t ox = 0; ox < Wo; ++ox) {
        const T* r0 = x + in_row + 2 * ox * C;  // the window's top row
        const T* r1 = r0 + W * C;                // and its bottom row
        T* yo = y + out_row + ox * C;
        uint8_t* ao = arg + out_row + ox * C;
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) yo[c] = maxpool2x2_select(r0[c], r0[C + c], r1[c], r1[C + c], ao[c]);
      }
    }
}

template <class T>
void maxpool2x2_backward_cpu(const T* dy, const uint8_t* arg, T* dx, const PoolShape& s) {
  const int64_t Ho = s.Ho(), Wo = s.Wo(), C = s.C;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy) {
      const int64_t out_row = ((n * Ho + oy) * Wo) * C;
      const int64_t in_row = ((n * s.H + 2 * oy) * s.W) * C;
      for (int64_t ox = 0; ox < Wo; ++ox)
        for (int64_t c = 0; c < C; ++c) {
          const int64_t o = out_row + ox * C + c;
          dx[in_row + 2 * ox * C + c + pool_window_offset(arg[o], s.W, C)] += dy[o];
        }
    }
}

template void maxpool2x2_forward_cpu<float>(const float*, float*, uint8_t*, const PoolShape&);
template void maxpool2x2_forward_cpu<double>(const double*, double*, uint8_t*, const PoolShape&);
template void maxpool2x2_backward_cpu<float>(const float*, const uint8_t*, float*, const PoolShape&);
template void maxpool2x2_backward_cpu<double>(const double*, const uint8_t*, double*, const PoolShape&);

}  // namespace pixelart::kernels
