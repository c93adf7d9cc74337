// tests/cuda_emu/cuda_emu.h — the CUDA runtime as kernels/*.cu see it, emulated on the CPU, so
// that the hand-written kernels and src/'s CUDA dispatch run (and are tested) on machines with no
// GPU. A test harness, never part of the pixelart tool.
//
// What it is: kernels/{elementwise,pool,loss,adam,synth}.cu compiled by g++ after
// translate.cmake rewrites each `k<<<grid, block>>>(args)` as `PA_EMU_LAUNCH(k, grid, block)(args)`.
// A launch checks its configuration as the runtime does (an error shows up in cudaGetLastError,
// so PA_CUDA_CHECK_LAUNCH reports it), then runs every thread of every block:
//   - blocks in any order, spread over OpenMP threads;
//   - the threads of a block as fibers (cooperative, on their own stacks), so __syncthreads()
//     and __shfl_down_sync() have their CUDA meaning: a barrier of the block's live threads, and
//     a warp exchange that all 32 lanes must reach (a lane that has exited, or waits elsewhere,
//     is reported as an error instead of hanging);
//   - a kernel whose first thread reaches no barrier runs every other thread as a plain call;
//   - PIXELART_EMU_ORDER=reverse runs blocks, and threads between barriers, last first.
// __shared__ memory is per block. Device memory (cuda::alloc) is a mapping per allocation,
// poisoned with 0xff bytes (NaN for floats) as cudaMalloc promises no contents, with a guard page
// right after the buffer and closed to the host outside kernels, copies and the emulated cuDNN
// and cuBLAS calls: a kernel running off its buffer and host code dereferencing device memory
// both fault, and the fault handler says which.
// cuDNN and cuBLAS: conv_cudnn.cu and gemm_cublas.cu are compiled too, against the real headers;
// cuDNN's descriptors are libcudnn's own, and the library calls that need a GPU are emulated by
// what the libraries document (cuda_emu_dnn.cpp, tested against hand-computed results on layouts
// the project does not use in test_emu_dnn.cpp).
//
// What it is not: the GPU. The emulated cuDNN and cuBLAS compute with the CPU's arithmetic and
// know only what their documentation says (not what a real algorithm does with an edge case),
// device libm (sinf, expf) is the host's, a block's threads run one after another (races show
// only where the two orders differ; the memory model is not tested), and a host pointer passed
// to a kernel is not caught. The real thing is tools/gpu_check.sh on a GPU.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// One copy per OS thread, and each OS thread runs one block at a time: per block, as on the GPU.
#define __shared__ static thread_local

// The toolkit's own declarations of the runtime API (its types and error codes; the qualifiers
// above are already defined, so it keeps them), so that the real cudnn.h and cublas_v2.h can be
// included beside this header. Of the runtime, the emulation defines what the project calls
// outside cuda_context.cu: cudaGetLastError, cudaGetErrorName, cudaGetErrorString
// (cuda_emu.cpp). Nothing links the CUDA runtime library.
#include <cuda_runtime_api.h>

namespace pixelart::emu {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};
// The running thread's coordinates (set by the scheduler before it resumes a thread).
struct Coords {
  Dim3 thread, block, block_dim, grid_dim;
};
// constinit: accessed without a thread_local init call (which also keeps GCC 12's -fsanitize=null from
// misreading the address as null after one)
extern constinit thread_local Coords coords;

void sync_block();  // __syncthreads()
// The warp exchange under __shfl_down_sync: lane L's `bytes` go in, lane L + delta's come out
// (lane L's own where L + delta >= 32).
void shfl_down(void* value, int bytes, unsigned delta, unsigned mask);

// Device memory (cuda::alloc): its own mapping per allocation with a guard page after it, closed
// to the host except inside a DeviceAccess scope (kernels, copies, the emulated cuDNN/cuBLAS calls).
void* device_alloc(size_t bytes);
void device_free(void* p);
struct DeviceAccess {
  DeviceAccess();
  ~DeviceAccess();
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
};

// PIXELART_EMU_ORDER=reverse: blocks, and a block's threads between barriers, run last first.
bool reversed_order();

using Body = void (*)(void* closure);
// Runs `body(closure)` once per thread of the grid; a bad configuration or a failed thread sets
// the error that cudaGetLastError() returns.
void launch(long long grid, long long block, Body body, void* closure, const char* kernel);

// PA_EMU_LAUNCH(k, grid, block)(args...): the arguments are copied once, as a launch copies them
// to the device, and every thread calls k on them.
template <class K>
struct Launcher {
  K kernel;
  long long grid, block;
  const char* name;
  template <class... A>
  void operator()(const A&... args) const {
    auto call = [&] { kernel(args...); };
    launch(grid, block, [](void* c) { (*static_cast<decltype(call)*>(c))(); }, &call, name);
  }
};
template <class K>
Launcher<K> launcher(K k, long long grid, long long block, const char* name) {
  return {k, grid, block, name};
}

}  // namespace pixelart::emu

#define PA_EMU_LAUNCH(k, grid, block) \
  ::pixelart::emu::launcher([](const auto&... pa_args) { k(pa_args...); }, (grid), (block), #k)

#define threadIdx (::pixelart::emu::coords.thread)
#define blockIdx (::pixelart::emu::coords.block)
#define blockDim (::pixelart::emu::coords.block_dim)
#define gridDim (::pixelart::emu::coords.grid_dim)

inline void __syncthreads() { ::pixelart::emu::sync_block(); }
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "__shfl_down_sync: a 4- or 8-byte value");
  ::pixelart::emu::shfl_down(&v, int(sizeof(T)), delta, mask);
  return v;
}
