// src/tensor.cpp — storage (RAII, per device), the tensor handle, explicit copies.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "common.h"
#include "cpu_ops.h"
#include "host_memory.h"
#include "internal.h"

namespace pixelart {

const char* to_string(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }
const char* to_string(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::BF16: return "bf16";
    case DType::U8: return "u8";
  }
  return "?";
}
size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::BF16: return 2;
    case DType::U8: return 1;
  }
  return 0;
}
std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
  os << "]";
  return os.str();
}
int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

namespace {
// Tensor storage per device (tensor_bytes): bytes held now and the most held at once.
struct ByteCounter {
  std::atomic<int64_t> now{0}, peak{0};
  void add(int64_t b) {
    const int64_t n = now.fetch_add(b) + b;
    for (int64_t p = peak.load(); n > p && !peak.compare_exchange_weak(p, n);) {
    }
  }
};
ByteCounter& counter(Device dev) {
  static ByteCounter c[2];
  return c[dev == Device::CPU ? 0 : 1];
}

}  // namespace

TensorBytes tensor_bytes(Device dev) { return {counter(dev).now.load(), counter(dev).peak.load()}; }
void reset_peak_tensor_bytes(Device dev) { counter(dev).peak.store(counter(dev).now.load()); }

Storage::Storage(size_t b, Device dev) : bytes(b), device(dev) {
  if (dev == Device::CPU) {
    ptr = kernels::host_alloc(b);
    PA_CHECK(ptr != nullptr, "out of host memory allocating " << b << " bytes");
  } else {
    PA_ON_CUDA(ptr = cuda::alloc(b));
  }
  counter(dev).add(int64_t(b));
}
Storage::~Storage() {
  counter(device).add(-int64_t(bytes));
  if (device == Device::CPU) kernels::host_free(ptr, bytes);
#if defined(PIXELART_WITH_CUDA)
  else cuda::free(ptr, bytes);
#endif
}

// ---- construction ----------------------------------------------------------------------------
Tensor Tensor::empty(const Shape& shape, DType dtype, Device dev) {
  for (int64_t d : shape) PA_CHECK(d >= 0, "negative dimension in shape " << shape_str(shape));
  PA_CHECK(!(dev == Device::CUDA && dtype == DType::F64),
           "f64 tensors live on the CPU only (gradient checks); use f32 on CUDA");
  PA_CHECK(dev == Device::CPU || cuda_available(),
           "cannot allocate on cuda: " << cuda_unavailable_reason());
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype), dev);
  t.impl_->shape = shape;
  t.impl_->dtype = dtype;
  return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device dev) {
  return full(shape, 0.0, dtype, dev);
}
Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device dev) {
  Tensor t = empty(shape, dtype, dev);
  t.fill_(value);
  return t;
}
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& shape, DType dtype, Device dev) {
  PA_CHECK(static_cast<int64_t>(v.size()) == shape_numel(shape),
           "from_vector: " << v.size() << " values for shape " << shape_str(shape));
  Tensor host = empty(shape, dtype == DType::BF16 ? DType::F32 : dtype, Device::CPU);
  const int64_t n = host.numel();
  switch (host.dtype()) {
    case DType::F32: { float* p = host.data<float>(); for (int64_t i = 0; i < n; ++i) p[i] = float(v[i]); break; }
    case DType::F64: { double* p = host.data<double>(); std::copy(v.begin(), v.end(), p); break; }
    case DType::U8: { uint8_t* p = host.data<uint8_t>(); for (int64_t i = 0; i < n; ++i) p[i] = uint8_t(std::clamp(v[i], 0.0, 255.0)); break; }
    default: break;
  }
  Tensor t = host.to(dev);
  return dtype == DType::BF16 ? t.to(DType::BF16) : t;
}
Tensor Tensor::view_of(const Tensor& base, size_t elem_offset, const Shape& shape) {
  PA_CHECK(base.defined(), "view_of: undefined base");
  const size_t esz = dtype_size(base.dtype());
  PA_CHECK((elem_offset + shape_numel(shape)) * esz + base.impl_->offset <= base.impl_->storage->bytes,
           "view_of: view " << shape_str(shape) << " at " << elem_offset << " exceeds its storage");
  Tensor t;
  t.impl_ = std::make_shared<TensorImpl>();
  t.impl_->storage = base.impl_->storage;
  t.impl_->offset = base.impl_->offset + elem_offset * esz;
  t.impl_->shape = shape;
  t.impl_->dtype = base.dtype();
  return t;
}

