// tests/cuda_emu/cuda_emu_dnn.cpp — what cuDNN and cuBLAS do for kernels/cuda_ops.h, stood in for
// by the CPU implementations under the emulation (cuda_emu.h). These are not tests of cuDNN or
// cuBLAS (tools/gpu_check.sh is): they let everything around the convolutions and GEMMs (src/'s
// CUDA dispatch, the hand-written kernels, the trainers) run on the emulated device. The bf16
// convolutions are the CPU's (conv.h), which keep conv_cudnn.cu's rounding points.
#include <vector>

#include "common.h"
#include "conv.h"
#include "cpu_ops.h"
#include "cuda_emu.h"
#include "cuda_ops.h"
#include "pixelart/error.h"

namespace pixelart::cuda {
using kernels::ConvMath;
using kernels::ConvShape;

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
          int64_t ldb, float beta, float* C, int64_t ldc, bool /*tf32*/) {
  emu::DeviceAccess open;
  kernels::gemm_cpu<float>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const ConvShape& s, bool relu,
                    ConvMath math) {
  emu::DeviceAccess open;
  if (math == ConvMath::BF16) fail(__FILE__, __LINE__, "conv2d_forward: bf16 takes bf16 operands (conv2d_forward_bf16)");
  kernels::conv2d_fast_forward<float>(x, w, b, y, s, relu);
}

void conv2d_backward(const float* x, const float* w, const float* y, const float* dy, float* dx, float* dw, float* db,
                     const ConvShape& s, bool relu, ConvMath math) {
  emu::DeviceAccess open;
  if (math == ConvMath::BF16) fail(__FILE__, __LINE__, "conv2d_backward: bf16 takes bf16 operands (conv2d_backward_bf16)");
  kernels::conv2d_fast_backward<float>(x, w, y, dy, dx, dw, db, s, relu);
}

namespace {
std::vector<float> widen(const uint16_t* h, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = kernels::bf16_to_f32(h[i]);
  return v;
}
}  // namespace

void conv2d_forward_bf16(const uint16_t* x, const uint16_t* w, const float* b, float* y, const ConvShape& s, bool relu) {
  emu::DeviceAccess open;
  const std::vector<float> xf = widen(x, s.N * s.H * s.W * s.Cin), wf = widen(w, s.Cout * s.K());
  kernels::conv2d_bf16_forward_cpu(xf.data(), wf.data(), b, y, s, relu, false);
}

void conv2d_backward_bf16(const uint16_t* x, const uint16_t* w, const float* y, const float* dy, float* dx, float* dw,
                          float* db, const ConvShape& s, bool relu) {
  emu::DeviceAccess open;
  const std::vector<float> xf = widen(x, s.N * s.H * s.W * s.Cin), wf = widen(w, s.Cout * s.K());
  kernels::conv2d_bf16_backward_cpu(xf.data(), wf.data(), y, dy, dx, dw, db, s, relu, false);
}

}  // namespace pixelart::cuda
