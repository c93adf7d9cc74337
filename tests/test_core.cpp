// tests/test_core.cpp — the tensor, the tape and the optimizer.
#include <sys/mman.h>

#include <cmath>

#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

template <class D>
class Core : public OnDevice<D> {};
TYPED_TEST_SUITE(Core, Devices);

TYPED_TEST(Core, CopiesRoundTripBetweenDevicesAndDtypes) {
  const Device dev = TestFixture::dev;
  const std::vector<double> v{0.0, -1.5, 3.25, 1e-3, 65504.0, -0.0};
  const Tensor t = Tensor::from_vector(v, {2, 3}, DType::F32, dev);
  EXPECT_EQ(t.device(), dev);
  std::vector<double> as_f32;
  for (double x : v) as_f32.push_back(double(float(x)));
  EXPECT_EQ(t.to(Device::CPU).to_vector(), as_f32);
  // bf16 keeps 8 significant bits: exact for these, rounded to nearest even otherwise.
  const auto b = t.to(DType::BF16).to(DType::F32).to_vector();
  EXPECT_EQ(b[2], 3.25);
  EXPECT_NEAR(b[3], 1e-3, 1e-3 / 128);
  EXPECT_EQ(Tensor::from_vector({1.0 + 1.0 / 256}, {1}, DType::F32, dev).to(DType::BF16).to(DType::F32).item(), 1.0);
}

TYPED_TEST(Core, FillAndZeros) {
  const Device dev = TestFixture::dev;
  Tensor t = Tensor::full({3, 4}, 2.5, DType::F32, dev);
  for (double x : t.to_vector()) EXPECT_EQ(x, 2.5);
  t.fill_(0);
  for (double x : t.to_vector()) EXPECT_EQ(x, 0.0);
}

TEST(CoreCpu, ShapesAndViewsAreChecked) {
  Tensor t = Tensor::zeros({2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.size(-1), 4);
  EXPECT_THROW(t.size(3), Error);
  EXPECT_THROW(t.reshape({5, 5}), Error);
  EXPECT_THROW(Tensor::view_of(t, 20, {5}), Error);
  EXPECT_THROW(t.data<double>(), Error);
  EXPECT_THROW(Tensor::from_vector({1, 2}, {3}), Error);
  EXPECT_EQ(t.describe(), "f32[2,3,4]@cpu");
}

TEST(CoreCpu, AskingForCudaWithoutAGpuIsANoDeviceError) {
  if (cuda_available()) GTEST_SKIP() << "a GPU is present";
  try {
    parse_device("cuda");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NoDevice);
  }
  EXPECT_EQ(parse_device("auto"), Device::CPU);
  EXPECT_THROW(Tensor::zeros({2}, DType::F32, Device::CUDA), Error);
  EXPECT_THROW(parse_device("tpu"), Error);
}

TEST(Autograd, RecordsOnlyUnderATapeAndWithGradEnabled) {
  Tensor x = Tensor::from_vector({-1, 2}, {2});
  x.set_requires_grad(true);
  Tape tape;
  EXPECT_FALSE(sigmoid(x).requires_grad());  // no active tape
  {
    TapeScope s(tape);
    {
      NoGradGuard ng;
      EXPECT_FALSE(sigmoid(x).requires_grad());
    }
    EXPECT_EQ(tape.size(), 0u);
    EXPECT_TRUE(sigmoid(x).requires_grad());
    EXPECT_EQ(tape.size(), 1u);
    Tensor c = Tensor::from_vector({1, 2}, {2});  // a constant: nothing recorded
    EXPECT_FALSE(sigmoid(c).requires_grad());
  }
}

TEST(Autograd, GradientsAccumulateAcrossBackwardPassesAndThroughReshape) {
  Tensor x = Tensor::from_vector({0.0, 1.0, 2.0, 3.0}, {4}, DType::F64);
  x.set_requires_grad(true);
  const Tensor w = Tensor::from_vector({1, 2, 3, 4}, {2, 2}, DType::F64);
  for (int pass = 0; pass < 2; ++pass) {
    Tape tape;
    TapeScope s(tape);
    tape.backward(weighted_sum(x.reshape({2, 2}), w));
  }
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{2, 4, 6, 8}));
}

TEST(Autograd, BackwardNeedsAScalarThatRequiresGrad) {
  Tape tape;
  EXPECT_THROW(tape.backward(Tensor::zeros({2})), Error);
  EXPECT_THROW(tape.backward(Tensor::zeros({1})), Error);
}

// ---- the arena and Adam ----------------------------------------------------------------------

TEST(Arena, LaysOutDecayedParametersFirstWithGradientViews) {
  ParamArena a({{"w1", {2, 3}, true}, {"b1", {3}, false}, {"w2", {4}, true}}, DType::F32, Device::CPU);
  EXPECT_EQ(a.numel(), 13);
  EXPECT_EQ(a.decay_end(), 10);
  EXPECT_EQ(a.spec(0).name, "w1");
  EXPECT_EQ(a.spec(1).name, "w2");
  EXPECT_EQ(a.spec(2).name, "b1");
  a.param("w2").fill_(7);
  EXPECT_EQ(a.data().to_vector()[6], 7.0);
  a.param("b1").grad().fill_(1);
  EXPECT_EQ(a.grads().to_vector()[12], 1.0);
  a.zero_grad();
  EXPECT_EQ(a.grads().to_vector()[12], 0.0);
  EXPECT_THROW(ParamArena({{"w", {1}, true}, {"w", {1}, true}}, DType::F32, Device::CPU), Error);
}

