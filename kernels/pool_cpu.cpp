// kernels/pool_cpu.cpp — CPU loops over kernels/pool.h. CUDA twin: pool.cu.
#include "cpu_ops.h"

namespace pixelart::kernels {

namespace {
// One output row: for each window the channels of its four pixels, selected lane by lane. `CC`,
// where it is not 0, is the channel count known at compile time: with few channels (the first
// block's 8) a runtime-length inner loop is left scalar, and its compares then branch on the data
// (random images mispredict half of them: 4x slower than the vector select).
template <class T, int CC>
void maxpool2x2_row(const T* __restrict r0, const T* __restrict r1, T* __restrict yo, uint8_t* __restrict ao,
                    int64_t Wo, int64_t channels) {
  const int64_t C = CC > 0 ? CC : channels;
  for (int64_t ox = 0; ox < Wo; ++ox) {
    const T* a = r0 + 2 * ox * C;  // the window's top row
    const T* b = r1 + 2 * ox * C;  // and its bottom row
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) yo[ox * C + c] = maxpool2x2_select(a[c], a[C + c], b[c], b[C + c], ao[ox * C + c]);
  }
}
}  // namespace

// Walks output rows, so window bases follow from the loop indices (no per-element divisions).
template <class T>
void maxpool2x2_forward_cpu(const T* __restrict x, T* __restrict y, uint8_t* __restrict arg,
                            const PoolShape& s) {
  const int64_t Ho = s.Ho(), Wo = s.Wo(), C = s.C, W = s.W;
  auto row = C == 4 ? maxpool2x2_row<T, 4> : C == 8 ? maxpool2x2_row<T, 8> : C == 16 ? maxpool2x2_row<T, 16> : maxpool2x2_row<T, 0>;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy) {
      const int64_t out_row = ((n * Ho + oy) * Wo) * C;
      const int64_t in_row = ((n * s.H + 2 * oy) * W) * C;
      row(x + in_row, x + in_row + W * C, y + out_row, arg + out_row, Wo, C);
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
