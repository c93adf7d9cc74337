// tests/cuda_emu/cuda_emu.cpp — the emulated launch (fibers per block, see cuda_emu.h) and the
// emulated device of kernels/cuda_ops.h: detection, memory and copies.
#include "cuda_emu.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cuda_ops.h"
#include "pixelart/error.h"

// ---- the context switch: callee-saved registers and the FP control words, then the stack ----
#if defined(__x86_64__)
extern "C" void pa_emu_switch(void** save_sp, void* new_sp);
asm(R"(
.text
.globl pa_emu_switch
.type pa_emu_switch, @function
pa_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size pa_emu_switch, .-pa_emu_switch
.section .note.GNU-stack,"",@progbits
.text
)");
#else
#error "the CUDA emulation's fibers are written for x86-64 (configure with -DPIXELART_CUDA_EMULATION=OFF)"
#endif

namespace {
thread_local cudaError_t last_error = cudaSuccess;
std::mutex error_mu;
std::string error_detail;  // what the last failed launch said, for the error string

void set_error(cudaError_t e, const std::string& detail) {
  last_error = e;
  std::lock_guard<std::mutex> lock(error_mu);
  error_detail = detail;
  std::fprintf(stderr, "cuda emulation: %s\n", detail.c_str());
}
}  // namespace

cudaError_t cudaGetLastError() {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    default: break;
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t e) {
  if (e == cudaSuccess) return "no error";
  static thread_local std::string s;
  std::lock_guard<std::mutex> lock(error_mu);
  s = std::string(cudaGetErrorName(e)) + " (emulated: " + error_detail + ")";
  return s.c_str();
}

namespace pixelart::emu {

constinit thread_local Coords coords;

// PIXELART_EMU_ORDER=reverse runs the blocks of a grid, and the threads of a block between two
// barriers, last first. A kernel correct on a GPU gives the same result in either order; one whose
// threads race (two writing one place, a read of another thread's write without a barrier between)
// changes it, and the tests that compare with the CPU see that (ctest: emu.reversed_order).
bool reversed_order() {
  static const bool r = [] {
    const char* e = std::getenv("PIXELART_EMU_ORDER");
    return e && std::string(e) == "reverse";
  }();
  return r;
}

namespace {

constexpr int kWarp = 32;
// Per thread of a block (virtual; pages are touched only as used): the kernels keep small frames,
// but sanitizer builds pad every local with red zones. Below each stack a guard band of 64 KiB,
// wider than any frame, so an overflow faults instead of landing in the neighbouring stack.
constexpr size_t kStack = 256 * 1024, kGuard = 64 * 1024;

enum class State { Ready, AtBlockBarrier, AtWarpBarrier, Done };

// The k-th of n in the order of this run.
long long nth(long long k, long long n) { return reversed_order() ? n - 1 - k : k; }

struct Fiber {
  void* sp = nullptr;
  State state = State::Ready;
  unsigned mask = 0;  // at a warp barrier: the lanes named by the shuffle
};

// One block's threads on one OS thread.
struct Block {
  std::vector<Fiber> fibers;
  char* stacks = nullptr;  // fibers.size() stacks, each above a guard page (stacks grow down)
  size_t mapped = 0;
  void* scheduler_sp = nullptr;
  int current = -1;
  Body body = nullptr;
  void* closure = nullptr;
  bool synced = false;    // some thread reached a barrier or a shuffle
  std::string failure;    // set when the block cannot go on (a deadlock, a divergent shuffle)
  alignas(16) unsigned char slots[1024 / kWarp][kWarp][8];  // the shuffle exchange, per warp and lane

