// kernels/cpu_ops.h — the CPU loops of the hand-written kernels (OpenMP), each over the shared
// per-element math of its header. Raw pointers and small parameter structs only.
#pragma once
#include <cstdint>

#include "adam.h"
#include "loss.h"
#include "pool.h"

namespace pixelart::kernels {

// Row-major GEMM, C = alpha op(A) op(B) + beta C, through CBLAS (float and double).
template <class T>
void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
              int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

template <class T> void maxpool2x2_forward_cpu(const T* x, T* y, uint8_t* arg, const PoolShape& s);
template <class T> void maxpool2x2_backward_cpu(const T* dy, const uint8_t* arg, T* dx, const PoolShape& s);

template <class T> void sigmoid_forward_cpu(const T* x, T* y, int64_t n);
template <class T> void sigmoid_backward_cpu(const T* y, const T* dy, T* dx, int64_t n);  // dx +=
template <class T> void relu_forward_cpu(const T* x, T* y, int64_t n);
template <class T> void relu_backward_cpu(const T* y, const T* dy, T* dx, int64_t n);     // dx +=
// y[p, c] += b[c] for p < rows
template <class T> void add_bias_rows_cpu(T* y, const T* b, int64_t rows, int64_t cols);
// db[c] += sum_p dy[p, c]
template <class T> void sum_rows_cpu(const T* dy, T* db, int64_t rows, int64_t cols);
template <class T> void axpy_cpu(T alpha, const T* x, T* y, int64_t n);                   // y += a x
// out[0] = sum x*w (double accumulation)
template <class T> void weighted_sum_cpu(const T* x, const T* w, T* out, int64_t n);
template <class T> void fill_cpu(T* y, T value, int64_t n);
// y[n, r, c, k] = h[n, r, c, k] + x[n, r + m, c + m, k]; h is [n, H, W, C], x [n, H + 2m, W + 2m, C].
template <class T> void add_center_crop_cpu(const T* h, const T* x, T* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t m);
// Between x [n, H*S, W*S, C] and d [n, H, W, S*S*C] (unshuffle_index): to_depth reads x and
// writes d, otherwise reads d and writes x; `accumulate` adds instead of storing (gradients).
template <class T>
void space_depth_cpu(const T* src, T* dst, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool to_depth, bool accumulate);
// y = a less the S x S block means of a - b (b may be null), over [n, H, W, C] (project_block_unit).
template <class T>
void project_blocks_cpu(const T* a, const T* b, T* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool accumulate);
// In place over `pixels` RGBA pixels.
void premultiply_cpu(float* v, int64_t pixels);
void unpremultiply_cpu(float* v, int64_t pixels);
// Resamples n RGBA images [sh, sw] -> [dh, dw] with a kernels::Filter (OpenCV's conventions).
void resize_batch_cpu(const float* src, float* dst, int n, int sh, int sw, int dh, int dw, int filter);

// terms[k] = mean of term k; total[0] = sum_k weight_k terms[k].
template <class T>
void loss_forward_cpu(const T* p, const T* t, const LossShape& s, const double weights[kLossTerms],
                      T* terms, T* total);
// dp += gout[0] * d(total)/dp
template <class T>
void loss_backward_cpu(const T* p, const T* t, const LossShape& s, const LossCoef& coef,
                       const T* gout, T* dp);

template <class T> void sumsq_cpu(const T* x, int64_t n, T* out);  // out[0] = sum x^2
template <class T>
void adam_cpu(T* p, T* m, T* v, const T* g, int64_t n, const T* sumsq, const AdamParams& a);

}  // namespace pixelart::kernels
