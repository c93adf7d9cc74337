// src/internal.h — what the op implementations in src/ share: the tensor impl, validation
// helpers and the CPU/CUDA dispatch macros. Not a public header.
#pragma once
#include <memory>
#include <string>

#include "pixelart/autograd.h"
#include "pixelart/tensor.h"

#if defined(PIXELART_WITH_CUDA)
#include "cuda_ops.h"
// Runs `stmt` (a call into kernels/cuda_ops.h); in CPU-only builds the call is not compiled.
#define PA_ON_CUDA(stmt) stmt
#else
#include "cuda_ops.h"  // declarations only: nothing in it is defined or called without CUDA
#define PA_ON_CUDA(stmt) ::pixelart::detail::no_cuda_build()
#endif

namespace pixelart {

struct Storage {
  void* ptr = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
  Storage(size_t bytes, Device dev);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t offset = 0;  // bytes into storage
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  Tensor grad;
};

namespace detail {
[[noreturn]] void no_cuda_build();
// Op-door validation: a clear message naming the op and the offending tensor.
void check_defined(const char* op, const char* name, const Tensor& t);
void check_rank(const char* op, const char* name, const Tensor& t, int64_t rank);
void check_float(const char* op, const char* name, const Tensor& t);  // F32, or F64 on the CPU
void check_same(const char* op, const char* name, const Tensor& a, const Tensor& ref);  // dtype+device
}  // namespace detail

}  // namespace pixelart

// Calls BODY with `T` bound to float or double according to the tensor's dtype (CPU paths).
#define PA_DISPATCH_FLOAT(dtype, ...)                                                 \
  do {                                                                                \
    if ((dtype) == ::pixelart::DType::F32) {                                          \
      using T = float;                                                                \
      __VA_ARGS__;                                                                    \
    } else if ((dtype) == ::pixelart::DType::F64) {                                   \
      using T = double;                                                               \
      __VA_ARGS__;                                                                    \
    } else {                                                                          \
      ::pixelart::fail(__FILE__, __LINE__, "unsupported dtype for a float kernel");   \
    }                                                                                 \
  } while (0)

// One kernel on the tensor's backend, its arguments written once: kernels::NAME_cpu<T> on the
// CPU (T float or double, as `like`'s dtype), cuda::NAME on CUDA (T float). The two share their
// argument lists by that naming (kernels/cpu_ops.h, kernels/cuda_ops.h).
//   PA_KERNEL(x, sigmoid_forward, x.data<T>(), y.data<T>(), n);
#define PA_KERNEL(like, name, ...)                                                               \
  do {                                                                                           \
    if ((like).device() == ::pixelart::Device::CPU) {                                            \
      PA_DISPATCH_FLOAT((like).dtype(), ::pixelart::kernels::name##_cpu<T>(__VA_ARGS__));        \
    } else {                                                                                     \
      PA_ON_CUDA({                                                                               \
        using T = float;                                                                         \
        ::pixelart::cuda::name(__VA_ARGS__);                                                     \
      });                                                                                        \
    }                                                                                            \
  } while (0)