// ---- accessors -------------------------------------------------------------------------------
const Shape& Tensor::shape() const {
  PA_CHECK(defined(), "use of an undefined tensor");
  return impl_->shape;
}
int64_t Tensor::size(int64_t i) const {
  const int64_t r = dim();
  if (i < 0) i += r;
  PA_CHECK(i >= 0 && i < r, "dimension " << i << " out of range for " << describe());
  return impl_->shape[i];
}
int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const {
  PA_CHECK(defined(), "use of an undefined tensor");
  return impl_->dtype;
}
Device Tensor::device() const {
  PA_CHECK(defined(), "use of an undefined tensor");
  return impl_->storage->device;
}
void* Tensor::raw() const {
  PA_CHECK(defined(), "use of an undefined tensor");
  return static_cast<char*>(impl_->storage->ptr) + impl_->offset;
}
template <class T>
static constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, uint16_t>) return DType::BF16;
  else return DType::U8;
}
template <class T>
T* Tensor::data() const {
  PA_CHECK(dtype() == dtype_of<T>(), "data<" << to_string(dtype_of<T>()) << ">() on a "
                                             << describe());
  return static_cast<T*>(raw());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template uint16_t* Tensor::data<uint16_t>() const;
template uint8_t* Tensor::data<uint8_t>() const;

std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  return std::string(to_string(dtype())) + shape_str(shape()) + "@" + to_string(device());
}

// ---- copies ----------------------------------------------------------------------------------
Tensor Tensor::to(Device dev) const {
  Tensor out = empty(shape(), dtype(), dev);
  out.copy_from(*this);
  return out;
}
void Tensor::copy_from(const Tensor& src) {
  PA_CHECK(src.shape() == shape() && src.dtype() == dtype(),
           "copy_from: " << src.describe() << " into " << describe());
  const size_t b = nbytes();
  if (b == 0) return;
  const Device a = src.device(), d = device();
  if (a == Device::CPU && d == Device::CPU) std::memcpy(raw(), src.raw(), b);
  else if (a == Device::CPU) PA_ON_CUDA(cuda::memcpy_h2d(raw(), src.raw(), b));
  else if (d == Device::CPU) PA_ON_CUDA(cuda::memcpy_d2h(raw(), src.raw(), b));
  else PA_ON_CUDA(cuda::memcpy_d2d(raw(), src.raw(), b));
}
Tensor Tensor::clone() const { return to(device()); }

