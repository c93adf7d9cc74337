// tests/test_precision.cpp — `--precision bf16` (include/pixelart/ops.h, Precision): the
// convolution and the projection round at the documented points and nowhere else, CUDA agrees
// with the CPU to bf16 precision, and a model trains in bf16 as it does in fp32.
#include <cmath>

#include "common.h"
#include "conv.h"
#include "pixelart/autograd.h"
#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "rng.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

double bf16(double v) { return kernels::bf16_to_f32(kernels::f32_to_bf16(float(v))); }
std::vector<double> bf16(std::vector<double> v) {
  for (double& e : v) e = bf16(e);
  return v;
}
std::vector<double> uniform(size_t n, uint64_t seed, double lo, double hi) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * kernels::uniform01(seed, 3, i);
  return v;
}
// Values that may differ by one bf16 rounding step of the value (2^-8 relative) where fp32
// summation order moved a sum across a rounding boundary, and by fp32 noise elsewhere.
void expect_bf16_close(const std::vector<double>& a, const std::vector<double>& ref, const std::string& what) {
  ASSERT_EQ(a.size(), ref.size()) << what;
  double scale = 1e-30;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  int off = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(a[i] - ref[i]);
    EXPECT_LE(d, std::abs(ref[i]) * std::ldexp(1.0, -7) + 1e-6 * scale) << what << " element " << i;
    off += d > 1e-6 * scale;
  }
  EXPECT_LE(off, int(a.size() / 50) + 1) << what << ": more than 2% of the values off by a rounding step";
}

struct ConvResult {
  std::vector<double> y, dx, dw, db;
};
// conv2d + ReLU at a precision, forward and backward with upstream gradient g, on a device.
ConvResult run_conv(Device dev, Precision prec, const std::vector<double>& x, const std::vector<double>& w,
                    const std::vector<double>& b, const std::vector<double>& g, const kernels::ConvShape& s) {
  Tensor X = Tensor::from_vector(x, {s.N, s.H, s.W, s.Cin}, DType::F32, dev);
  Tensor W = Tensor::from_vector(w, {s.Cout, s.KH, s.KW, s.Cin}, DType::F32, dev);
  Tensor B = Tensor::from_vector(b, {s.Cout}, DType::F32, dev);
  const Tensor G = Tensor::from_vector(g, {s.N, s.Ho(), s.Wo(), s.Cout}, DType::F32, dev);
  for (Tensor* t : {&X, &W, &B}) t->set_requires_grad(true);
  Tape tape;
  ConvResult r;
  {
    TapeScope scope(tape);
    const Tensor y = conv2d(X, W, B, {int(s.pad), true, ConvImpl::Auto, prec});
    tape.backward(weighted_sum(y, G));
    r.y = y.to_vector();
  }
  r.dx = X.grad().to_vector(), r.dw = W.grad().to_vector(), r.db = B.grad().to_vector();
  return r;
}

const kernels::ConvShape kShape{2, 7, 6, 5, 8, 3, 3, 1};

struct Case {
  std::vector<double> x, w, b, g;
};
Case conv_case() {
  const auto& s = kShape;
  return {uniform(size_t(s.N * s.H * s.W * s.Cin), 1, -1, 1), uniform(size_t(s.Cout * s.K()), 2, -0.3, 0.3),
          uniform(size_t(s.Cout), 3, -0.1, 0.1), uniform(size_t(s.N * s.Ho() * s.Wo() * s.Cout), 4, -1, 1)};
}

TEST(Precision, NamesParseAndBadOnesAreUsageErrors) {
  EXPECT_EQ(parse_precision("fp32"), Precision::FP32);
  EXPECT_EQ(parse_precision("tf32"), Precision::TF32);
  EXPECT_EQ(parse_precision("bf16"), Precision::BF16);
  EXPECT_STREQ(precision_name(Precision::BF16), "bf16");
  try {
    parse_precision("fp16");
    FAIL() << "fp16 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
  }
  // bf16 on float64 tensors is refused rather than silently rounded
  const Tensor x = Tensor::zeros({1, 4, 4, 2}, DType::F64), w = Tensor::zeros({3, 3, 3, 2}, DType::F64);
  EXPECT_THROW(conv2d(x, w, Tensor(), {1, true, ConvImpl::Auto, Precision::BF16}), Error);
}

