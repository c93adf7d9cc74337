// pixelart/ops.h — every op of PixelArtCNN, forward with autograd, on CPU and CUDA.
//
// Each op validates shapes, dtypes and devices at its door (src/ops_*.cpp), dispatches on the
// device of its inputs, and records its backward on the active tape (autograd.h). Layout is NHWC.
// CPU ops run in float32 or float64; CUDA ops in float32.
#pragma once
#include <array>
#include <string>

#include "pixelart/tensor.h"

namespace pixelart {

// ---- convolution ---------------------------------------------------------------------------
// y = act(conv(x, w) + b), stride 1, zero padding `pad` on every side.
//   x: [N, H, W, Cin]   w: [Cout, KH, KW, Cin] (cuDNN's NHWC filter layout, "KRSC")   b: [Cout]
//   y: [N, H + 2*pad - KH + 1, W + 2*pad - KW + 1, Cout]
// CPU float32: oneDNN's fused convolution+bias+ReLU and its backward passes where the build has
// it (else, or with PIXELART_CPU_CONV=im2col in the environment, im2col + BLAS GEMM, OpenBLAS;
// float64 always); CUDA: cuDNN fused convolution+bias+activation.
// ConvImpl::Reference selects the direct-loop CPU oracle (kernels/conv.h), forward and backward;
// ConvImpl::Im2col the im2col + GEMM path whatever the build (CPU only).
enum class ConvImpl { Auto, Reference, Im2col };
// Whether ConvImpl::Auto's float32 CPU passes go through oneDNN in this process.
bool conv2d_cpu_uses_dnnl();
// The arithmetic of the convolutions and the projection (`--precision`); every other op, the
// parameters, their gradients and Adam's moments stay fp32 in every mode.
//   FP32: fp32 throughout (CUDA: CUDNN_FMA_MATH, cuBLAS pedantic math).
//   TF32: CUDA may use TF32 tensor cores (operands rounded to 10 mantissa bits inside cuDNN and
//         cuBLAS); the CPU computes fp32.
//   BF16: the operands are rounded to bfloat16 (8 mantissa bits) and multiplied with fp32
//         accumulation, on both devices. Convolution: x and w are rounded; the convolution's sum
//         is rounded to bf16 before the fp32 bias and ReLU; in backward the gradient at the
//         convolution's output is rounded, and dx and dw are each rounded to bf16 before they are
//         added to the fp32 gradients (the bias gradient is fp32). On CUDA this is cuDNN running
//         on bf16 tensors (tensor cores); on the CPU the same rounding points around the fp32
//         kernels, so the two agree to bf16 precision. Projection: x, w (and dy in backward) are
//         rounded, the GEMM is fp32 on both devices (a 1x1 layer, a small share of the work).
// BF16 needs float32 tensors (float64 ones are refused: a precision test would mean nothing).
enum class Precision { FP32, TF32, BF16 };
Precision parse_precision(const std::string& name);  // "fp32" | "tf32" | "bf16", else a usage error
const char* precision_name(Precision p);
struct Conv2dParams {
  int pad = 1;
  bool relu = true;
  ConvImpl impl = ConvImpl::Auto;
  Precision precision = Precision::FP32;
};
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p = {});

// ---- pooling -------------------------------------------------------------------------------
// 2x2 max-pool, stride 2: [N, H, W, C] -> [N, H/2, W/2, C] (odd edges dropped).
// Ties: the FIRST maximum in row-major window order (top-left, top-right, bottom-left,
// bottom-right) takes the gradient, as in PyTorch; CPU and CUDA agree exactly.
Tensor max_pool2x2(const Tensor& x);

// ---- projection and activations ------------------------------------------------------------
// 1x1 projection: y[n,h,w,:] = W x[n,h,w,:] + b.  x: [N,H,W,Cin]  w: [Cout, Cin]  b: [Cout].
// A GEMM over all N*H*W pixels (BLAS on the CPU, cuBLAS on CUDA) plus a bias epilogue.
// precision: see Precision above.
Tensor projection(const Tensor& x, const Tensor& w, const Tensor& b, Precision precision = Precision::FP32);
// Numerically stable logistic sigmoid (kernels/elementwise.h).
Tensor sigmoid(const Tensor& x);
// Plain ReLU (the convolution fuses its own; this one is for composing other models).
Tensor relu(const Tensor& x);
// sum(x * w) as a one-element tensor; w is a constant (no gradient). Used by gradient checks.
Tensor weighted_sum(const Tensor& x, const Tensor& w);

