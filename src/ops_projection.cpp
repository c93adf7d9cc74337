// src/ops_projection.cpp — the 1x1 projection's door: a GEMM over all pixels (BLAS / cuBLAS)
// and a bias epilogue. Kernels: kernels/gemm_cpu.cpp, gemm_cublas.cu, elementwise*.
#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {

Tensor projection(const Tensor& x, const Tensor& w, const Tensor& b, Precision precision) {
  const char* op = "projection";
  detail::check_rank(op, "input", x, 4);
  detail::check_float(op, "input", x);
  detail::check_rank(op, "weight", w, 2);
  detail::check_same(op, "weight", w, x);
  const int64_t P = x.size(0) * x.size(1) * x.size(2), Cin = x.size(3), Cout = w.size(0);
  PA_CHECK(w.size(1) == Cin, "projection: weight " << w.describe() << " for " << Cin << " input channels");
  if (b.defined()) {
    detail::check_rank(op, "bias", b, 1);
    detail::check_same(op, "bias", b, x);
    PA_CHECK(b.size(0) == Cout, "projection: bias " << b.describe() << " for " << Cout << " outputs");
  }
  const bool tf32 = precision == Precision::TF32, bf16 = precision == Precision::BF16;
  PA_CHECK(!bf16 || x.dtype() == DType::F32, "projection: bf16 precision needs float32 tensors, the input is " << x.describe());
  // bf16: the GEMMs' operands rounded to bfloat16, fp32 accumulation (ops.h, Precision)
  auto operand = [bf16](const Tensor& t) { return bf16 ? t.to(DType::BF16).to(DType::F32) : t; };
  const Tensor xg = operand(x), wg = operand(w);
  Tensor y = Tensor::empty({x.size(0), x.size(1), x.size(2), Cout}, x.dtype(), x.device());
  // y[P, Cout] = x[P, Cin] * w^T [Cin, Cout] (+ b)
  if (x.device() == Device::CPU) {
    PA_DISPATCH_FLOAT(x.dtype(), {
      kernels::gemm_cpu<T>(false, true, P, Cout, Cin, T(1), xg.data<T>(), Cin, wg.data<T>(), Cin, T(0), y.data<T>(), Cout);
      if (b.defined()) kernels::add_bias_rows_cpu<T>(y.data<T>(), b.data<T>(), P, Cout);
    });
  } else {
    PA_ON_CUDA({
      cuda::gemm(false, true, P, Cout, Cin, 1.f, xg.data<float>(), Cin, wg.data<float>(), Cin, 0.f, y.data<float>(), Cout, tf32);
      if (b.defined()) cuda::add_bias_rows(y.data<float>(), b.data<float>(), P, Cout);
    });
  }
  if (Tape* tape = recording_tape({&x, &w, &b})) {
    y.set_requires_grad(true);
    tape->record([x, w, b, y, xg, wg, P, Cin, Cout, tf32, operand] {
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      const Tensor dg = operand(dy);
      // dx[P, Cin] += dy[P, Cout] w[Cout, Cin];  dw[Cout, Cin] += dy^T x;  db += column sums of dy
      if (x.device() == Device::CPU) {
        PA_DISPATCH_FLOAT(x.dtype(), {
          if (x.requires_grad())
            kernels::gemm_cpu<T>(false, false, P, Cin, Cout, T(1), dg.data<T>(), Cout, wg.data<T>(), Cin, T(1), x.grad_or_zeros().data<T>(), Cin);
          if (w.requires_grad())
            kernels::gemm_cpu<T>(true, false, Cout, Cin, P, T(1), dg.data<T>(), Cout, xg.data<T>(), Cin, T(1), w.grad_or_zeros().data<T>(), Cin);
          if (b.requires_grad()) kernels::sum_rows_cpu<T>(dy.data<T>(), b.grad_or_zeros().data<T>(), P, Cout);
        });
      } else {
        PA_ON_CUDA({
          if (x.requires_grad())
            cuda::gemm(false, false, P, Cin, Cout, 1.f, dg.data<float>(), Cout, wg.data<float>(), Cin, 1.f, x.grad_or_zeros().data<float>(), Cin, tf32);
          if (w.requires_grad())
            cuda::gemm(true, false, Cout, Cin, P, 1.f, dg.data<float>(), Cout, xg.data<float>(), Cin, 1.f, w.grad_or_zeros().data<float>(), Cin, tf32);
          if (b.requires_grad()) cuda::sum_rows(dy.data<float>(), b.grad_or_zeros().data<float>(), P, Cout);
        });
      }
    });
  }
  return y;
}

}  // namespace pixelart
