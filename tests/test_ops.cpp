// tests/test_ops.cpp — behaviour of each op that a gradient check cannot show: exact tie rules,
// hand-computed values, stability at extremes, validation messages. Typed over devices where the
// op runs on both (the CUDA instance skips without a GPU).
#include <cmath>
#include <vector>

#include "pixelart/ops.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

template <class D>
class Ops : public OnDevice<D> {};
TYPED_TEST_SUITE(Ops, Devices);

Tensor on(Device dev, std::vector<double> v, Shape s) { return Tensor::from_vector(v, s, DType::F32, dev); }

TYPED_TEST(Ops, MaxPoolTiesGoToTheFirstMaximumInRowMajorOrder) {
  // input (1 channel)          output    gradient to the input (dy = 1, 2, 3, 4)
  //  [1 1 | 0 2]               [1 2]      [1 0 | 0 2]
  //  [1 0 | 2 2]               [3 5]      [0 0 | 0 0]
  //  -----+-----                          -----+-----
  //  [3 3 | 5 1]                          [3 0 | 4 0]
  //  [3 3 | 5 5]                          [0 0 | 0 0]
  const Device dev = TestFixture::dev;
  Tensor x = on(dev, {1, 1, 0, 2, 1, 0, 2, 2, 3, 3, 5, 1, 3, 3, 5, 5}, {1, 4, 4, 1});
  x.set_requires_grad(true);
  Tape tape;
  Tensor y;
  {
    TapeScope s(tape);
    y = max_pool2x2(x);
    tape.backward(weighted_sum(y, on(dev, {1, 2, 3, 4}, {1, 2, 2, 1})));
  }
  EXPECT_EQ(y.to_vector(), (std::vector<double>{1, 2, 3, 5}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0}));
}

TYPED_TEST(Ops, MaxPoolPropagatesNaNAndDropsOddEdges) {
  const Device dev = TestFixture::dev;
  Tensor x = on(dev, {1, NAN, 0, 9, 2, 3, 7, 7, 7}, {1, 3, 3, 1});
  const auto y = max_pool2x2(x).to_vector();
  ASSERT_EQ(y.size(), 1u);  // 3x3 -> 1x1: the last row and column are dropped
  EXPECT_TRUE(std::isnan(y[0]));
}

// The CPU loop has a path per channel count the restorer's first blocks use (4, 8, 16: their
// inner loop vectorises only with the count known at compile time) and one for any other: each
// against the window rule written out here (the first of equal maxima, a NaN takes over), with
// ties and NaNs in the data, forward and the gradient each window sends back.
TEST(MaxPoolCpu, EveryChannelCountPathPicksTheWindowRulesElement) {
  for (int64_t C : {4, 8, 16, 5, 64}) {
    const int64_t N = 2, H = 6, W = 10;
    std::vector<double> v(size_t(N * H * W * C));
    for (size_t i = 0; i < v.size(); ++i) v[i] = i % 11 == 3 ? NAN : double((i * 2654435761u) % 7);  // ties and NaNs
    Tensor x = Tensor::from_vector(v, {N, H, W, C}, DType::F32, Device::CPU);
    x.set_requires_grad(true);
    Tape tape;
    Tensor y;
    std::vector<double> w(size_t(N * (H / 2) * (W / 2) * C));
    for (size_t i = 0; i < w.size(); ++i) w[i] = double(i + 1);
    {
      TapeScope scope(tape);
      y = max_pool2x2(x);
      tape.backward(weighted_sum(y, Tensor::from_vector(w, y.shape(), DType::F32, Device::CPU)));
    }
    const auto yv = y.to_vector(), gv = x.grad().to_vector();
    std::vector<double> want_g(v.size(), 0.0);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oy = 0; oy < H / 2; ++oy)
        for (int64_t ox = 0; ox < W / 2; ++ox)
          for (int64_t c = 0; c < C; ++c) {
            size_t best = size_t(((n * H + 2 * oy) * W + 2 * ox) * C + c);
            for (int64_t k = 1; k < 4; ++k) {
              const size_t i = size_t(((n * H + 2 * oy + k / 2) * W + 2 * ox + k % 2) * C + c);
              if (v[i] > v[best] || std::isnan(v[i])) best = i;
            }
            const size_t o = size_t(((n * (H / 2) + oy) * (W / 2) + ox) * C + c);
            if (std::isnan(v[best])) EXPECT_TRUE(std::isnan(yv[o])) << "C " << C << " output " << o;
            else EXPECT_EQ(yv[o], v[best]) << "C " << C << " output " << o;
            want_g[best] += w[o];
          }
    EXPECT_EQ(gv, want_g) << "C " << C;
  }
}

