// tests/cuda_emu/test_emu.cu — the emulation itself (cuda_emu.h): that barriers, warp shuffles,
// per-block shared memory and launch errors mean what they mean on a GPU, and that the bugs it
// claims to catch are caught. Built only into pixelart_emu_tests (translated like kernels/*.cu).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "cuda_launch.cuh"
#include "cuda_ops.h"
#include "pixelart/error.h"

namespace pixelart::cuda {
namespace {

// Each block's partial sum through the project's block_sum (warp shuffles, shared memory, two
// barriers), then one block over the partials: the reduction every loss and norm uses.
__global__ void k_partials(const float* x, int64_t n, float* part) {
  float acc = 0.f;
  PA_GRID_STRIDE(i, n) acc += x[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) part[blockIdx.x] = acc;
}

TEST(CudaEmulation, BlockSumAddsEveryValueOnce) {
  for (int64_t n : {1, 31, 256, 1000, 70001}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[size_t(i)] = float(i % 7 + 1);  // small integers: exact sums
    const int blocks = 13;
    std::vector<float> part(blocks, -1.f);
    k_partials<<<blocks, kThreads>>>(x.data(), n, part.data());
    PA_CUDA_CHECK_LAUNCH();
    EXPECT_EQ(std::accumulate(part.begin(), part.end(), 0.0), std::accumulate(x.begin(), x.end(), 0.0)) << n;
  }
}

// Block b writes b into shared memory, waits, and reads it back: any block seeing another's
// value would mean shared memory is not per block.
__global__ void k_shared_is_per_block(int* seen) {
  __shared__ int v[kThreads];
  v[threadIdx.x] = int(blockIdx.x) * 1000 + int(threadIdx.x);
  __syncthreads();
  const int other = (threadIdx.x + 1) % blockDim.x;
  seen[blockIdx.x * blockDim.x + threadIdx.x] = v[other];
}

TEST(CudaEmulation, SharedMemoryIsPerBlockAndBarriersOrderIt) {
  const int blocks = 64;
  std::vector<int> seen(size_t(blocks) * kThreads, -1);
  k_shared_is_per_block<<<blocks, kThreads>>>(seen.data());
  PA_CUDA_CHECK_LAUNCH();
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < kThreads; ++t)
      ASSERT_EQ(seen[size_t(b) * kThreads + t], b * 1000 + (t + 1) % kThreads) << "block " << b << " thread " << t;
}

__global__ void k_shuffle_down(const float* x, float* y, unsigned delta) {
  y[threadIdx.x] = __shfl_down_sync(0xffffffffu, x[threadIdx.x], delta);
}

TEST(CudaEmulation, ShuffleDownTakesTheLaneDeltaAboveWithinTheWarp) {
  std::vector<float> x(64), y(64);
  std::iota(x.begin(), x.end(), 0.f);
  k_shuffle_down<<<1, 64>>>(x.data(), y.data(), 5u);
  PA_CUDA_CHECK_LAUNCH();
  for (int t = 0; t < 64; ++t) EXPECT_EQ(y[size_t(t)], (t % 32) + 5 < 32 ? float(t + 5) : float(t)) << t;
}

// A bug the emulation must report rather than hang on: half a warp returns early, the other half
// shuffles with a full mask (undefined on a GPU, where it may hang or read garbage).
__global__ void k_divergent_shuffle(float* y) {
  if (threadIdx.x % 32 >= 16) return;
  y[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1u);
}

TEST(CudaEmulation, AShuffleThatPartOfTheWarpNeverReachesIsALaunchError) {
  std::vector<float> y(64, 0.f);
  k_divergent_shuffle<<<1, 64>>>(y.data());
  try {
    PA_CUDA_CHECK_LAUNCH();
    FAIL() << "a divergent full-mask shuffle was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cudaErrorLaunchFailure"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("exited"), std::string::npos) << e.what();
  }
}

// Exited threads no longer count at a barrier (as on a GPU since Volta): the first warp shuffles
// and returns, the second passes its barrier alone.
__global__ void k_barrier_after_exit(float* y) {
  if (threadIdx.x < 32) {
    y[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1u);
    return;
  }
  __syncthreads();
  y[threadIdx.x] = 2.f;
}

