// kernels/pool.cu — CUDA launches over kernels/pool.h. CPU twin: pool_cpu.cpp.
#include "cuda_launch.cuh"
#include "cuda_ops.h"

namespace pixelart::cuda {
using namespace pixelart::kernels;

namespace {
__global__ void k_pool_f(const float* x, float* y, uint8_t* arg, PoolShape s) {
  const int64_t n = s.out_numel();
  PA_GRID_STRIDE(o, n)
    maxpool2x2_forward_elem(x, o, s, y, arg);
}
__global__ void k_pool_b(const float* dy, const uint8_t* arg, float* dx, PoolShape s) {
  const int64_t n = s.out_numel();
  PA_GRID_STRIDE(o, n)
    maxpool2x2_backward_elem(dy, arg, o, s, dx);
}
}  // namespace

void maxpool2x2_forward(const float* x, float* y, uint8_t* arg, const PoolShape& s) {
  k_pool_f<<<grid_for(s.out_numel()), kThreads>>>(x, y, arg, s);
  PA_CUDA_CHECK_LAUNCH();
}
void maxpool2x2_backward(const float* dy, const uint8_t* arg, float* dx, const PoolShape& s) {
  k_pool_b<<<grid_for(s.out_numel()), kThreads>>>(dy, arg, dx, s);
  PA_CUDA_CHECK_LAUNCH();
}

}  // namespace pixelart::cuda