// The CPU's bf16 convolution against a float64 computation of the documented rounding points:
// y = relu(bf16(conv(bf16(x), bf16(w))) + b); dz = relu'(y) g; db = sum dz (unrounded);
// dx = bf16(conv_data(bf16(dz), bf16(w))); dw = bf16(conv_filter(bf16(x), bf16(dz))).
TEST(Precision, Bf16ConvolutionRoundsAtTheDocumentedPoints) {
  const auto& s = kShape;
  const Case c = conv_case();
  const std::vector<double> xr = bf16(c.x), wr = bf16(c.w);
  std::vector<double> z(c.g.size());
  kernels::conv2d_ref_forward<double>(xr.data(), wr.data(), nullptr, z.data(), s, false);
  std::vector<double> y(z.size()), dz(z.size()), db(c.b.size(), 0.0);
  for (size_t i = 0; i < z.size(); ++i) {
    y[i] = std::max(bf16(z[i]) + float(c.b[i % size_t(s.Cout)]), 0.0);
    dz[i] = y[i] > 0 ? c.g[i] : 0.0;
    db[i % size_t(s.Cout)] += dz[i];
  }
  const std::vector<double> dzr = bf16(dz);
  std::vector<double> dx(c.x.size(), 0.0), dw(c.w.size(), 0.0);
  kernels::conv2d_ref_backward<double>(xr.data(), wr.data(), y.data(), dzr.data(), dx.data(), dw.data(), nullptr, s, false);
  const ConvResult got = run_conv(Device::CPU, Precision::BF16, c.x, c.w, c.b, c.g, s);
  expect_bf16_close(got.y, y, "y");
  expect_bf16_close(got.dx, bf16(dx), "dx");
  expect_bf16_close(got.dw, bf16(dw), "dw");
  expect_close(got.db, db, 1e-5, "db");
  // ... and the rounding is really there: fp32 differs from it by more than fp32 noise.
  const ConvResult f32 = run_conv(Device::CPU, Precision::FP32, c.x, c.w, c.b, c.g, s);
  EXPECT_GT(rel_error(f32.y, got.y), 1e-4);
  EXPECT_LT(rel_error(f32.y, got.y), 2e-2);
  EXPECT_GT(rel_error(f32.dw, got.dw), 1e-4);
}

// The projection: operands (and dy in backward) rounded, fp32 accumulation, fp32 result.
TEST(Precision, Bf16ProjectionRoundsItsOperands) {
  const int64_t N = 2, H = 3, W = 4, Cin = 6, Cout = 5, P = N * H * W;
  const auto x = uniform(size_t(P * Cin), 5, -1, 1), w = uniform(size_t(Cout * Cin), 6, -1, 1);
  const auto g = uniform(size_t(P * Cout), 7, -1, 1);
  Tensor X = Tensor::from_vector(x, {N, H, W, Cin}), Wt = Tensor::from_vector(w, {Cout, Cin});
  X.set_requires_grad(true), Wt.set_requires_grad(true);
  Tape tape;
  std::vector<double> y;
  {
    TapeScope scope(tape);
    const Tensor out = projection(X, Wt, Tensor(), Precision::BF16);
    tape.backward(weighted_sum(out, Tensor::from_vector(g, {N, H, W, Cout})));
    y = out.to_vector();
  }
  const auto xr = bf16(x), wr = bf16(w), gr = bf16(g);
  std::vector<double> ry(size_t(P * Cout), 0.0), rdx(x.size(), 0.0), rdw(w.size(), 0.0);
  for (int64_t p = 0; p < P; ++p)
    for (int64_t o = 0; o < Cout; ++o)
      for (int64_t i = 0; i < Cin; ++i) {
        ry[size_t(p * Cout + o)] += xr[size_t(p * Cin + i)] * wr[size_t(o * Cin + i)];
        rdx[size_t(p * Cin + i)] += gr[size_t(p * Cout + o)] * wr[size_t(o * Cin + i)];
        rdw[size_t(o * Cin + i)] += gr[size_t(p * Cout + o)] * xr[size_t(p * Cin + i)];
      }
  expect_close(y, ry, 1e-6, "y");
  expect_close(X.grad().to_vector(), rdx, 1e-6, "dx");
  expect_close(Wt.grad().to_vector(), rdw, 1e-6, "dw");
}

// cuDNN on bf16 tensors against the CPU's rounding points (skips without a GPU).
TEST(Precision, Bf16ConvolutionCudaMatchesCpu) {
  PA_SKIP_WITHOUT_CUDA();
  const Case c = conv_case();
  const ConvResult cpu = run_conv(Device::CPU, Precision::BF16, c.x, c.w, c.b, c.g, kShape);
  const ConvResult gpu = run_conv(Device::CUDA, Precision::BF16, c.x, c.w, c.b, c.g, kShape);
  expect_bf16_close(gpu.y, cpu.y, "y");
  expect_bf16_close(gpu.dx, cpu.dx, "dx");
  expect_bf16_close(gpu.dw, cpu.dw, "dw");
  expect_close(gpu.db, cpu.db, 1e-5, "db");
}

// A narrow restorer fitting 16 sprites for 120 steps: in bf16 the loss falls as in fp32.
double fit(Precision prec, double* first) {
  NarrowFit f(16, 2000, prec);
  double last = 0;
  for (int step = 0; step < 120; ++step) {
    last = f.step();
    if (step == 0) *first = last;
  }
  return last;
}
TEST(Precision, Bf16TrainingFollowsFp32) {
  double first32 = 0, first16 = 0;
  const double last32 = fit(Precision::FP32, &first32), last16 = fit(Precision::BF16, &first16);
  EXPECT_NEAR(first16, first32, 0.02 * first32) << "the same model and data start at the same loss";
  EXPECT_LT(last16, first16 / 4) << "bf16: " << first16 << " -> " << last16;
  EXPECT_LT(last16, 1.5 * last32) << "bf16 ends at " << last16 << ", fp32 at " << last32;
  EXPECT_NE(last16, last32) << "bf16 training gave the fp32 result exactly: no rounding happened";
  RecordProperty("fp32_loss", std::to_string(first32) + " -> " + std::to_string(last32));
  RecordProperty("bf16_loss", std::to_string(first16) + " -> " + std::to_string(last16));
}

}  // namespace
}  // namespace pixelart::testing