  ~Block() {
    if (stacks) munmap(stacks, mapped);
  }
  void reserve(int threads) {
    if (int(fibers.size()) >= threads && stacks) return;
    if (stacks) munmap(stacks, mapped);
    const size_t each = kStack + kGuard;
    mapped = each * size_t(threads);
    void* m = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) std::abort();
    stacks = static_cast<char*>(m);
    for (int t = 0; t < threads; ++t) mprotect(stacks + each * size_t(t), kGuard, PROT_NONE);  // overflow faults
    fibers.resize(size_t(threads));
  }
  char* stack_top(int t) const {
    return stacks + (kStack + kGuard) * size_t(t + 1);
  }
};
thread_local Block* running = nullptr;  // the block the current OS thread is running

[[noreturn]] void fiber_entry() {
  Block& b = *running;
  b.body(b.closure);
  b.fibers[size_t(b.current)].state = State::Done;
  pa_emu_switch(&b.fibers[size_t(b.current)].sp, b.scheduler_sp);
  std::abort();  // never resumed
}

// Back to the scheduler with the given state; returns when the scheduler resumes this thread.
void yield(State s) {
  Block& b = *running;
  b.synced = true;
  Fiber& f = b.fibers[size_t(b.current)];
  f.state = s;
  pa_emu_switch(&f.sp, b.scheduler_sp);  // a block that fails is abandoned: never resumed
}

// Runs one block's threads as fibers until all are done. Returns false (with b.failure) when the
// threads cannot all finish.
bool run_block_fibers(Block& b, int threads) {
  b.reserve(threads);
  b.failure.clear();
  for (int t = 0; t < threads; ++t) {
    // A fresh stack: [fpu cw | mxcsr][r15 r14 r13 r12 rbx rbp][fiber_entry][0], as pa_emu_switch
    // pops it; fiber_entry starts with the stack aligned as after a call.
    auto* top = reinterpret_cast<uint64_t*>(b.stack_top(t));
    top[-1] = 0;
    top[-2] = reinterpret_cast<uint64_t>(&fiber_entry);
    for (int r = 3; r <= 8; ++r) top[-r] = 0;
    top[-9] = 0x037fULL << 32 | 0x1f80ULL;
    b.fibers[size_t(t)] = Fiber{top - 9, State::Ready, 0};
  }
  const int warps = (threads + kWarp - 1) / kWarp;
  for (;;) {
    bool ran = false;
    for (int k = 0; k < threads; ++k) {
      const int t = int(nth(k, threads));
      if (b.fibers[size_t(t)].state != State::Ready) continue;
      ran = true;
      b.current = t;
      coords.thread = Dim3{unsigned(t), 0, 0};
      pa_emu_switch(&b.scheduler_sp, b.fibers[size_t(t)].sp);
    }
    // Release what can be released: whole warps at a shuffle, the whole block at a barrier.
    int live = 0, at_block = 0;
    for (int t = 0; t < threads; ++t) {
      live += b.fibers[size_t(t)].state != State::Done;
      at_block += b.fibers[size_t(t)].state == State::AtBlockBarrier;
    }
    if (live == 0) return true;
    bool released = false;
    for (int w = 0; w < warps; ++w) {
      const int lo = w * kWarp, hi = std::min(threads, lo + kWarp);
      int waiting = 0, done = 0;
      unsigned mask = 0;
      for (int t = lo; t < hi; ++t) {
        waiting += b.fibers[size_t(t)].state == State::AtWarpBarrier;
        done += b.fibers[size_t(t)].state == State::Done;
        if (b.fibers[size_t(t)].state == State::AtWarpBarrier) mask = b.fibers[size_t(t)].mask;
      }
      if (waiting == 0) continue;
      if (waiting + done == hi - lo) {
        if (done > 0 && mask == 0xffffffffu) {
          b.failure = "warp " + std::to_string(w) + ": __shfl_down_sync with a full mask after " +
                      std::to_string(done) + " of its lanes had exited";
          return false;
        }
        for (int t = lo; t < hi; ++t)
          if (b.fibers[size_t(t)].state == State::AtWarpBarrier) b.fibers[size_t(t)].state = State::Ready;
        released = true;
      }
    }
    if (!released && at_block == live) {
      for (int t = 0; t < threads; ++t)
        if (b.fibers[size_t(t)].state == State::AtBlockBarrier) b.fibers[size_t(t)].state = State::Ready;
      released = true;
    }
    if (!released && !ran) {
      b.failure = "deadlock: " + std::to_string(at_block) + " of " + std::to_string(live) +
                  " live threads wait at __syncthreads(), the others at a warp shuffle some lanes never reach";
      return false;
    }
  }
}

// A block whose threads never synchronise: each thread a plain call, in order.
[[noreturn]] void sync_outside_fiber() {
  std::fprintf(stderr, "cuda emulation: a thread run as a plain call reached a barrier (a barrier "
                       "that the block's first thread skipped: divergent __syncthreads)\n");
  std::abort();
}
thread_local bool direct = false;

}  // namespace

