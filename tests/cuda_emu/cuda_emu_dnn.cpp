// tests/cuda_emu/cuda_emu_dnn.cpp — what cuDNN and cuBLAS do for kernels/cuda_ops.h, stood in for
// by the CPU implementations under the emulation (cuda_emu.h). These are not tests of cuDNN or
// cuBLAS (tools/gpu_check.sh is): they let everything around the convolutions and GEMMs (src/'s
// CUDA dispatch, the hand-written kernels, the trainers) run on the emulated device. The bf16
// convolutions keep conv_cudnn.cu's rounding points: operands bf16, fp32 compute, the output
// rounded to bf16 before the fp32 bias and ReLU; dz rounded to bf16, dx and dw rounded to bf16
// before they are added.
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
float bf16_round(float v) { return kernels::bf16_to_f32(kernels::f32_to_bf16(v)); }
}  // namespace

void conv2d_forward_bf16(const uint16_t* x, const uint16_t* w, const float* b, float* y, const ConvShape& s, bool relu) {
  emu::DeviceAccess open;
  const int64_t ny = s.N * s.Ho() * s.Wo() * s.Cout;
  const std::vector<float> xf = widen(x, s.N * s.H * s.W * s.Cin), wf = widen(w, s.Cout * s.K());
  kernels::conv2d_fast_forward<float>(xf.data(), wf.data(), nullptr, y, s, false);
  for (int64_t i = 0; i < ny; ++i) {
    const float v = bf16_round(y[i]) + (b ? b[i % s.Cout] : 0.f);
    y[i] = relu ? (v > 0.f ? v : 0.f) : v;
  }
}

void conv2d_backward_bf16(const uint16_t* x, const uint16_t* w, const float* y, const float* dy, float* dx, float* dw,
                          float* db, const ConvShape& s, bool relu) {
  emu::DeviceAccess open;
  const int64_t nx = s.N * s.H * s.W * s.Cin, nw = s.Cout * s.K(), ny = s.N * s.Ho() * s.Wo() * s.Cout;
  std::vector<float> dz(dy, dy + ny);
  if (relu)
    for (int64_t i = 0; i < ny; ++i)
      if (!(y[i] > 0.f)) dz[size_t(i)] = 0.f;
  if (db) kernels::sum_rows_cpu<float>(dz.data(), db, ny / s.Cout, s.Cout);
  for (float& v : dz) v = bf16_round(v);
  const std::vector<float> xf = widen(x, nx), wf = widen(w, nw);
  if (dw) {
    std::vector<float> g(size_t(nw), 0.f);
    kernels::conv2d_fast_backward<float>(xf.data(), wf.data(), nullptr, dz.data(), nullptr, g.data(), nullptr, s, false);
    for (int64_t i = 0; i < nw; ++i) dw[i] += bf16_round(g[size_t(i)]);
  }
  if (dx) {
    std::vector<float> g(size_t(nx), 0.f);
    kernels::conv2d_fast_backward<float>(xf.data(), wf.data(), nullptr, dz.data(), g.data(), nullptr, nullptr, s, false);
    for (int64_t i = 0; i < nx; ++i) dx[i] += bf16_round(g[size_t(i)]);
  }
}

}  // namespace pixelart::cuda
