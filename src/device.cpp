// src/device.cpp — run-time device detection, --device parsing, and the error helper.
#include <fstream>
#include <sstream>
#include <string>

#include "internal.h"

namespace pixelart {

void fail(const char* file, int line, const std::string& msg, ErrorKind kind) {
  std::ostringstream os;
  os << msg << " [" << file << ":" << line << "]";
  throw Error(os.str(), kind);
}

namespace detail {
void no_cuda_build() {
  throw Error("this build of pixelart has no CUDA backend (configured without a CUDA toolkit)",
              ErrorKind::NoDevice);
}
void check_defined(const char* op, const char* name, const Tensor& t) {
  PA_CHECK(t.defined(), op << ": " << name << " is undefined");
}
void check_rank(const char* op, const char* name, const Tensor& t, int64_t rank) {
  check_defined(op, name, t);
  PA_CHECK(t.dim() == rank, op << ": " << name << " must have rank " << rank << ", got "
                               << t.describe());
}
void check_float(const char* op, const char* name, const Tensor& t) {
  check_defined(op, name, t);
  const bool ok = t.dtype() == DType::F32 || (t.dtype() == DType::F64 && t.device() == Device::CPU);
  PA_CHECK(ok, op << ": " << name << " must be f32 (or f64 on the cpu), got " << t.describe());
}
void check_same(const char* op, const char* name, const Tensor& a, const Tensor& ref) {
  check_defined(op, name, a);
  PA_CHECK(a.dtype() == ref.dtype() && a.device() == ref.device(),
           op << ": " << name << " is " << a.describe() << " but the input is " << ref.describe());
}
}  // namespace detail

bool cuda_available() {
#if defined(PIXELART_WITH_CUDA)
  return cuda::available(nullptr);
#else
  return false;
#endif
}
std::string cuda_unavailable_reason() {
#if defined(PIXELART_WITH_CUDA)
  std::string why;
  return cuda::available(&why) ? std::string() : why;
#else
  return "this build has no CUDA backend (configured without a CUDA toolkit)";
#endif
}

std::string cuda_device_name() {
#if defined(PIXELART_WITH_CUDA)
  if (cuda_available()) return cuda::device_name();
#endif
  return {};
}

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::CPU;
  if (s == "auto") return cuda_available() ? Device::CUDA : Device::CPU;
  if (s == "cuda" || s == "gpu") {
    if (!cuda_available())
      throw Error("--device cuda: " + cuda_unavailable_reason(), ErrorKind::NoDevice);
    return Device::CUDA;
  }
  throw Error("--device must be auto, cpu or cuda (got '" + s + "')", ErrorKind::Usage);
}

void synchronize(Device dev) {
  if (dev == Device::CUDA) PA_ON_CUDA(cuda::synchronize());
}

int64_t host_peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmHWM:   1234 kB"
  return 0;
}
void reset_host_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
int64_t host_available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);)
    if (line.rfind("MemAvailable:", 0) == 0) return std::stoll(line.substr(13)) * 1024;  // "MemAvailable: 1234 kB"
  return 0;
}

}  // namespace pixelart