TYPED_TEST(Ops, SigmoidIsStableAtExtremes) {
  const Device dev = TestFixture::dev;
  const std::vector<double> xs{-1000, -100, -20, -1, 0, 1, 20, 100, 1000};
  const auto y = sigmoid(on(dev, xs, {9})).to_vector();
  for (size_t i = 0; i < xs.size(); ++i) {
    const double expect = 1.0 / (1.0 + std::exp(-xs[i]));
    EXPECT_TRUE(std::isfinite(y[i])) << xs[i];
    EXPECT_NEAR(y[i], expect, 1e-7 * std::max(1.0, expect)) << xs[i];
  }
  EXPECT_GT(y[2], 0.0);  // sigmoid(-20) ~ 2e-9 is representable, not flushed to 0
}

TYPED_TEST(Ops, LossTermsMatchHandComputedValues) {
  const Device dev = TestFixture::dev;
  // One pixel row of two RGBA pixels: pred and target.
  const Tensor p = on(dev, {0.5, 0.0, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0}, {1, 1, 2, 4});
  const Tensor t = on(dev, {0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0}, {1, 1, 2, 4});
  LossWeights w;
  w.w = {1, 2, 3, 4};
  const LossResult r = composite_loss(p, t, w);
  const auto terms = r.terms.to_vector();
  // d = p - t = {.5,0,0,-.5, 0,0,1,0}
  EXPECT_NEAR(terms[kLossMse], (0.25 + 0.25 + 1.0) / 8, 1e-7);
  EXPECT_NEAR(terms[kLossL1], (0.5 + 0.5 + 1.0) / 8, 1e-7);
  // horizontal pairs only (H = 1), per channel: (dp - dt) = {.5-1, 0, 0-(-1), .5-0} = {-.5,0,1,.5}
  EXPECT_NEAR(terms[kLossEdge], (0.25 + 0 + 1 + 0.25) / 4, 1e-7);
  // alpha: 4 a (1-a) for a = 0.5 and 1.0, over 2 pixels
  EXPECT_NEAR(terms[kLossAlpha], (1.0 + 0.0) / 2, 1e-7);
  const double total = terms[0] + 2 * terms[1] + 3 * terms[2] + 4 * terms[3];
  EXPECT_NEAR(r.total.item(), total, 1e-6);
}

TYPED_TEST(Ops, ProjectionIsAPerPixelMatrixProduct) {
  const Device dev = TestFixture::dev;
  const Tensor x = on(dev, {1, 2, 3, 4, 5, 6}, {1, 1, 2, 3});   // two pixels, 3 channels
  const Tensor w = on(dev, {1, 0, 0, 0, 1, 1}, {2, 3});         // out0 = c0, out1 = c1 + c2
  const Tensor b = on(dev, {0.5, -1}, {2});
  EXPECT_EQ(projection(x, w, b).to_vector(), (std::vector<double>{1.5, 4, 4.5, 10}));
}

TYPED_TEST(Ops, ConvolutionOfAnImpulseIsTheFlippedKernelPlusBias) {
  const Device dev = TestFixture::dev;
  std::vector<double> img(25, 0.0);
  img[12] = 1.0;  // a 5x5 single-channel impulse at the centre
  std::vector<double> k{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const Tensor y = conv2d(on(dev, img, {1, 5, 5, 1}), on(dev, k, {1, 3, 3, 1}), on(dev, {-4.5}, {1}), {1, true});
  const auto v = y.to_vector();
  // Cross-correlation: y[2+dy][2+dx] = k[1-dy][1-dx] - 4.5, then ReLU.
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx)
      EXPECT_DOUBLE_EQ(v[size_t((2 + dy) * 5 + 2 + dx)], std::max(0.0, k[size_t((1 - dy) * 3 + 1 - dx)] - 4.5));
  EXPECT_DOUBLE_EQ(v[0], 0.0);  // bias -4.5 through ReLU
}

