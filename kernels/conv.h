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

// oneDNN's convolution, float32 NHWC with the bias and ReLU fused (kernels/conv_dnnl.cpp):
// conv2d's CPU pass where the build found oneDNN, dnnl_available(), unless the
// environment says PIXELART_CPU_CONV=im2col. A primitive is made once per shape and kept (as the
// cuDNN path keeps its plans; at most 512 of each kind, the cache emptied when full); the weights are reordered to its blocked layout at every call
// (they change at every training step). Backward: the ReLU's mask on dy, then oneDNN's backward
// data and backward weights (with the bias), each added to dx, dw, db (each may be null).
bool dnnl_available();
void conv2d_dnnl_forward(const float* x, const float* w, const float* b, float* y, const ConvShape& s, bool relu);
void conv2d_dnnl_backward(const float* x, const float* w, const float* y, const float* dy, float* dx, float* dw, float* db,
                          const ConvShape& s, bool relu);

// pixelart::Precision::BF16 on the CPU: the rounding points of cuDNN's bf16 convolution
// (conv_cudnn.cu) around the fp32 kernels (`ref`: the direct loops, else im2col + GEMM).
// xr, wr: the operands already rounded to bf16 values (kept as float). Forward: y = bf16(x * w),
// then the fp32 bias and ReLU. Backward: dz = dy (masked by the ReLU), db += sum dz in fp32, dz
// rounded to bf16, then dx and dw each rounded to bf16 before they are added (each may be null).
void conv2d_bf16_forward_cpu(const float* xr, const float* wr, const float* b, float* y, const ConvShape& s, bool relu,
                             bool ref);
void conv2d_bf16_backward_cpu(const float* xr, const float* wr, const float* y, const float* dy, float* dx, float* dw,
                              float* db, const ConvShape& s, bool relu, bool ref);

}  // namespace pixelart::kernels
