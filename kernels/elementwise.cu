// kernels/elementwise.cu — CUDA launches over kernels/elementwise.h. CPU twin: elementwise_cpu.cpp.
#include "cuda_launch.cuh"
#include "cuda_ops.h"
#include "elementwise.h"

namespace pixelart::cuda {
using namespace pixelart::kernels;

namespace {
template <class T> __global__ void k_fill(T* y, T v, int64_t n) { PA_GRID_STRIDE(i, n) y[i] = v; }
__global__ void k_to_bf16(const float* x, uint16_t* y, int64_t n) { PA_GRID_STRIDE(i, n) y[i] = kernels::f32_to_bf16(x[i]); }
__global__ void k_from_bf16(const uint16_t* x, float* y, int64_t n) { PA_GRID_STRIDE(i, n) y[i] = kernels::bf16_to_f32(x[i]); }
__global__ void k_sigmoid_f(const float* x, float* y, int64_t n) { PA_GRID_STRIDE(i, n) y[i] = sigmoid_fwd(x[i]); }
__global__ void k_sigmoid_b(const float* y, const float* dy, float* dx, int64_t n) { PA_GRID_STRIDE(i, n) dx[i] += sigmoid_bwd(y[i], dy[i]); }
__global__ void k_relu_f(const float* x, float* y, int64_t n) { PA_GRID_STRIDE(i, n) y[i] = relu_fwd(x[i]); }
__global__ void k_relu_b(const float* y, const float* dy, float* dx, int64_t n) { PA_GRID_STRIDE(i, n) dx[i] += relu_bwd(y[i], dy[i]); }
__global__ void k_relu_mask(const float* y, const float* dy, float* dz, int64_t n) { PA_GRID_STRIDE(i, n) dz[i] = relu_bwd(y[i], dy[i]); }
__global__ void k_add_bias(float* y, const float* b, int64_t rows, int64_t cols) { PA_GRID_STRIDE(i, rows * cols) y[i] += b[i % cols]; }
__global__ void k_axpy(float a, const float* x, float* y, int64_t n) { PA_GRID_STRIDE(i, n) y[i] += a * x[i]; }
// One thread per column walks the rows: coalesced across the threads of a warp, deterministic.
__global__ void k_add_crop(const float* h, const float* x, float* y, int64_t total, int64_t H, int64_t W, int64_t C, int64_t m) {
  PA_GRID_STRIDE(i, total) y[i] = h[i] + x[center_crop_index(i, H, W, C, m)];
}
// One thread per element of the blocked layout; consecutive threads read or write consecutive
// channels of one pixel, so both sides stay coalesced in runs of C.
__global__ void k_space_depth(const float* src, float* dst, int64_t total, int64_t H, int64_t W, int64_t C, int64_t S,
                              bool to_depth, bool accumulate) {
  PA_GRID_STRIDE(i, total) {
    const int64_t j = unshuffle_index(i, H, W, C, S);
    const int64_t from = to_depth ? j : i, to = to_depth ? i : j;
    dst[to] = accumulate ? dst[to] + src[from] : src[from];
  }
}
// One thread per block and channel (the block's S*S reads and writes are its own).
__global__ void k_project_blocks(const float* a, const float* b, float* y, int64_t units, int64_t H, int64_t W, int64_t C,
                                 int64_t S, bool accumulate) {
  PA_GRID_STRIDE(u, units) project_block_unit(a, b, y, u, H, W, C, S, accumulate);
}
__global__ void k_premul(float* v, int64_t n) { PA_GRID_STRIDE(i, n) premultiply_px(v + i * 4); }
__global__ void k_unpremul(float* v, int64_t n) { PA_GRID_STRIDE(i, n) unpremultiply_px(v + i * 4); }
__global__ void k_sum_rows(const float* dy, float* db, int64_t rows, int64_t cols) {
  const int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (c >= cols) return;
  float acc = 0.f;
  for (int64_t r = 0; r < rows; ++r) acc += dy[r * cols + c];
  db[c] += acc;
}
__global__ void k_dot_partial(const float* x, const float* w, float* part, int64_t n) {
  float acc = 0.f;
  PA_GRID_STRIDE(i, n) acc += x[i] * w[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}
__global__ void k_sum_partials(const float* part, int nparts, float* out) {
  float acc = 0.f;
  for (int i = threadIdx.x; i < nparts; i += blockDim.x) acc += part[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[0] = acc;
}
}  // namespace

void fill_f32(float* y, float v, int64_t n) { k_fill<<<grid_for(n), kThreads>>>(y, v, n); PA_CUDA_CHECK_LAUNCH(); }
void fill_u16(uint16_t* y, uint16_t v, int64_t n) { k_fill<<<grid_for(n), kThreads>>>(y, v, n); PA_CUDA_CHECK_LAUNCH(); }
void f32_to_bf16(const float* x, uint16_t* y, int64_t n) { k_to_bf16<<<grid_for(n), kThreads>>>(x, y, n); PA_CUDA_CHECK_LAUNCH(); }
void bf16_to_f32(const uint16_t* x, float* y, int64_t n) { k_from_bf16<<<grid_for(n), kThreads>>>(x, y, n); PA_CUDA_CHECK_LAUNCH(); }
void sigmoid_forward(const float* x, float* y, int64_t n) { k_sigmoid_f<<<grid_for(n), kThreads>>>(x, y, n); PA_CUDA_CHECK_LAUNCH(); }
void sigmoid_backward(const float* y, const float* dy, float* dx, int64_t n) { k_sigmoid_b<<<grid_for(n), kThreads>>>(y, dy, dx, n); PA_CUDA_CHECK_LAUNCH(); }
void relu_forward(const float* x, float* y, int64_t n) { k_relu_f<<<grid_for(n), kThreads>>>(x, y, n); PA_CUDA_CHECK_LAUNCH(); }
void relu_backward(const float* y, const float* dy, float* dx, int64_t n) { k_relu_b<<<grid_for(n), kThreads>>>(y, dy, dx, n); PA_CUDA_CHECK_LAUNCH(); }
void relu_mask(const float* y, const float* dy, float* dz, int64_t n) { k_relu_mask<<<grid_for(n), kThreads>>>(y, dy, dz, n); PA_CUDA_CHECK_LAUNCH(); }
void add_bias_rows(float* y, const float* b, int64_t rows, int64_t cols) { k_add_bias<<<grid_for(rows * cols), kThreads>>>(y, b, rows, cols); PA_CUDA_CHECK_LAUNCH(); }
void sum_rows(const float* dy, float* db, int64_t rows, int64_t cols) { k_sum_rows<<<grid_for(cols), kThreads>>>(dy, db, rows, cols); PA_CUDA_CHECK_LAUNCH(); }
void axpy(float a, const float* x, float* y, int64_t n) { k_axpy<<<grid_for(n), kThreads>>>(a, x, y, n); PA_CUDA_CHECK_LAUNCH(); }
void add_center_crop(const float* h, const float* x, float* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t m) {
  const int64_t total = n * H * W * C;
  k_add_crop<<<grid_for(total), kThreads>>>(h, x, y, total, H, W, C, m);
  PA_CUDA_CHECK_LAUNCH();
}
void space_depth(const float* src, float* dst, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool to_depth, bool accumulate) {
  const int64_t total = n * H * W * C * S * S;
  k_space_depth<<<grid_for(total), kThreads>>>(src, dst, total, H, W, C, S, to_depth, accumulate);
  PA_CUDA_CHECK_LAUNCH();
}
void project_blocks(const float* a, const float* b, float* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool accumulate) {
  const int64_t units = n * (H / S) * (W / S) * C;
  k_project_blocks<<<grid_for(units), kThreads>>>(a, b, y, units, H, W, C, S, accumulate);
  PA_CUDA_CHECK_LAUNCH();
}
void premultiply(float* v, int64_t pixels) { k_premul<<<grid_for(pixels), kThreads>>>(v, pixels); PA_CUDA_CHECK_LAUNCH(); }
void unpremultiply(float* v, int64_t pixels) { k_unpremul<<<grid_for(pixels), kThreads>>>(v, pixels); PA_CUDA_CHECK_LAUNCH(); }
void weighted_sum(const float* x, const float* w, float* out, int64_t n) {
  Scratch part(kReduceBlocks * sizeof(float));
  k_dot_partial<<<kReduceBlocks, kThreads>>>(x, w, part.as<float>(), n);
  PA_CUDA_CHECK_LAUNCH();
  k_sum_partials<<<1, kThreads>>>(part.as<float>(), kReduceBlocks, out);
  PA_CUDA_CHECK_LAUNCH();
}

}  // namespace pixelart::cuda