TYPED_TEST(Core, AdamMatchesTheFormulaWithDecayAndClipping) {
  const Device dev = TestFixture::dev;
  ParamArena a({{"w", {2}, true}, {"b", {1}, false}}, DType::F32, Device::CPU);
  a.data().copy_from(Tensor::from_vector({1.0, -2.0, 0.5}, {3}));
  a = a.to(dev);
  AdamConfig cfg;
  cfg.lr = 0.1;
  cfg.weight_decay = 0.01;
  cfg.clip_norm = 2.5;  // the gradient (3, 4, 0) has norm 5: scaled by 0.5
  Adam opt(a, cfg);
  std::vector<double> p{1.0, -2.0, 0.5}, m(3, 0), v(3, 0);
  const std::vector<double> g{3, 4, 0};
  for (int step = 1; step <= 3; ++step) {
    a.grads().copy_from(Tensor::from_vector(g, {3}, DType::F32, dev));
    opt.step();
    const double bc1 = 1 - std::pow(0.9, step), bc2 = 1 - std::pow(0.999, step);
    for (int i = 0; i < 3; ++i) {
      const double gi = g[i] * 2.5 / (5 + 1e-6);
      m[i] = 0.9 * m[i] + 0.1 * gi;
      v[i] = 0.999 * v[i] + 0.001 * gi * gi;
      double upd = (m[i] / bc1) / (std::sqrt(v[i] / bc2) + 1e-8);
      if (i < 2) upd += 0.01 * p[i];
      p[i] -= 0.1 * upd;
    }
    expect_close(a.data().to_vector(), p, 1e-6, "adam step " + std::to_string(step));
  }
  EXPECT_NEAR(opt.last_grad_norm(), 5.0, 1e-5);
  EXPECT_EQ(opt.steps(), 3);
}

}  // namespace
}  // namespace pixelart::testing

namespace pixelart::testing {
namespace {

// tensor_bytes counts the storage of live tensors (now, and the most at once since a reset);
// host_peak_rss_bytes follows the process's resident peak and resets to what is resident.
TEST(Memory, TensorBytesAndThePeakFollowAllocations) {
  const TensorBytes before = tensor_bytes(Device::CPU);
  reset_peak_tensor_bytes(Device::CPU);
  {
    const Tensor a = Tensor::zeros({1000, 250});  // 1 MB of f32
    EXPECT_EQ(tensor_bytes(Device::CPU).now, before.now + 1000000);
    {
      const Tensor b = Tensor::zeros({500, 250});
      EXPECT_EQ(tensor_bytes(Device::CPU).peak, before.now + 1500000);
    }
    EXPECT_EQ(tensor_bytes(Device::CPU).now, before.now + 1000000);
    EXPECT_EQ(tensor_bytes(Device::CPU).peak, before.now + 1500000) << "the peak stays after b is freed";
    reset_peak_tensor_bytes(Device::CPU);
    EXPECT_EQ(tensor_bytes(Device::CPU).peak, before.now + 1000000) << "a reset brings the peak to what is live";
  }
  EXPECT_EQ(tensor_bytes(Device::CPU).now, before.now);
}

TEST(Memory, LargeHostBlocksAreKeptForTheNextTensorOfTheirSize) {
  // a training step frees and allocates the same sizes again: the block comes back (no system
  // call, no page faults), while the tensor counters see every tensor come and go
  const int64_t before = tensor_bytes(Device::CPU).now;
  void* first = nullptr;
  {
    Tensor a = Tensor::empty({37, 1024, 1024}, DType::F32);  // 148 MiB, a size no other test uses
    first = a.raw();
    EXPECT_EQ(tensor_bytes(Device::CPU).now - before, 37 * 4 << 20);
  }
  EXPECT_EQ(tensor_bytes(Device::CPU).now, before);
  Tensor b = Tensor::empty({int64_t(37 * 4) << 20}, DType::U8);  // the same bytes
  EXPECT_EQ(b.raw(), first);
  Tensor c = Tensor::empty({37, 1024, 1024}, DType::F32);  // a second one: a block of its own
  EXPECT_NE(c.raw(), first);
  c.fill_(1.0);
  EXPECT_EQ(c.data<float>()[37 * 1024 * 1024 - 1], 1.0f);
}

TEST(Memory, HostPeakRssRisesWithTouchedMemoryAndResets) {
  reset_host_peak_rss();
  const int64_t start = host_peak_rss_bytes();
  if (start == 0) GTEST_SKIP() << "no /proc/self/status VmHWM here";
  {  // mapped and unmapped directly: an allocator may keep freed memory (ASan's quarantine does)
    const size_t bytes = size_t(64) << 20;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    char* big = static_cast<char*>(p);
    for (size_t i = 0; i < bytes; i += 4096) big[i] = char(i);  // resident, page by page
    EXPECT_GE(host_peak_rss_bytes(), start + (int64_t(60) << 20));
    ::munmap(p, bytes);
  }
  reset_host_peak_rss();  // the 64 MB are gone: the peak comes back down to what is resident
  EXPECT_LT(host_peak_rss_bytes(), start + (int64_t(32) << 20));
}

}  // namespace
}  // namespace pixelart::testing
