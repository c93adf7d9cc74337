// kernels/conv.h — convolution on the CPU: the direct-loop reference (the oracle, templated on
// the scalar type) and the fast path (im2col + BLAS GEMM). Both take raw NHWC pointers.
// The CUDA twin is cuDNN (conv_cudnn.cu, declared in cuda_ops.h).
//   x [N,H,W,Cin]  w [Cout,KH,KW,Cin]  b [Cout]  y [N,Ho,Wo,Cout]
// Backward functions ACCUMULATE into dx, dw, db (each may be null to skip it).
#pragma once
#include <cstdint>

namespace pixelart::kernels {

struct ConvShape {
  int64_t N, H, W, Cin, Cout, KH, KW, pad;
  int64_t Ho() const { return H + 2 * pad - KH + 1; }
  int64_t Wo() const { return W + 2 * pad - KW + 1; }
  int64_t K() const { return KH * KW * Cin; }  // GEMM reduction length
  int64_t flops() const { return 2 * N * Ho() * Wo() * Cout * K(); }
};

// The arithmetic of a convolution (pixelart::Precision, include/pixelart/ops.h).
enum class ConvMath : int { FP32 = 0, TF32 = 1, BF16 = 2 };

template <class T>
void conv2d_ref_forward(const T* x, const T* w, const T* b, T* y, const ConvShape& s, bool relu);
template <class T>
void conv2d_ref_backward(const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
                         const ConvShape& s, bool relu);

template <class T>
void conv2d_fast_forward(const T* x, const T* w, const T* b, T* y, const ConvShape& s, bool relu);
template <class T>
void conv2d_fast_backward(const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
                          const ConvShape& s, bool relu);

}  // namespace pixelart::kernels