TEST(CudaEmulation, ABarrierWaitsOnlyForTheThreadsStillRunning) {
  std::vector<float> y(64, 0.f);
  k_barrier_after_exit<<<1, 64>>>(y.data());
  PA_CUDA_CHECK_LAUNCH();
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[63], 2.f);
}

// A deadlock (undefined on a GPU, which may hang): half of the second warp waits in a shuffle
// that the rest of its warp never reaches, while everyone else waits at the barrier.
__global__ void k_deadlock(float* y) {
  if (threadIdx.x >= 32 && threadIdx.x < 48) y[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.f, 1u);
  __syncthreads();
}

TEST(CudaEmulation, ADeadlockIsALaunchErrorNotAHang) {
  std::vector<float> y(64, 0.f);
  k_deadlock<<<1, 64>>>(y.data());
  try {
    PA_CUDA_CHECK_LAUNCH();
    FAIL() << "the deadlock was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
  }
}

// A race: every thread of every block writes one place. The last writer wins, and which thread
// is last is the order's: the reversed run (ctest emu.reversed_order) changes the result, which is
// how that run exposes a racing kernel to the tests that compare with the CPU.
__global__ void k_race(int* out) { out[0] = int(blockIdx.x * blockDim.x + threadIdx.x); }

TEST(CudaEmulation, ARacingKernelsResultDependsOnTheOrder) {
  int out = -1;
  k_race<<<4, 64>>>(&out);
  PA_CUDA_CHECK_LAUNCH();
  // forward: block 0 first, then 1..3 over OpenMP threads, so the winner is in one of blocks 1..3
  // at thread 63; reversed: block 0 first, then 3..1, threads 63..0, so a thread 0 wins
  if (pixelart::emu::reversed_order()) EXPECT_EQ(out % 64, 0) << out;
  else EXPECT_EQ(out % 64, 63) << out;
}

__global__ void k_noop(float*) {}

TEST(CudaEmulation, ABadLaunchConfigurationIsReportedAtTheLaunchSite) {
  std::vector<float> y(1);
  k_noop<<<1, 2048>>>(y.data());  // more than 1024 threads per block
  try {
    PA_CUDA_CHECK_LAUNCH();
    FAIL() << "a block of 2048 threads was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cudaErrorInvalidConfiguration"), std::string::npos) << m;
    EXPECT_NE(m.find("test_emu.cu"), std::string::npos) << m;  // the file of the launch
  }
  k_noop<<<1, 32>>>(y.data());
  PA_CUDA_CHECK_LAUNCH();  // the error was cleared by the check that reported it
}

TEST(CudaEmulation, FreshDeviceMemoryIsPoisonedNotZero) {
  float* p = static_cast<float*>(alloc(64 * sizeof(float)));
  std::vector<float> host(64, 0.f);
  memcpy_d2h(host.data(), p, 64 * sizeof(float));
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(std::isnan(host[size_t(i)])) << i;
  free(p, 64 * sizeof(float));
}

__global__ void k_write(float* p, int64_t n) { PA_GRID_STRIDE(i, n) p[i] = 1.f; }

// The two faults a GPU would not forgive, each reported by name: host code dereferencing device
// memory, and a kernel running past the end of its buffer.
TEST(CudaEmulationDeathTest, HostCodeTouchingDeviceMemoryIsCaught) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  float* p = static_cast<float*>(alloc(64 * sizeof(float)));
  k_write<<<1, kThreads>>>(p, 64);  // inside a kernel: allowed
  PA_CUDA_CHECK_LAUNCH();
  EXPECT_DEATH({ volatile float v = p[3]; (void)v; }, "host code touched device memory: 12 bytes into a device allocation of 256 bytes");
  free(p, 64 * sizeof(float));
}

TEST(CudaEmulationDeathTest, AKernelRunningPastItsBufferIsCaught) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  float* p = static_cast<float*>(alloc(64 * sizeof(float)));
  EXPECT_DEATH(
      {
        k_write<<<1, kThreads>>>(p, 65);  // one float too many
        PA_CUDA_CHECK_LAUNCH();
      },
      "out of bounds: an access 0 bytes past the end of a device allocation of 256 bytes");
  free(p, 64 * sizeof(float));
}

}  // namespace
}  // namespace pixelart::cuda
