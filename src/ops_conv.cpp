// src/ops_conv.cpp — conv2d's door: validation, dispatch (CPU im2col+BLAS or direct reference;
// CUDA cuDNN), and its backward node. Kernels: kernels/conv_cpu.cpp, kernels/conv_cudnn.cu.
#include "conv.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {
using detail::check_float;
using detail::check_rank;
using detail::check_same;

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
           "conv2d: the direct-loop reference runs on the cpu only");
  const bool ref = p.impl == ConvImpl::Reference;

  Tensor y = Tensor::empty({s.N, s.Ho(), s.Wo(), s.Cout}, x.dtype(), x.device());
  if (x.device() == Device::CPU) {
    PA_DISPATCH_FLOAT(x.dtype(), {
      const T* bp = b.defined() ? b.data<T>() : nullptr;
      if (ref) kernels::conv2d_ref_forward<T>(x.data<T>(), w.data<T>(), bp, y.data<T>(), s, p.relu);
      else kernels::conv2d_fast_forward<T>(x.data<T>(), w.data<T>(), bp, y.data<T>(), s, p.relu);
    });
  } else {
    PA_ON_CUDA(cuda::conv2d_forward(x.data<float>(), w.data<float>(),
                                    b.defined() ? b.data<float>() : nullptr, y.data<float>(), s, p.relu, p.tf32));
  }

  if (Tape* tape = recording_tape({&x, &w, &b})) {
    y.set_requires_grad(true);
    tape->record([x, w, b, y, s, p, ref] {
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dx = x.requires_grad() ? x.grad_or_zeros() : Tensor();
      Tensor dw = w.requires_grad() ? w.grad_or_zeros() : Tensor();
      Tensor db = b.requires_grad() ? b.grad_or_zeros() : Tensor();
      if (x.device() == Device::CPU) {
        PA_DISPATCH_FLOAT(x.dtype(), {
          T* dxp = dx.defined() ? dx.data<T>() : nullptr;
          T* dwp = dw.defined() ? dw.data<T>() : nullptr;
          T* dbp = db.defined() ? db.data<T>() : nullptr;
          if (ref) kernels::conv2d_ref_backward<T>(x.data<T>(), w.data<T>(), y.data<T>(), dy.data<T>(), dxp, dwp, dbp, s, p.relu);
          else kernels::conv2d_fast_backward<T>(x.data<T>(), w.data<T>(), y.data<T>(), dy.data<T>(), dxp, dwp, dbp, s, p.relu);
        });
      } else {
        PA_ON_CUDA(cuda::conv2d_backward(
            x.data<float>(), w.data<float>(), y.data<float>(), dy.data<float>(),
            dx.defined() ? dx.data<float>() : nullptr, dw.defined() ? dw.data<float>() : nullptr,
            db.defined() ? db.data<float>() : nullptr, s, p.relu, p.tf32));
      }
    });
  }
  return y;
}

}  // namespace pixelart
