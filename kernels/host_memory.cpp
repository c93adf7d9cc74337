// kernels/host_memory.cpp — the host block cache (kernels/host_memory.h).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>

#include "host_memory.h"

namespace pixelart::kernels {

namespace {
constexpr size_t kHostCacheMin = size_t(1) << 20, kHostCacheBytes = size_t(2) << 30;
struct HostCache {
  std::mutex m;
  std::unordered_multimap<size_t, void*> blocks;
  size_t cached = 0;
};
HostCache& host_cache() {
  static HostCache* c = new HostCache;  // never destroyed: tensors may outlive static destructors
  return *c;
}
size_t host_block_size(size_t b) {
  return b >= kHostCacheMin ? (b + kHostCacheMin - 1) / kHostCacheMin * kHostCacheMin : std::max<size_t>(64, (b + 63) / 64 * 64);
}
}  // namespace

void* host_alloc(size_t b) {
  const size_t size = host_block_size(b);
  if (size >= kHostCacheMin) {
    HostCache& c = host_cache();
    std::lock_guard<std::mutex> l(c.m);
    if (auto it = c.blocks.find(size); it != c.blocks.end()) {
      void* p = it->second;
      c.blocks.erase(it);
      c.cached -= size;
      return p;
    }
  }
  return std::aligned_alloc(64, size);
}
void host_free(void* p, size_t b) {
  const size_t size = host_block_size(b);
  if (size >= kHostCacheMin) {
    HostCache& c = host_cache();
    std::lock_guard<std::mutex> l(c.m);
    if (c.cached + size <= kHostCacheBytes) {
      c.blocks.emplace(size, p);
      c.cached += size;
      return;
    }
  }
  std::free(p);
}

template <class T>
HostBuffer<T>::HostBuffer(size_t n) : n_(n), p_(static_cast<T*>(host_alloc(n * sizeof(T)))) {
  if (!p_) throw std::bad_alloc();
}
template class HostBuffer<float>;
template class HostBuffer<double>;

}  // namespace pixelart::kernels