void sync_block() {
  if (direct) sync_outside_fiber();
  yield(State::AtBlockBarrier);
}

void shfl_down(void* value, int bytes, unsigned delta, unsigned mask) {
  if (direct) sync_outside_fiber();
  Block& b = *running;
  const int t = b.current, w = t / kWarp, lane = t % kWarp;
  std::memcpy(b.slots[w][lane], value, size_t(bytes));
  b.fibers[size_t(t)].mask = mask;
  yield(State::AtWarpBarrier);  // every lane has written
  const unsigned src = unsigned(lane) + delta;
  if (src < unsigned(kWarp) && (mask >> src & 1u)) std::memcpy(value, b.slots[w][src], size_t(bytes));
  yield(State::AtWarpBarrier);  // every lane has read before any writes again
}

void launch(long long grid, long long block, Body body, void* closure, const char* kernel) {
  if (grid < 1 || grid > 0x7fffffffLL || block < 1 || block > 1024) {
    set_error(cudaErrorInvalidConfiguration, std::string(kernel) + "<<<" + std::to_string(grid) + ", " +
                                                 std::to_string(block) + ">>>: grid must be 1..2^31-1 and block 1..1024");
    return;
  }
  const Dim3 g{unsigned(grid), 1, 1}, bd{unsigned(block), 1, 1};
  const int threads = int(block);
  DeviceAccess open;
  std::atomic<bool> failed{false};
  std::string why;
  std::mutex why_mu;
  auto fail = [&](const std::string& s) {
    std::lock_guard<std::mutex> lock(why_mu);
    if (!failed.exchange(true)) why = s;
  };

  // Block `blk` on this OS thread's fibers; returns whether some thread synchronised.
  auto on_fibers = [&](long long blk) {
    static thread_local Block b;
    running = &b;
    b.body = body;
    b.closure = closure;
    b.synced = false;
    coords = Coords{{}, Dim3{unsigned(blk), 0, 0}, bd, g};
    if (!run_block_fibers(b, threads)) fail("block " + std::to_string(blk) + ": " + b.failure);
    running = nullptr;
    return b.synced;
  };
  const bool synced = on_fibers(0);  // block 0 tells whether this kernel synchronises at all
  if (!failed) {
#pragma omp parallel for schedule(dynamic, 64)
    for (long long k = 1; k < grid; ++k) {
      const long long blk = reversed_order() ? grid - k : k;  // block 0 always first: it decides the mode
      if (failed) continue;
      if (synced) {
        on_fibers(blk);
        continue;
      }
      coords = Coords{{}, Dim3{unsigned(blk), 0, 0}, bd, g};
      direct = true;
      for (int t = 0; t < threads; ++t) {
        coords.thread = Dim3{unsigned(nth(t, threads)), 0, 0};
        body(closure);
      }
      direct = false;
    }
  }
  if (failed) set_error(cudaErrorLaunchFailure, std::string(kernel) + ": " + why);
}

}  // namespace pixelart::emu

