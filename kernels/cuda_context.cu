// kernels/cuda_context.cu — run-time detection of the GPU, and the caching device allocator.
// The handles of cuDNN and cuBLAS live beside the code that uses them (conv_cudnn.cu,
// gemm_cublas.cu).
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cuda_check.h"
#include "cuda_ops.h"

namespace pixelart::cuda {

bool available(std::string* reason) {
  static int count = -1;
  static std::string why;
  static std::once_flag once;
  std::call_once(once, [] {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      why = std::string("no usable NVIDIA GPU: ") + cudaGetErrorString(e);
      (void)cudaGetLastError();  // clear the sticky-free error so later calls start clean
      count = 0;
    } else if (n == 0) {
      why = "no NVIDIA GPU found";
      count = 0;
    } else {
      count = n;
    }
  });
  if (reason) *reason = why;
  return count > 0;
}

std::string device_name() {
  cudaDeviceProp prop{};
  PA_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.name;
}

namespace {
// Training repeats the same shapes every step: freed blocks are kept per exact (rounded) size and
// handed out again, so a step after the first performs no cudaMalloc. On an out-of-memory error
// the cache is released and the allocation retried once.
class CachingAllocator {
 public:
  ~CachingAllocator() { release(); }
  void* alloc(size_t bytes) {
    const size_t key = round(bytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(key);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        return p;
      }
    }
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, key);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release();
      PA_CUDA_CHECK(cudaMalloc(&p, key));
    } else {
      PA_CUDA_CHECK(e);
    }
    return p;
  }
  void free(void* p, size_t bytes) noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    free_[round(bytes)].push_back(p);
  }
  void release() noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) PA_CUDA_CHECK_PRINT(cudaFree(p));
    free_.clear();
  }

 private:
  static size_t round(size_t b) { return b < 512 ? 512 : (b + 511) / 512 * 512; }
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
};
CachingAllocator& allocator() {
  static CachingAllocator a;
  return a;
}
}  // namespace

void* alloc(size_t bytes) { return allocator().alloc(bytes); }
void free(void* p, size_t bytes) noexcept {
  if (p) allocator().free(p, bytes);
}
void release_cached_memory() { allocator().release(); }

void memcpy_h2d(void* dst, const void* src, size_t bytes) {
  PA_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void memcpy_d2h(void* dst, const void* src, size_t bytes) {
  PA_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void memcpy_d2d(void* dst, const void* src, size_t bytes) {
  PA_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
}
void synchronize() { PA_CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace pixelart::cuda
