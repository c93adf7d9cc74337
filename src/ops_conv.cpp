// src/ops_conv.cpp — conv2d's door: validation, dispatch (CPU oneDNN, im2col+BLAS or the direct
// reference; CUDA cuDNN), and its backward node. Kernels: kernels/conv_cpu.cpp,
// kernels/conv_dnnl.cpp, kernels/conv_cudnn.cu.
#include "conv.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {
using detail::check_float;
using detail::check_rank;
using detail::check_same;

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::FP32;
  if (name == "tf32") return Precision::TF32;
  if (name == "bf16") return Precision::BF16;
  throw Error("precision must be fp32, tf32 or bf16, got '" + name + "'", ErrorKind::Usage);
}
const char* precision_name(Precision p) {
  return p == Precision::BF16 ? "bf16" : p == Precision::TF32 ? "tf32" : "fp32";
}

namespace {
Tensor bf16_values(const Tensor& t) { return t.to(DType::BF16).to(DType::F32); }

// oneDNN's passes where the build has it: float32 only (float64 stays on im2col + GEMM)
bool dnnl_forward(const float* x, const float* w, const float* b, float* y, const kernels::ConvShape& s, bool relu) {
  if (!kernels::dnnl_available()) return false;
  kernels::conv2d_dnnl_forward(x, w, b, y, s, relu);
  return true;
}
bool dnnl_forward(const double*, const double*, const double*, double*, const kernels::ConvShape&, bool) { return false; }
bool dnnl_backward(const float* x, const float* w, const float* y, const float* dy, float* dx, float* dw, float* db,
                   const kernels::ConvShape& s, bool relu) {
  if (!kernels::dnnl_available()) return false;
  kernels::conv2d_dnnl_backward(x, w, y, dy, dx, dw, db, s, relu);
  return true;
}
bool dnnl_backward(const double*, const double*, const double*, const double*, double*, double*, double*,
                   const kernels::ConvShape&, bool) {
  return false;
}
// The kernels' name for a precision (kernels/conv.h keeps no dependency on the public headers).
kernels::ConvMath conv_math(Precision p) {
  switch (p) {
    case Precision::TF32: return kernels::ConvMath::TF32;
    case Precision::BF16: return kernels::ConvMath::BF16;
    case Precision::FP32: break;
  }
  return kernels::ConvMath::FP32;
}
}  // namespace

