// kernels/loss.cu — CUDA launches over kernels/loss.h, and the squared norm (a dot product with
// itself, elementwise.cu). CPU twin: loss_cpu.cpp.
// Reductions are two-pass and deterministic: kReduceBlocks partials, then one block.
#include "cuda_launch.cuh"
#include "cuda_ops.h"

namespace pixelart::cuda {
using namespace pixelart::kernels;

namespace {
__global__ void k_loss_partial(const float* p, const float* t, LossShape s, float* part) {
  float acc[kLossTerms] = {0.f, 0.f, 0.f, 0.f};
  const int64_t n = s.numel();
  PA_GRID_STRIDE(i, n) {
    float c[kLossTerms];
    loss_terms_elem(p, t, i, s, c);
    for (int k = 0; k < kLossTerms; ++k) acc[k] += c[k];
  }
  for (int k = 0; k < kLossTerms; ++k) {
    const float v = block_sum(acc[k]);
    if (threadIdx.x == 0) part[k * gridDim.x + blockIdx.x] = v;
  }
}
struct LossFinal {
  double weights[kLossTerms];
  double counts[kLossTerms];
};
__global__ void k_loss_final(const float* part, int nparts, LossFinal f, float* terms, float* total) {
  double tot = 0.0;
  for (int k = 0; k < kLossTerms; ++k) {
    float acc = 0.f;
    for (int i = threadIdx.x; i < nparts; i += blockDim.x) acc += part[k * nparts + i];
    acc = block_sum(acc);
    if (threadIdx.x == 0) {
      const double mean = f.counts[k] > 0 ? acc / f.counts[k] : 0.0;
      terms[k] = static_cast<float>(mean);
      tot += f.weights[k] * mean;
    }
  }
  if (threadIdx.x == 0) total[0] = static_cast<float>(tot);
}
__global__ void k_loss_backward(const float* p, const float* t, LossShape s, LossCoef coef,
                                const float* gout, float* dp) {
  const float g = gout[0];
  const int64_t n = s.numel();
  PA_GRID_STRIDE(i, n)
    dp[i] += g * loss_grad_elem(p, t, i, s, coef);
}
}  // namespace

void loss_forward(const float* p, const float* t, const LossShape& s,
                  const double weights[kLossTerms], float* terms, float* total) {
  Scratch part(kLossTerms * kReduceBlocks * sizeof(float));
  k_loss_partial<<<kReduceBlocks, kThreads>>>(p, t, s, part.as<float>());
  PA_CUDA_CHECK_LAUNCH();
  LossFinal f{};
  loss_counts(s, f.counts);
  for (int k = 0; k < kLossTerms; ++k) f.weights[k] = weights[k];
  k_loss_final<<<1, kThreads>>>(part.as<float>(), kReduceBlocks, f, terms, total);
  PA_CUDA_CHECK_LAUNCH();
}

void loss_backward(const float* p, const float* t, const LossShape& s, const LossCoef& coef,
                   const float* gout, float* dp) {
  k_loss_backward<<<grid_for(s.numel()), kThreads>>>(p, t, s, coef, gout, dp);
  PA_CUDA_CHECK_LAUNCH();
}

void sumsq(const float* x, int64_t n, float* out) { weighted_sum(x, x, out, n); }

}  // namespace pixelart::cuda
