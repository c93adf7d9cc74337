// kernels/cuda_check.h — every CUDA, cuDNN and cuBLAS call is checked; a failure throws
// pixelart::Error naming the statement, the file and the line (a failing test, not an exit).
// Destructors use the _PRINT variants, which log instead of throwing.
#pragma once
#include <cstdio>
#include <string>

// The emulated build (tests/cuda_emu) puts its own cuda_runtime.h first on the include path: the
// CPU emulation of the runtime; cuDNN's and cuBLAS's headers are the real ones either way.
#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <cudnn.h>

#include "pixelart/error.h"

#define PA_CUDA_CHECK(stmt)                                                                  \
  do {                                                                                       \
    const cudaError_t pa_e_ = (stmt);                                                        \
    if (pa_e_ != cudaSuccess)                                                                \
      ::pixelart::fail(__FILE__, __LINE__,                                                   \
                       std::string("CUDA error: ") + #stmt + ": " + cudaGetErrorName(pa_e_) + \
                           ": " + cudaGetErrorString(pa_e_));                                \
  } while (0)

#define PA_CUDNN_CHECK(stmt)                                                                  \
  do {                                                                                        \
    const cudnnStatus_t pa_s_ = (stmt);                                                       \
    if (pa_s_ != CUDNN_STATUS_SUCCESS)                                                        \
      ::pixelart::fail(__FILE__, __LINE__,                                                    \
                       std::string("cuDNN error: ") + #stmt + ": " + cudnnGetErrorString(pa_s_)); \
  } while (0)

#define PA_CUBLAS_CHECK(stmt)                                                                    \
  do {                                                                                           \
    const cublasStatus_t pa_s_ = (stmt);                                                         \
    if (pa_s_ != CUBLAS_STATUS_SUCCESS)                                                          \
      ::pixelart::fail(__FILE__, __LINE__,                                                       \
                       std::string("cuBLAS error: ") + #stmt + ": " + cublasGetStatusString(pa_s_)); \
  } while (0)

// After a kernel launch: launch-configuration errors surface here, at the launch site.
#define PA_CUDA_CHECK_LAUNCH() PA_CUDA_CHECK(cudaGetLastError())

#define PA_CUDA_CHECK_PRINT(stmt)                                                          \
  do {                                                                                     \
    const cudaError_t pa_e_ = (stmt);                                                      \
    if (pa_e_ != cudaSuccess)                                                              \
      std::fprintf(stderr, "%s:%d: CUDA error (ignored in destructor): %s: %s\n", __FILE__, \
                   __LINE__, #stmt, cudaGetErrorString(pa_e_));                            \
  } while (0)
