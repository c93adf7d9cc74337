// kernels/elementwise_cpu.cpp — CPU loops over kernels/elementwise.h. CUDA twin: elementwise.cu.
#include <vector>

#include <omp.h>

#include "cpu_ops.h"
#include "elementwise.h"

namespace pixelart::kernels {

template <class T>
void sigmoid_forward_cpu(const T* x, T* y, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = sigmoid_fwd(x[i]);
}
template <class T>
void sigmoid_backward_cpu(const T* y, const T* dy, T* dx, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] += sigmoid_bwd(y[i], dy[i]);
}
template <class T>
void relu_forward_cpu(const T* x, T* y, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = relu_fwd(x[i]);
}
template <class T>
void relu_backward_cpu(const T* y, const T* dy, T* dx, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] += relu_bwd(y[i], dy[i]);
}
template <class T>
void add_bias_rows_cpu(T* y, const T* b, int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] += b[c];
}
// Column sums with per-thread partials combined in thread order (deterministic for a fixed
// thread count).
template <class T>
void sum_rows_cpu(const T* dy, T* db, int64_t rows, int64_t cols) {
  const int nt = omp_get_max_threads();
  std::vector<double> part(static_cast<size_t>(nt * cols), 0.0);
#pragma omp parallel num_threads(nt)
  {
    double* acc = part.data() + omp_get_thread_num() * cols;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) acc[c] += dy[r * cols + c];
  }
  for (int t = 0; t < nt; ++t)
    for (int64_t c = 0; c < cols; ++c) db[c] += static_cast<T>(part[t * cols + c]);
}
template <class T>
void axpy_cpu(T alpha, const T* x, T* y, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}
template <class T>
void weighted_sum_cpu(const T* x, const T* w, T* out, int64_t n) {
  double acc = 0.0;
#pragma omp parallel for reduction(+ : acc) schedule(static)
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * static_cast<double>(w[i]);
  out[0] = static_cast<T>(acc);
}
template <class T>
void fill_cpu(T* y, T value, int64_t n) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

template <class T>
void add_center_crop_cpu(const T* h, const T* x, T* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t m) {
  // center_crop_index by rows: each output row of W * C elements is contiguous in x too
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t r = 0; r < H; ++r) {
      const int64_t o = (b * H + r) * W * C, from = ((b * (H + 2 * m) + r + m) * (W + 2 * m) + m) * C;
#pragma omp simd
      for (int64_t k = 0; k < W * C; ++k) y[o + k] = h[o + k] + x[from + k];
    }
}
template void add_center_crop_cpu<float>(const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t);
template void add_center_crop_cpu<double>(const double*, const double*, double*, int64_t, int64_t, int64_t, int64_t, int64_t);

template <class T>
void space_depth_cpu(const T* src, T* dst, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool to_depth, bool accumulate) {
  // unshuffle_index's permutation by loops rather than per-element divisions: each block's
  // S*S pixels, each a run of C channels contiguous on both sides. One to one, so no races.
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t Y = 0; Y < H; ++Y)
      for (int64_t X = 0; X < W; ++X)
        for (int64_t dy = 0; dy < S; ++dy)
          for (int64_t dx = 0; dx < S; ++dx) {
            const int64_t i = (((b * H + Y) * W + X) * S * S + dy * S + dx) * C;  // the blocked layout
            const int64_t j = ((b * H * S + Y * S + dy) * (W * S) + X * S + dx) * C;  // the pixels
            const T* from = src + (to_depth ? j : i);
            T* to = dst + (to_depth ? i : j);
            if (accumulate)
              for (int64_t c = 0; c < C; ++c) to[c] += from[c];
            else
              for (int64_t c = 0; c < C; ++c) to[c] = from[c];
          }
}
template void space_depth_cpu<float>(const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool);
template void space_depth_cpu<double>(const double*, double*, int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool);

template <class T>
void project_blocks_cpu(const T* a, const T* b, T* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool accumulate) {
  const int64_t units = n * (H / S) * (W / S) * C;
#pragma omp parallel for schedule(static)
  for (int64_t u = 0; u < units; ++u) project_block_unit(a, b, y, u, H, W, C, S, accumulate);  // blocks are disjoint
}
template void project_blocks_cpu<float>(const float*, const float*, float*, int64_t, int64_t, int64_t, int64_t, int64_t, bool);
template void project_blocks_cpu<double>(const double*, const double*, double*, int64_t, int64_t, int64_t, int64_t, int64_t, bool);

void premultiply_cpu(float* v, int64_t pixels) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < pixels; ++i) premultiply_px(v + i * 4);
}
void unpremultiply_cpu(float* v, int64_t pixels) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < pixels; ++i) unpremultiply_px(v + i * 4);
}

#define PA_INSTANTIATE(T)                                                  \
  template void sigmoid_forward_cpu<T>(const T*, T*, int64_t);             \
  template void sigmoid_backward_cpu<T>(const T*, const T*, T*, int64_t);  \
  template void relu_forward_cpu<T>(const T*, T*, int64_t);                \
  template void relu_backward_cpu<T>(const T*, const T*, T*, int64_t);     \
  template void add_bias_rows_cpu<T>(T*, const T*, int64_t, int64_t);      \
  template void sum_rows_cpu<T>(const T*, T*, int64_t, int64_t);           \
  template void axpy_cpu<T>(T, const T*, T*, int64_t);                     \
  template void weighted_sum_cpu<T>(const T*, const T*, T*, int64_t);      \
  template void fill_cpu<T>(T*, T, int64_t);
PA_INSTANTIATE(float)
PA_INSTANTIATE(double)
#undef PA_INSTANTIATE

}  // namespace pixelart::kernels
