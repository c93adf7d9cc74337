// pixelart/tensor.h — the tensor: shape, dtype, device and RAII storage; NHWC by convention.
//
// A Tensor is a cheap handle (shared ownership) to an impl holding a storage, a byte offset into
// it, a shape and a dtype, plus its autograd state (see autograd.h). The device is a property of
// each tensor and every op dispatches on it; there is no global device mode. The only way data
// moves between host and device is an explicit copy: `to(Device)`.
//
// Layout: contiguous row-major; images are NHWC ([batch, height, width, channels]).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "pixelart/error.h"

namespace pixelart {

enum class Device : uint8_t { CPU, CUDA };
// F64 exists for gradient checks on the CPU; BF16 is a storage type (convert with to(DType)).
enum class DType : uint8_t { F32, F64, BF16, U8 };  // U8: pixels, masks, argmax indices

const char* to_string(Device d);
const char* to_string(DType t);
size_t dtype_size(DType t);

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);

struct Storage;     // RAII allocation on one device (src/tensor.cpp)
struct TensorImpl;  // storage + offset + shape + dtype + autograd state

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (defined() == false)

  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device dev = Device::CPU);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device dev = Device::CPU);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32,
                     Device dev = Device::CPU);
  // Copies host values (converted to dtype) into a new tensor on `dev`.
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            DType dtype = DType::F32, Device dev = Device::CPU);
  // A view of `bytes` of an existing storage (used by the parameter arena).
  static Tensor view_of(const Tensor& base, size_t elem_offset, const Shape& shape);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t i) const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  void* raw() const;
  template <class T> T* data() const;  // checks that T matches dtype()

  // Explicit copies: the only host<->device path.
  Tensor to(Device dev) const;
  Tensor to(DType dtype) const;  // conversion on the tensor's device
  Tensor clone() const;
  // All values, copied to the host and converted to double (for tests and logging).
  std::vector<double> to_vector() const;
  double item() const;  // the value of a one-element tensor (a host round trip)

  Tensor reshape(const Shape& shape) const;  // a view sharing storage; numel must match
  void fill_(double value);                  // in place, on the tensor's device
  void copy_from(const Tensor& src);         // same shape and dtype; any devices

  // Autograd state (see autograd.h).
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);
  Tensor grad() const;                  // undefined until a backward pass writes one
  void set_grad(const Tensor& g);       // e.g. a view into the gradient arena
  Tensor grad_or_zeros() const;         // allocates a zero gradient on first use

  bool same(const Tensor& o) const { return impl_ == o.impl_; }
  std::string describe() const;  // "f32[1,256,256,4]@cuda"

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Run-time detection: true when the CUDA backend is built in and a GPU with a driver is present.
bool cuda_available();
// Why there is no usable GPU ("built without CUDA", "no NVIDIA driver", ...); empty if there is one.
std::string cuda_unavailable_reason();
// The GPU's name ("NVIDIA H200"), or an empty string where there is none.
std::string cuda_device_name();
// Parses "auto", "cpu" or "cuda". "auto" picks CUDA where available. Asking for "cuda" where
// there is none throws Error(kind NoDevice) with the reason.
Device parse_device(const std::string& s);
// Blocks until all queued device work is done (no-op on the CPU).
void synchronize(Device dev);

// Memory, for the benchmarks and the commands' summaries.
// Tensor storage on a device: bytes held by live tensors now, and the most held at once since
// the start or the last reset_peak_tensor_bytes (the figure PyTorch calls max_memory_allocated,
// for tensors; scratch outside tensors, such as im2col buffers or cuDNN workspaces, is not in it).
struct TensorBytes {
  int64_t now = 0, peak = 0;
};
TensorBytes tensor_bytes(Device dev);
void reset_peak_tensor_bytes(Device dev);
// The process's peak resident memory (Linux VmHWM: everything, scratch and libraries included),
// and resetting it to the current resident size (clear_refs 5), so that a phase of a run can be
// measured on its own; 0 / no effect where the system does not say.
int64_t host_peak_rss_bytes();
void reset_host_peak_rss();
// The memory the machine has available now (Linux MemAvailable), in bytes; 0 where the system
// does not say.
int64_t host_available_bytes();

}  // namespace pixelart