bool conv2d_cpu_uses_dnnl() { return kernels::dnnl_available(); }

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const char* op = "conv2d";
  check_rank(op, "input", x, 4);
  check_float(op, "input", x);
  check_rank(op, "weight", w, 4);
  check_same(op, "weight", w, x);
  PA_CHECK(w.size(3) == x.size(3), "conv2d: weight " << w.describe() << " expects " << w.size(3)
                                                     << " input channels, the input has " << x.size(3));
  if (b.defined()) {
    check_rank(op, "bias", b, 1);
    check_same(op, "bias", b, x);
    PA_CHECK(b.size(0) == w.size(0), "conv2d: bias " << b.describe() << " for " << w.size(0) << " outputs");
  }
  PA_CHECK(p.pad >= 0, "conv2d: negative padding " << p.pad);
  const kernels::ConvShape s{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0),
                             w.size(1), w.size(2), p.pad};
  PA_CHECK(s.Ho() > 0 && s.Wo() > 0, "conv2d: a " << s.KH << "x" << s.KW << " kernel with padding "
                                        << p.pad << " does not fit the input " << x.describe());
  PA_CHECK(p.impl == ConvImpl::Auto || x.device() == Device::CPU,
           "conv2d: the direct-loop reference and im2col run on the cpu only");
  const bool ref = p.impl == ConvImpl::Reference;
  const bool bf16 = p.precision == Precision::BF16;
  PA_CHECK(!bf16 || x.dtype() == DType::F32, "conv2d: bf16 precision needs float32 tensors, the input is " << x.describe());
  const kernels::ConvMath math = conv_math(p.precision);

  Tensor y = Tensor::empty({s.N, s.Ho(), s.Wo(), s.Cout}, x.dtype(), x.device());
  // bf16: the rounded operands, made once and kept for backward (CPU: bf16 values in float32
  // tensors for the fp32 kernels; CUDA: bf16 tensors for cuDNN)
  Tensor xr, wr;
  if (bf16) {
    xr = x.device() == Device::CPU ? bf16_values(x) : x.to(DType::BF16);
    wr = x.device() == Device::CPU ? bf16_values(w) : w.to(DType::BF16);
  }
  if (bf16 && x.device() == Device::CPU) {
    kernels::conv2d_bf16_forward_cpu(xr.data<float>(), wr.data<float>(), b.defined() ? b.data<float>() : nullptr,
                                     y.data<float>(), s, p.relu, ref);
  } else if (bf16) {
    PA_ON_CUDA(cuda::conv2d_forward_bf16(xr.data<uint16_t>(), wr.data<uint16_t>(), b.defined() ? b.data<float>() : nullptr,
                                         y.data<float>(), s, p.relu));
  } else if (x.device() == Device::CPU) {
    PA_DISPATCH_FLOAT(x.dtype(), {
      const T* bp = b.defined() ? b.data<T>() : nullptr;
      if (p.impl == ConvImpl::Auto && dnnl_forward(x.data<T>(), w.data<T>(), bp, y.data<T>(), s, p.relu)) {
      } else if (ref) {
        kernels::conv2d_ref_forward<T>(x.data<T>(), w.data<T>(), bp, y.data<T>(), s, p.relu);
      } else {
        kernels::conv2d_fast_forward<T>(x.data<T>(), w.data<T>(), bp, y.data<T>(), s, p.relu);
      }
    });
  } else {
    PA_ON_CUDA(cuda::conv2d_forward(x.data<float>(), w.data<float>(),
                                    b.defined() ? b.data<float>() : nullptr, y.data<float>(), s, p.relu, math));
  }

  if (Tape* tape = recording_tape({&x, &w, &b})) {
    y.set_requires_grad(true);
    tape->record([x, w, b, y, s, p, ref, bf16, math, xr, wr] {
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dx = x.requires_grad() ? x.grad_or_zeros() : Tensor();
      Tensor dw = w.requires_grad() ? w.grad_or_zeros() : Tensor();
      Tensor db = b.requires_grad() ? b.grad_or_zeros() : Tensor();
      auto f32 = [](Tensor& g) { return g.defined() ? g.data<float>() : nullptr; };  // bf16 implies float32
      if (bf16 && x.device() == Device::CPU) {
        kernels::conv2d_bf16_backward_cpu(xr.data<float>(), wr.data<float>(), y.data<float>(), dy.data<float>(), f32(dx),
                                          f32(dw), f32(db), s, p.relu, ref);
      } else if (bf16) {
        PA_ON_CUDA(cuda::conv2d_backward_bf16(xr.data<uint16_t>(), wr.data<uint16_t>(), y.data<float>(), dy.data<float>(),
                                              f32(dx), f32(dw), f32(db), s, p.relu));
      } else if (x.device() == Device::CPU) {
        PA_DISPATCH_FLOAT(x.dtype(), {
          T* dxp = dx.defined() ? dx.data<T>() : nullptr;
          T* dwp = dw.defined() ? dw.data<T>() : nullptr;
          T* dbp = db.defined() ? db.data<T>() : nullptr;
          if (p.impl == ConvImpl::Auto && dnnl_backward(x.data<T>(), w.data<T>(), y.data<T>(), dy.data<T>(), dxp, dwp, dbp, s, p.relu)) {
          } else if (ref) {
            kernels::conv2d_ref_backward<T>(x.data<T>(), w.data<T>(), y.data<T>(), dy.data<T>(), dxp, dwp, dbp, s, p.relu);
          } else {
            kernels::conv2d_fast_backward<T>(x.data<T>(), w.data<T>(), y.data<T>(), dy.data<T>(), dxp, dwp, dbp, s, p.relu);
          }
        });
      } else {
        PA_ON_CUDA(cuda::conv2d_backward(
            x.data<float>(), w.data<float>(), y.data<float>(), dy.data<float>(),
            dx.defined() ? dx.data<float>() : nullptr, dw.defined() ? dw.data<float>() : nullptr,
            db.defined() ? db.data<float>() : nullptr, s, p.relu, math));
      }
    });
  }
  return y;
}

}  // namespace pixelart