// ---- image preprocessing (no gradients: inputs are data, not parameters) ----------------------
// Resamples RGBA images [N, h, w, 4] to [N, H, W, 4] with OpenCV's conventions (half-pixel
// centres, replicated borders): bilinear, bicubic (a = -0.75), area, Lanczos-4; and Pillow's
// antialiased bicubic (a = -0.5, the kernel stretched by the shrink, taps outside the image
// dropped; as resize_cubic_antialiased in image_io.h, up to 5x; what SR benchmarks shrink with).
enum class ResizeFilter : int { Bilinear = 0, Bicubic = 1, Area = 2, Lanczos = 3, BicubicAntialiased = 4 };
Tensor resize_images(const Tensor& x, int64_t H, int64_t W, ResizeFilter f);
// Straight <-> premultiplied alpha on RGBA [.., 4] (see kernels/elementwise.h).
Tensor premultiply(const Tensor& x);
Tensor unpremultiply(const Tensor& x);

// y = h + the centre of x cropped to h's size: h [N, H, W, C], x [N, H + 2m, W + 2m, C]. The
// upscaler's residual connection; the gradient flows to h only (x is the interpolated input).
Tensor add_center_crop(const Tensor& h, const Tensor& x);

// Space to depth and back by S (PyTorch's pixel_unshuffle / pixel_shuffle, in NHWC and with the
// block's channels ordered (dy, dx, c) where PyTorch's are (c, dy, dx)):
// pixel_unshuffle(x [N, H*S, W*S, C]) is [N, H, W, S*S*C], block (Y, X) channel (dy*S + dx)*C + c
// holding pixel (Y*S + dy, X*S + dx) channel c; pixel_shuffle is its inverse. Both record
// gradients (each one's is the other). The upscaler's --unshuffle runs its convolutions on the
// blocks: 1/S^2 of the positions, so S^2 times the width for the same arithmetic.
Tensor pixel_unshuffle(const Tensor& x, int S);
Tensor pixel_shuffle(const Tensor& x, int S);

// Back-projection for training (the upscaler's --back-project): y = pred less, over each S x S
// block (aligned at the top left) and channel, the block's mean of pred - target, so that y
// averages to target block by block (shrinking y by S with area averaging gives target's shrink).
// pred, target: [N, H, W, C], H and W multiples of S. The gradient flows to pred only: dpred +=
// dy less dy's block means (the projection is its own adjoint). A loss on y scores only what the
// block means leave free, which is all an upscaler must add once its output is back-projected.
Tensor project_blocks(const Tensor& pred, const Tensor& target, int S);

// ---- losses --------------------------------------------------------------------------------
// One composite loss, each term weighted (a weight of 0 switches a term off). All terms are
// means over the elements they touch, so weights are comparable across image sizes.
//   mse   : mean (p - t)^2
//   l1    : mean |p - t|                        (gradient sign(p - t), 0 at p == t)
//   edge  : mean over horizontal and vertical neighbour pairs of
//           ((p[i+1] - p[i]) - (t[i+1] - t[i]))^2 — penalises blurred or shifted edges
//   alpha : mean over the alpha channel (channel 3) of 4 a (1 - a) — 0 at a in {0,1}, 1 at 0.5;
//           pushes alpha to a binary mask (the count of intermediate values has no gradient)
enum LossTerm : int { kLossMse = 0, kLossL1 = 1, kLossEdge = 2, kLossAlpha = 3, kNumLossTerms = 4 };
const char* loss_term_name(int term);
struct LossWeights {
  std::array<double, kNumLossTerms> w{1.0, 0.0, 0.0, 0.0};
  double& operator[](int i) { return w[i]; }
  double operator[](int i) const { return w[i]; }
};
struct LossResult {
  Tensor total;  // [1], differentiable w.r.t. pred
  Tensor terms;  // [kNumLossTerms], the unweighted terms (stays on the device until logged)
};
// pred, target: [N, H, W, C]; the alpha term needs C == 4.
LossResult composite_loss(const Tensor& pred, const Tensor& target, const LossWeights& weights);

}  // namespace pixelart
