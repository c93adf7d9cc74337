// kernels/gemm_cublas.cu — row-major GEMM through cuBLAS (column-major underneath: computing
// C^T = op(B)^T op(A)^T needs no transposition of the data). CPU twin: gemm_cpu.cpp.
// fp32 math (no TF32) unless a call asks for TF32, so that CUDA and CPU agree within the fp32
// tolerances of the tests.
#include <memory>

#include "cuda_check.h"
#include "cuda_ops.h"

namespace pixelart::cuda {

namespace {
struct CublasHandle {
  cublasHandle_t h = nullptr;
  CublasHandle() {
    PA_CUBLAS_CHECK(cublasCreate(&h));
    PA_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH));
  }
  ~CublasHandle() {
    if (h && cublasDestroy(h) != CUBLAS_STATUS_SUCCESS)
      std::fprintf(stderr, "%s:%d: cublasDestroy failed (ignored)\n", __FILE__, __LINE__);
  }
};
cublasHandle_t handle() {
  static CublasHandle h;
  return h.h;
}
}  // namespace

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, bool tf32) {
  PA_CUBLAS_CHECK(cublasSetMathMode(handle(), tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
  PA_CUBLAS_CHECK(cublasSgemm(handle(), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                              static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha,
                              B, static_cast<int>(ldb), A, static_cast<int>(lda), &beta, C,
                              static_cast<int>(ldc)));
}

}  // namespace pixelart::cuda
