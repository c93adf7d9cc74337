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
  if (kind == Unary::Sigmoid) PA_KERNEL(x, sigmoid_forward, x.data<T>(), y.data<T>(), n);
  else PA_KERNEL(x, relu_forward, x.data<T>(), y.data<T>(), n);
  if (Tape* tape = recording_tape({&x})) {
    y.set_requires_grad(true);
    tape->record([x, y, kind, n] {  // both backwards need only the saved output
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dx = x.grad_or_zeros();
      if (kind == Unary::Sigmoid) PA_KERNEL(x, sigmoid_backward, y.data<T>(), dy.data<T>(), dx.data<T>(), n);
      else PA_KERNEL(x, relu_backward, y.data<T>(), dy.data<T>(), dx.data<T>(), n);
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
  PA_KERNEL(x, weighted_sum, x.data<T>(), w.data<T>(), out.data<T>(), n);
  if (Tape* tape = recording_tape({&x})) {
    out.set_requires_grad(true);
    tape->record([x, w, out, n] {
      const Tensor g = out.grad();
      if (!g.defined()) return;
      Tensor dx = x.grad_or_zeros();
      // dx += g * w. g is read back once (this op serves tests and checks, not training).
      const double gv = g.item();
      PA_KERNEL(x, axpy, T(gv), w.data<T>(), dx.data<T>(), n);
    });
  }
  return out;
}

}  // namespace pixelart