TYPED_TEST(Ops, PixelUnshuffleStacksEachBlockPixelByPixelAndShuffleUndoesIt) {
  const Device dev = TestFixture::dev;
  // one 2x4 image with 2 channels, pixel (y, x) channel c = 100 y + 10 x + c
  std::vector<double> v;
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 2; ++c) v.push_back(100 * y + 10 * x + c);
  const Tensor x = on(dev, v, {1, 2, 4, 2});
  const Tensor d = pixel_unshuffle(x, 2);
  ASSERT_EQ(d.shape(), (Shape{1, 1, 2, 8}));
  // block (0, X): pixels (0, 2X), (0, 2X+1), (1, 2X), (1, 2X+1), each with its two channels
  EXPECT_EQ(d.to_vector(), (std::vector<double>{0, 1, 10, 11, 100, 101, 110, 111, 20, 21, 30, 31, 120, 121, 130, 131}));
  EXPECT_EQ(pixel_shuffle(d, 2).to_vector(), v);
  EXPECT_THROW(pixel_unshuffle(on(dev, {1, 2, 3}, {1, 1, 3, 1}), 2), Error);  // not whole blocks
  EXPECT_THROW(pixel_shuffle(on(dev, {1, 2, 3}, {1, 1, 1, 3}), 2), Error);    // not 4 channels per pixel
}

TYPED_TEST(Ops, ProjectBlocksMovesEachBlockOntoTheTargetsMean) {
  const Device dev = TestFixture::dev;
  // one 2x4 image, 1 channel: blocks {1, 2, 3, 6} (mean 3) and {0, 0, 0, 4} (mean 1); targets'
  // block means 5 and 0, so the first moves up by 2 and the second down by 1
  const Tensor p = on(dev, {1, 2, 0, 0, 3, 6, 0, 4}, {1, 2, 4, 1});
  const Tensor t = on(dev, {5, 5, 0, 0, 5, 5, 0, 0}, {1, 2, 4, 1});
  const Tensor y = project_blocks(p, t, 2);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{3, 4, -1, -1, 5, 8, -1, 3}));
  // projecting again changes nothing (idempotent), and a target of the output's own means neither
  EXPECT_EQ(project_blocks(y, t, 2).to_vector(), y.to_vector());
  EXPECT_EQ(project_blocks(p, p, 2).to_vector(), p.to_vector());
  EXPECT_THROW(project_blocks(on(dev, {1, 2, 3}, {1, 1, 3, 1}), on(dev, {1, 2, 3}, {1, 1, 3, 1}), 2), Error);  // not whole blocks
  EXPECT_THROW(project_blocks(p, on(dev, {1, 2, 3, 4}, {1, 2, 2, 1}), 2), Error);                             // shapes differ
}

TYPED_TEST(Ops, BadShapesAreClearErrors) {
  const Device dev = TestFixture::dev;
  const Tensor x = Tensor::zeros({1, 8, 8, 4}, DType::F32, dev);
  const Tensor w = Tensor::zeros({16, 3, 3, 3}, DType::F32, dev);  // 3 input channels, not 4
  try {
    conv2d(x, w, Tensor::zeros({16}, DType::F32, dev));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expects 3 input channels, the input has 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(max_pool2x2(Tensor::zeros({1, 1, 1, 4}, DType::F32, dev)), Error);
  EXPECT_THROW(composite_loss(x, Tensor::zeros({1, 8, 8, 3}, DType::F32, dev), LossWeights{}), Error);
}

TEST(OpsCpu, MixingDevicesOrDtypesIsAnError) {
  const Tensor x = Tensor::zeros({1, 4, 4, 2}, DType::F32);
  const Tensor w = Tensor::zeros({2, 3, 3, 2}, DType::F64);
  EXPECT_THROW(conv2d(x, w, Tensor()), Error);
}

}  // namespace
}  // namespace pixelart::testing
