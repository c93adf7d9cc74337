// kernels/adam.cu — one launch updates the whole parameter arena (kernels/adam.h).
// CPU twin: adam_cpu.cpp. The clip factor is derived on the device from the reduced sum of
// squares, so a training step never waits for the host.
#include "cuda_launch.cuh"
#include "cuda_ops.h"

namespace pixelart::cuda {
using namespace pixelart::kernels;

namespace {
__global__ void k_adam(float* p, float* m, float* v, const float* g, int64_t n, const float* sumsq,
                       AdamParams a) {
  const float scale = clip_scale(sumsq[0], a.clip_norm);
  PA_GRID_STRIDE(i, n)
    adam_elem(p[i], m[i], v[i], g[i], scale, i < a.decay_end, a);
}
}  // namespace

void adam(float* p, float* m, float* v, const float* g, int64_t n, const float* sumsq,
          const AdamParams& a) {
  k_adam<<<grid_for(n, 4096), kThreads>>>(p, m, v, g, n, sumsq, a);
  PA_CUDA_CHECK_LAUNCH();
}

}  // namespace pixelart::cuda
