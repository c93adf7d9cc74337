// src/ops_elementwise.cpp — sigmoid, relu and weighted_sum. Kernels: kernels/elementwise.h,
// elementwise_cpu.cpp, elementwise.cu.
#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {

namespace {
enum class Unary { Sigmoid, Relu };
Tensor unary(const Tensor& x, Unary kind, const char* op) {
  detail::check_float(op, "input", x);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  const int64_t n = x.numel();
  if (x.device() == Device::CPU) {
    PA_DISPATCH_FLOAT(x.dtype(), {
      if (kind == Unary::Sigmoid) kernels::sigmoid_forward_cpu<T>(x.data<T>(), y.data<T>(), n);
      else kernels::relu_forward_cpu<T>(x.data<T>(), y.data<T>(), n);
    });
  } else {
    PA_ON_CUDA(kind == Unary::Sigmoid ? cuda::sigmoid_forward(x.data<float>(), y.data<float>(), n)
                                      : cuda::relu_forward(x.data<float>(), y.data<float>(), n));
  }
  if (Tape* tape = recording_tape({&x})) {
    y.set_requires_grad(true);
    tape->record([x, y, kind, n] {  // both backwards need only the saved output
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dx = x.grad_or_zeros();
      if (x.device() == Device::CPU) {
        PA_DISPATCH_FLOAT(x.dtype(), {
          if (kind == Unary::Sigmoid) kernels::sigmoid_backward_cpu<T>(y.data<T>(), dy.data<T>(), dx.data<T>(), n);
          else kernels::relu_backward_cpu<T>(y.data<T>(), dy.data<T>(), dx.data<T>(), n);
        });
      } else {
        PA_ON_CUDA(kind == Unary::Sigmoid
                       ? cuda::sigmoid_backward(y.data<float>(), dy.data<float>(), dx.data<float>(), n)
                       : cuda::relu_backward(y.data<float>(), dy.data<float>(), dx.data<float>(), n));
      }
    });
  }
  return y;
}
}  // namespace

Tensor sigmoid(const Tensor& x) { return unary(x, Unary::Sigmoid, "sigmoid"); }
Tensor relu(const Tensor& x) { return unary(x, Unary::Relu, "relu"); }

Tensor weighted_sum(const Tensor& x, const Tensor& w) {
  detail::check_float("weighted_sum", "input", x);
  detail::check_same("weighted_sum", "weights", w, x);
  PA_CHECK(w.shape() == x.shape(), "weighted_sum: weights " << w.describe() << " for " << x.describe());
  Tensor out = Tensor::empty({1}, x.dtype(), x.device());
  const int64_t n = x.numel();
  if (x.device() == Device::CPU) {
    PA_DISPATCH_FLOAT(x.dtype(), kernels::weighted_sum_cpu<T>(x.data<T>(), w.data<T>(), out.data<T>(), n));
  } else {
    PA_ON_CUDA(cuda::weighted_sum(x.data<float>(), w.data<float>(), out.data<float>(), n));
  }
  if (Tape* tape = recording_tape({&x})) {
    out.set_requires_grad(true);
    tape->record([x, w, out, n] {
      const Tensor g = out.grad();
      if (!g.defined()) return;
      Tensor dx = x.grad_or_zeros();
      // dx += g * w. On CUDA g is read back once (this op serves tests and checks, not training).
      if (x.device() == Device::CPU) {
        PA_DISPATCH_FLOAT(x.dtype(), kernels::axpy_cpu<T>(g.data<T>()[0], w.data<T>(), dx.data<T>(), n));
      } else {
        PA_ON_CUDA(cuda::axpy(static_cast<float>(g.item()), w.data<float>(), dx.data<float>(), n));
      }
    });
  }
  return out;
}

}  // namespace pixelart
