// src/ops_projection.cpp — the 1x1 projection's door: a GEMM over all pixels (BLAS / cuBLAS)
// and a bias epilogue. Kernels: kernels/gemm_cpu.cpp, gemm_cublas.cu, elementwise*.
#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {

namespace {
// C = op(A) op(B) + beta C, row-major, on the tensors' backend (BLAS or cuBLAS; tf32: cuBLAS may
// round the operands to TF32, which the CPU has no use for).
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const Tensor& A, int64_t lda, const Tensor& B, int64_t ldb,
          double beta, const Tensor& C, int64_t ldc, bool tf32) {
  if (A.device() == Device::CPU) {
    PA_DISPATCH_FLOAT(A.dtype(), kernels::gemm_cpu<T>(ta, tb, M, N, K, T(1), A.data<T>(), lda, B.data<T>(), ldb, T(beta),
                                                      C.data<T>(), ldc));
  } else {
    PA_ON_CUDA(cuda::gemm(ta, tb, M, N, K, 1.f, A.data<float>(), lda, B.data<float>(), ldb, float(beta),
                          C.data<float>(), ldc, tf32));
  }
}
}  // namespace

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
  gemm(false, true, P, Cout, Cin, xg, Cin, wg, Cin, 0.0, y, Cout, tf32);
  if (b.defined()) PA_KERNEL(x, add_bias_rows, y.data<T>(), b.data<T>(), P, Cout);
  if (Tape* tape = recording_tape({&x, &w, &b})) {
    y.set_requires_grad(true);
    tape->record([x, w, b, y, xg, wg, P, Cin, Cout, tf32, operand] {
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      const Tensor dg = operand(dy);
      // dx[P, Cin] += dy[P, Cout] w[Cout, Cin];  dw[Cout, Cin] += dy^T x;  db += column sums of dy
      if (x.requires_grad()) gemm(false, false, P, Cin, Cout, dg, Cout, wg, Cin, 1.0, x.grad_or_zeros(), Cin, tf32);
      if (w.requires_grad()) gemm(true, false, Cout, Cin, P, dg, Cout, xg, Cin, 1.0, w.grad_or_zeros(), Cin, tf32);
      if (b.requires_grad()) PA_KERNEL(x, sum_rows, dy.data<T>(), b.grad_or_zeros().data<T>(), P, Cout);
    });
  }
  return y;
}

}  // namespace pixelart
