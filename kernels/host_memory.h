// kernels/host_memory.h — host memory for tensors and for the CPU kernels' scratch, from one cache.
// A training step or a batch of restores frees and allocates the same sizes again; returning each
// block of megabytes to the system only to fault every page of it in again (zeroed) costs more
// system time than the arithmetic that fills it. Blocks of 1 MiB or more are rounded up to a
// multiple of 1 MiB and kept for reuse by exact rounded size when freed (at most 2 GiB of them);
// smaller ones go to malloc. Every block is 64-byte aligned.
#pragma once
#include <cstddef>

namespace pixelart::kernels {

void* host_alloc(size_t bytes);            // null when the system has no memory for it
void host_free(void* p, size_t bytes);     // `bytes` as allocated

// Scratch of n elements of T, uninitialised, for one call.
template <class T>
class HostBuffer {
 public:
  explicit HostBuffer(size_t n);
  ~HostBuffer() { host_free(p_, n_ * sizeof(T)); }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  T* get() const { return p_; }

 private:
  size_t n_;
  T* p_;
};

}  // namespace pixelart::kernels
