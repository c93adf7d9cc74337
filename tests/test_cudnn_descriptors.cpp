// tests/test_cudnn_descriptors.cpp — the cuDNN descriptors of every convolution the two models
// run, built by cuDNN itself and their output size checked against ConvShape
// (cuda::check_conv_descriptors). cuDNN builds descriptors on the host, so this runs here without
// a GPU: the first of conv_cudnn.cu's cuDNN calls that any machine of ours has executed. Algorithm
// search and the convolutions themselves need a GPU (ParityTest, tools/gpu_check.sh).
// Only in pixelart_tests (the emulated device has no cuDNN).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conv.h"
#include "cuda_ops.h"
#include "pixelart/error.h"
#include "pixelart/restorer.h"
#include "pixelart/upscaler.h"

namespace pixelart::testing {
namespace {

using kernels::ConvMath;
using kernels::ConvShape;

// The restorer's convolutions on an input of `size` pixels: one 3x3 "same" block per width, each
// at half the resolution of the one before, then the context layers at the sprite resolution.
std::vector<ConvShape> restorer_shapes(const RestorerConfig& c, int64_t n, int64_t size) {
  std::vector<ConvShape> v;
  int64_t cin = c.in_channels, h = size;
  for (int w : c.widths) {
    v.push_back({n, h, h, cin, w, 3, 3, 1});
    cin = w, h /= 2;
  }
  for (int i = 0; i < c.context; ++i) v.push_back({n, h, h, cin, cin, 3, 3, 1});
  return v;
}
// The upscaler's valid convolutions on n tiles of `out` output pixels (blocks of S x S pixels).
std::vector<ConvShape> upscaler_shapes(const UpscalerConfig& c, int64_t n, int64_t out) {
  std::vector<ConvShape> v;
  const int64_t S = c.unshuffle;
  int64_t cin = c.channels * S * S, h = (out + 2 * c.margin()) / S;
  for (size_t i = 0; i < c.kernels.size(); ++i) {
    const int64_t k = c.kernels[i], cout = i < c.filters.size() ? c.filters[i] : c.channels * S * S;
    v.push_back({n, h, h, cin, cout, k, k, 0});
    cin = cout, h -= k - 1;
  }
  return v;
}

TEST(CudnnDescriptors, EveryConvolutionOfBothModelsIsAcceptedWithItsOutputSize) {
#if !defined(PIXELART_WITH_CUDA)
  GTEST_SKIP() << "this build has no CUDA backend";
#else
  RestorerConfig narrow = RestorerConfig::narrow();
  narrow.context = 10;  // the shipped restorer's shape
  const UpscalerConfig x2{std::vector<int>(11, 64), std::vector<int>(12, 3), 4, 2},  // the shipped x2
      x3{std::vector<int>(7, 64), std::vector<int>(8, 3), 4, 2}, design{};
  std::vector<ConvShape> shapes;
  for (int64_t n : {1, 256}) {
    for (const auto& s : restorer_shapes(RestorerConfig{}, n, 256)) shapes.push_back(s);
    for (const auto& s : restorer_shapes(narrow, n, 256)) shapes.push_back(s);
    for (const auto& c : {x2, x3, design})
      for (const auto& s : upscaler_shapes(c, n == 1 ? 16 : 256, n == 1 ? 256 : 64)) shapes.push_back(s);
  }
  int checked = 0;
  for (const ConvShape& s : shapes)
    for (ConvMath m : {ConvMath::FP32, ConvMath::TF32, ConvMath::BF16}) {
      const std::string what = "N" + std::to_string(s.N) + " " + std::to_string(s.H) + "x" + std::to_string(s.W) + " " +
                               std::to_string(s.Cin) + "->" + std::to_string(s.Cout) + " k" + std::to_string(s.KH) +
                               " pad " + std::to_string(s.pad) + " math " + std::to_string(int(m));
      EXPECT_NO_THROW(cuda::check_conv_descriptors(s, m)) << what;
      ++checked;
    }
  // per batch size: 4 + (4 + 10) restorer, 12 + 8 + 4 upscaler convolutions; three kinds of math
  EXPECT_EQ(checked, 2 * 42 * 3);
  // and a descriptor cuDNN must refuse is refused, naming the call: a kernel larger than the input
  EXPECT_THROW(cuda::check_conv_descriptors(ConvShape{1, 2, 2, 4, 8, 5, 5, 0}, ConvMath::FP32), Error);
#endif
}

}  // namespace
}  // namespace pixelart::testing