Tensor Tensor::to(DType t) const {
  if (t == dtype()) return clone();
  Tensor out = empty(shape(), t, device());
  const int64_t n = numel();
  using kernels::bf16_to_f32;
  using kernels::f32_to_bf16;
  if (device() == Device::CUDA) {
    if (dtype() == DType::F32 && t == DType::BF16) PA_ON_CUDA(cuda::f32_to_bf16(data<float>(), out.data<uint16_t>(), n));
    else if (dtype() == DType::BF16 && t == DType::F32) PA_ON_CUDA(cuda::bf16_to_f32(data<uint16_t>(), out.data<float>(), n));
    else PA_CHECK(false, "conversion " << to_string(dtype()) << " -> " << to_string(t) << " is not supported on cuda");
    return out;
  }
  // CPU: through double, except the bf16 paths which round exactly as the CUDA kernel does.
  auto get = [&](int64_t i) -> double {
    switch (dtype()) {
      case DType::F32: return data<float>()[i];
      case DType::F64: return data<double>()[i];
      case DType::BF16: return bf16_to_f32(data<uint16_t>()[i]);
      case DType::U8: return data<uint8_t>()[i];
    }
    return 0;
  };
  for (int64_t i = 0; i < n; ++i) {
    const double v = get(i);
    switch (t) {
      case DType::F32: out.data<float>()[i] = float(v); break;
      case DType::F64: out.data<double>()[i] = v; break;
      case DType::BF16: out.data<uint16_t>()[i] = f32_to_bf16(float(v)); break;
      case DType::U8: out.data<uint8_t>()[i] = uint8_t(std::clamp(std::nearbyint(v), 0.0, 255.0)); break;
    }
  }
  return out;
}

std::vector<double> Tensor::to_vector() const {
  Tensor host = device() == Device::CPU ? *this : to(Device::CPU);
  Tensor d = host.dtype() == DType::F64 ? host : host.to(DType::F64);
  const double* p = d.data<double>();
  return std::vector<double>(p, p + d.numel());
}
double Tensor::item() const {
  PA_CHECK(numel() == 1, "item() on " << describe());
  return to_vector()[0];
}

void Tensor::fill_(double v) {
  const int64_t n = numel();
  if (device() == Device::CPU) {
    switch (dtype()) {
      case DType::F32: kernels::fill_cpu(data<float>(), float(v), n); break;
      case DType::F64: kernels::fill_cpu(data<double>(), v, n); break;
      case DType::BF16: std::fill_n(data<uint16_t>(), n, kernels::f32_to_bf16(float(v))); break;
      case DType::U8: std::memset(raw(), int(std::clamp(v, 0.0, 255.0)), size_t(n)); break;
    }
    return;
  }
  switch (dtype()) {
    case DType::F32: PA_ON_CUDA(cuda::fill_f32(data<float>(), float(v), n)); break;
    case DType::BF16: PA_ON_CUDA(cuda::fill_u16(data<uint16_t>(), kernels::f32_to_bf16(float(v)), n)); break;
    default: PA_CHECK(false, "fill_ of " << describe() << " is not supported");
  }
}

// reshape: a view; under autograd its backward routes the gradient back unchanged.
Tensor Tensor::reshape(const Shape& s) const {
  PA_CHECK(shape_numel(s) == numel(), "reshape " << describe() << " to " << shape_str(s));
  Tensor out = view_of(*this, 0, s);
  if (Tape* tape = recording_tape({this})) {
    out.set_requires_grad(true);
    Tensor self = *this;
    tape->record([self, out] {
      Tensor g = out.grad();
      if (!g.defined()) return;
      Tensor dst = self.grad_or_zeros();
      const int64_t n = g.numel();
      PA_KERNEL(g, axpy, T(1), g.data<T>(), dst.data<T>(), n);
    });
  }
  return out;
}

// ---- autograd state --------------------------------------------------------------------------
bool Tensor::requires_grad() const { return defined() && impl_->requires_grad; }
Tensor& Tensor::set_requires_grad(bool on) {
  PA_CHECK(defined(), "set_requires_grad on an undefined tensor");
  impl_->requires_grad = on;
  return *this;
}
Tensor Tensor::grad() const { return defined() ? impl_->grad : Tensor(); }
void Tensor::set_grad(const Tensor& g) {
  PA_CHECK(!g.defined() || (g.shape() == shape() && g.dtype() == dtype() && g.device() == device()),
           "set_grad: " << g.describe() << " for " << describe());
  impl_->grad = g;
}
Tensor Tensor::grad_or_zeros() const {
  if (!impl_->grad.defined()) impl_->grad = zeros(shape(), dtype(), device());
  return impl_->grad;
}

}  // namespace pixelart