// ---- device memory: a mapping per allocation, closed to the host between device operations ----
namespace pixelart::emu {
namespace {

// Each allocation is a mapping of its own: data pages, then a guard page that is never open.
// The buffer ends at most 15 bytes before the guard page (16-byte alignment), so a kernel or a
// library call that runs past its end faults. Outside kernels, copies and the cuDNN/cuBLAS
// stand-ins the data pages are closed too (PROT_NONE), so host code that reads or writes device
// memory directly, which a GPU would not allow, faults as well. The fault handler names which.
struct Region {
  char* map = nullptr;
  size_t data = 0;   // bytes of data pages before the guard page
  char* buf = nullptr;
  size_t bytes = 0;
};
std::mutex mem_mu;
std::map<uintptr_t, Region> regions;  // by buffer address
int open_depth = 0;                   // DeviceAccess scopes alive (all threads)
size_t page_size() {
  static const size_t p = size_t(sysconf(_SC_PAGESIZE));
  return p;
}

// The signal handler reads `regions` without the lock: it only ever aborts afterwards.
void on_fault(int sig, siginfo_t* info, void*) {
  const auto a = reinterpret_cast<uintptr_t>(info->si_addr);
  for (const auto& [start, r] : regions) {
    const auto m = reinterpret_cast<uintptr_t>(r.map);
    if (a < m || a >= m + r.data + page_size()) continue;
    char msg[300];
    int n;
    if (a >= m + r.data)
      n = std::snprintf(msg, sizeof msg,
                        "cuda emulation: out of bounds: an access %zu bytes past the end of a device allocation of "
                        "%zu bytes (a kernel, a copy or a library call ran off its buffer)\n",
                        size_t(a - (start + r.bytes)), r.bytes);
    else
      n = std::snprintf(msg, sizeof msg,
                        "cuda emulation: host code touched device memory: %zu bytes into a device allocation of %zu "
                        "bytes, outside any kernel, copy or library call (on a GPU: a crash or garbage)\n",
                        size_t(a >= start ? a - start : 0), r.bytes);
    if (n > 0) (void)!write(2, msg, size_t(n));
    std::abort();
  }
  signal(sig, SIG_DFL);  // not ours: let it fault again as it would have
}
void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
  });
}
void protect(const Region& r, bool open) {
  if (r.data && mprotect(r.map, r.data, open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) std::abort();
}

}  // namespace

DeviceAccess::DeviceAccess() {
  std::lock_guard<std::mutex> lock(mem_mu);
  if (open_depth++ == 0)
    for (const auto& [start, r] : regions) protect(r, true);
}
DeviceAccess::~DeviceAccess() {
  std::lock_guard<std::mutex> lock(mem_mu);
  if (--open_depth == 0)
    for (const auto& [start, r] : regions) protect(r, false);
}

void* device_alloc(size_t bytes) {
  install_handler();
  const size_t page = page_size(), need = (bytes + 15) / 16 * 16;
  const size_t data = std::max<size_t>(page, (need + page - 1) / page * page);
  void* m = mmap(nullptr, data + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  Region r;
  r.map = static_cast<char*>(m);
  r.data = data;
  r.buf = r.map + data - need;
  r.bytes = bytes;
  protect(r, true);
  std::memset(r.buf, 0xff, need);  // cudaMalloc's contents are undefined: NaN where a kernel reads them unwritten
  std::lock_guard<std::mutex> lock(mem_mu);
  if (open_depth == 0) protect(r, false);
  regions[reinterpret_cast<uintptr_t>(r.buf)] = r;
  return r.buf;
}
void device_free(void* p) {
  std::lock_guard<std::mutex> lock(mem_mu);
  auto it = regions.find(reinterpret_cast<uintptr_t>(p));
  if (it == regions.end()) {
    std::fprintf(stderr, "cuda emulation: free of %p, which is not a device allocation\n", p);
    std::abort();
  }
  munmap(it->second.map, it->second.data + page_size());
  regions.erase(it);
}

}  // namespace pixelart::emu

// ---- the emulated device behind kernels/cuda_ops.h ----
namespace pixelart::cuda {

bool available(std::string* reason) {
  if (reason) reason->clear();
  return true;
}
std::string device_name() { return "CUDA emulated on the CPU (tests/cuda_emu: no GPU)"; }

void* alloc(size_t bytes) {
  void* p = emu::device_alloc(bytes);
  if (!p) fail(__FILE__, __LINE__, "CUDA error: emulated cudaMalloc of " + std::to_string(bytes) + " bytes failed");
  return p;
}
void free(void* p, size_t) noexcept {
  if (p) emu::device_free(p);
}
void release_cached_memory() {}
void memcpy_h2d(void* dst, const void* src, size_t bytes) {
  emu::DeviceAccess open;
  std::memcpy(dst, src, bytes);
}
void memcpy_d2h(void* dst, const void* src, size_t bytes) {
  emu::DeviceAccess open;
  std::memcpy(dst, src, bytes);
}
void memcpy_d2d(void* dst, const void* src, size_t bytes) {
  emu::DeviceAccess open;
  std::memmove(dst, src, bytes);
}
void synchronize() {}

}  // namespace pixelart::cuda
