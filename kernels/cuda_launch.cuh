// kernels/cuda_launch.cuh — launch helpers shared by the .cu files: grid sizing and a
// deterministic two-pass block reduction (no atomics, so results repeat bit for bit).
#pragma once
#include <algorithm>

#include "cuda_check.h"
#include "cuda_ops.h"

namespace pixelart::cuda {

constexpr int kThreads = 256;
inline unsigned grid_for(int64_t n, int64_t cap = 65535) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + kThreads - 1) / kThreads, 1, cap));
}
// A grid-stride loop over [0, n).
#define PA_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

constexpr int kReduceBlocks = 512;  // partial sums per reduction (pass 1), summed by one block

// Sums `v` over the block; the result is valid in thread 0. blockDim.x == kThreads.
template <class T>
__device__ T block_sum(T v) {
  __shared__ T sh[kThreads / 32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) sh[warp] = v;
  __syncthreads();
  v = threadIdx.x < kThreads / 32 ? sh[threadIdx.x] : T(0);
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  __syncthreads();  // sh may be reused by a following call
  return v;
}

// RAII scratch from the caching allocator.
struct Scratch {
  void* p;
  size_t bytes;
  explicit Scratch(size_t b) : p(cuda::alloc(b)), bytes(b) {}
  ~Scratch() { cuda::free(p, bytes); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T> T* as() const { return static_cast<T*>(p); }
};

}  // namespace pixelart::cuda
