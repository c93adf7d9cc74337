// kernels/cuda_ops.h — the CUDA backend behind plain pointers (no CUDA types in this header, so
// src/ compiles with g++ alone). Implemented in kernels/*.cu; absent from CPU-only builds, where
// src/ never calls it (tensors cannot be put on a device that does not exist).
// All launches go to the legacy default stream, so work is ordered and host copies synchronise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "adam.h"
#include "conv.h"
#include "loss.h"
#include "pool.h"
#include "synth_ops.h"

namespace pixelart::cuda {

// ---- device and memory (cuda_context.cu) ----
bool available(std::string* reason);  // a GPU and a driver are present and usable
std::string device_name();
void* alloc(size_t bytes);            // caching allocator: exact-size reuse of freed blocks
void free(void* p, size_t bytes) noexcept;
void release_cached_memory();
void memcpy_h2d(void* dst, const void* src, size_t bytes);
void memcpy_d2h(void* dst, const void* src, size_t bytes);
void memcpy_d2d(void* dst, const void* src, size_t bytes);
void synchronize();

// ---- elementwise (elementwise.cu) ----
void fill_f32(float* y, float value, int64_t n);
void fill_u16(uint16_t* y, uint16_t value, int64_t n);
void f32_to_bf16(const float* x, uint16_t* y, int64_t n);
void bf16_to_f32(const uint16_t* x, float* y, int64_t n);
void sigmoid_forward(const float* x, float* y, int64_t n);
void sigmoid_backward(const float* y, const float* dy, float* dx, int64_t n);  // dx +=
void relu_forward(const float* x, float* y, int64_t n);
void relu_backward(const float* y, const float* dy, float* dx, int64_t n);     // dx +=
void relu_mask(const float* y, const float* dy, float* dz, int64_t n);         // dz =
void add_bias_rows(float* y, const float* b, int64_t rows, int64_t cols);
void sum_rows(const float* dy, float* db, int64_t rows, int64_t cols);         // db +=
void axpy(float alpha, const float* x, float* y, int64_t n);
void weighted_sum(const float* x, const float* w, float* out, int64_t n);

void add_center_crop(const float* h, const float* x, float* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t m);
// Between x [n, H*S, W*S, C] and d [n, H, W, S*S*C] (kernels::unshuffle_index), as space_depth_cpu.
void space_depth(const float* src, float* dst, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool to_depth, bool accumulate);
// y = a less the S x S block means of a - b (b may be null), as project_blocks_cpu.
void project_blocks(const float* a, const float* b, float* y, int64_t n, int64_t H, int64_t W, int64_t C, int64_t S, bool accumulate);
void premultiply(float* v, int64_t pixels);
void unpremultiply(float* v, int64_t pixels);
// (synth.cu) n RGBA images [sh, sw] -> [dh, dw], a kernels::Filter.
void resize_batch(const float* src, float* dst, int n, int sh, int sw, int dh, int dw, int filter);

// ---- pooling (pool.cu) ----
void maxpool2x2_forward(const float* x, float* y, uint8_t* arg, const kernels::PoolShape& s);
void maxpool2x2_backward(const float* dy, const uint8_t* arg, float* dx, const kernels::PoolShape& s);

// ---- losses and reductions (loss.cu) ----
void loss_forward(const float* p, const float* t, const kernels::LossShape& s,
                  const double weights[kernels::kLossTerms], float* terms, float* total);
void loss_backward(const float* p, const float* t, const kernels::LossShape& s,
                   const kernels::LossCoef& coef, const float* gout, float* dp);
void sumsq(const float* x, int64_t n, float* out);

// ---- optimizer (adam.cu) ----
void adam(float* p, float* m, float* v, const float* g, int64_t n, const float* sumsq,
          const kernels::AdamParams& a);

// ---- cuBLAS (gemm_cublas.cu): row-major C = alpha op(A) op(B) + beta C ----
// tf32: TF32 tensor-core math (else pedantic fp32).
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, bool tf32 = false);

// ---- cuDNN (conv_cudnn.cu): plans (descriptors, algorithms, workspace) cached by shape ----
// math: FP32 (CUDNN_FMA_MATH) or TF32 (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION); a plan per shape
// and math.
void conv2d_forward(const float* x, const float* w, const float* b, float* y,
                    const kernels::ConvShape& s, bool relu, kernels::ConvMath math = kernels::ConvMath::FP32);
// Accumulates into dx, dw, db (each may be null).
void conv2d_backward(const float* x, const float* w, const float* y, const float* dy, float* dx,
                     float* dw, float* db, const kernels::ConvShape& s, bool relu,
                     kernels::ConvMath math = kernels::ConvMath::FP32);
// The cuDNN descriptors a plan for this convolution would use, built and their output size
// checked against the shape; throws where cuDNN rejects one. Needs no GPU: cuDNN builds
// descriptors on the host (tests/test_cudnn_descriptors.cpp).
void check_conv_descriptors(const kernels::ConvShape& s, kernels::ConvMath math);
// pixelart::Precision::BF16: x and w are bf16 (the caller's casts, kept for backward), b, y, dy
// and the gradients fp32. cuDNN on bf16 tensors (fp32 compute, tensor cores), then the fp32 bias
// and ReLU; backward rounds dz to bf16, and dx and dw come back as bf16 and are added.
void conv2d_forward_bf16(const uint16_t* x, const uint16_t* w, const float* b, float* y,
                         const kernels::ConvShape& s, bool relu);
void conv2d_backward_bf16(const uint16_t* x, const uint16_t* w, const float* y, const float* dy, float* dx,
                          float* dw, float* db, const kernels::ConvShape& s, bool relu);

// ---- the damage pipeline (synth.cu): the same stages as kernels/synth_ops.h, device pointers ----
void synth_params(const kernels::DamageParams& d, const kernels::SynthDims& g, kernels::SampleParams* out);
void synth_render(const uint8_t* sprites, const kernels::SampleParams* p, const kernels::SynthDims& g, float* out);
void synth_targets(const uint8_t* sprites, const kernels::SampleParams* p, const kernels::SynthDims& g, float* out);
void synth_resize(const float* src, float* dst, const kernels::SampleParams* p, const kernels::SynthDims& g, int k);
void synth_blur(const float* src, float* dst, const kernels::SampleParams* p, const kernels::SynthDims& g, int dir);
void synth_color_noise(float* img, const kernels::SampleParams* p, const kernels::SynthDims& g);
void synth_canon(const float* src, float* dst, const kernels::SampleParams* p, const kernels::SynthDims& g);
void synth_clear(float* img, const kernels::SampleParams* p, const kernels::SynthDims& g);
void synth_patches(const uint8_t* pixels, const kernels::ImageEntry* table, int nimages, uint64_t seed, uint64_t first,
                   int n, kernels::PatchDraw d, int off, int size, float* out);
void synth_jpeg(float* img, float* y, float* cb, float* cr, const kernels::SampleParams* p,
                const kernels::SynthDims& g, int pass);
void synth_patch_jpeg(float* small, int s, float* work, float* y, float* cb, float* cr, kernels::SampleParams* p,
                      const kernels::SynthDims& g, int qmin, int qmax, float share);

}  // namespace pixelart::cuda
