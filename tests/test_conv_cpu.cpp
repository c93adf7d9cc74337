// tests/test_conv_cpu.cpp — the fast CPU convolutions (oneDNN's forward where the build has it,
// im2col + BLAS) against the direct-loop reference, forward and all three gradients, over the
// shapes the models use.
#include "conv.h"
#include "op_catalogue.h"
#include "pixelart/ops.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

struct ConvCase {
  const char* name;
  Shape x;
  int cout, k, pad;
  bool relu;
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }

class FastVsReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(FastVsReference, ForwardAndGradientsAgree) {
  const ConvCase& c = GetParam();
  OpCase oc;
  oc.inputs = {{c.x, -1, 1}, {{c.cout, c.k, c.k, c.x[3]}, -0.2, 0.2}, {{c.cout}, -0.1, 0.1}};
  auto run = [&](ConvImpl impl, DType dt, std::vector<Tensor>* g) {
    return forward_backward([&](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], {c.pad, c.relu, impl}); },
                            make_inputs(oc, 5, dt, Device::CPU), g);
  };
  for (DType dt : {DType::F32, DType::F64}) {
    std::vector<Tensor> gr;
    const Tensor yr = run(ConvImpl::Reference, dt, &gr);
    // Auto: oneDNN's forward on float32 where the build has it; Im2col: im2col + GEMM always
    for (ConvImpl impl : {ConvImpl::Auto, ConvImpl::Im2col}) {
      std::vector<Tensor> gf;
      const Tensor yf = run(impl, dt, &gf);
      const double tol = dt == DType::F32 ? kF32Rel : 1e-12;  // f64: summation order only
      const std::string tag = std::string(c.name) + (dt == DType::F32 ? " f32" : " f64") + (impl == ConvImpl::Auto ? " auto" : " im2col");
      expect_close(yf, yr, tol, tag + " forward");
      expect_close(gf[0], gr[0], tol, tag + " dx");
      expect_close(gf[1], gr[1], tol, tag + " dw");
      expect_close(gf[2], gr[2], tol, tag + " db");
    }
  }
}

TEST(ConvCpu, OneDnnComputesTheForwardPassWhereTheBuildHasIt) {
  if (!kernels::dnnl_available()) GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev), or PIXELART_CPU_CONV=im2col";
  // called directly, once more on the same shape (the cached primitive), with and without bias
  const kernels::ConvShape s{2, 9, 11, 5, 7, 3, 3, 1};
  OpCase oc;
  oc.inputs = {{{2, 9, 11, 5}, -1, 1}, {{7, 3, 3, 5}, -0.3, 0.3}, {{7}, -0.5, 0.5}};
  const std::vector<Tensor> in = make_inputs(oc, 3, DType::F32, Device::CPU);
  for (bool bias : {true, false})
    for (int twice = 0; twice < 2; ++twice) {
      Tensor y = Tensor::empty({2, 9, 11, 7}, DType::F32, Device::CPU);
      kernels::conv2d_dnnl_forward(in[0].data<float>(), in[1].data<float>(), bias ? in[2].data<float>() : nullptr,
                                   y.data<float>(), s, true);
      const Tensor yr = conv2d(in[0], in[1], bias ? in[2] : Tensor(), {1, true, ConvImpl::Reference});
      expect_close(y, yr, kF32Rel, bias ? "oneDNN with bias" : "oneDNN without bias");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FastVsReference,
    ::testing::Values(ConvCase{"restorer_first_layer", {2, 32, 32, 4}, 16, 3, 1, true},
                      ConvCase{"restorer_mid_layer", {1, 16, 16, 64}, 128, 3, 1, true},
                      ConvCase{"upscaler_9x9_valid", {1, 20, 24, 3}, 8, 9, 0, true},
                      ConvCase{"upscaler_5x5_valid", {2, 12, 12, 8}, 8, 5, 0, true},
                      ConvCase{"upscaler_last_1x1", {2, 9, 7, 16}, 4, 1, 0, false},
                      ConvCase{"odd_sizes_pad2", {3, 7, 5, 3}, 5, 3, 2, false},
                      // the shipped restorer 4-16-32-64-64 + context 64 (16 px a cell), and the
                      // shipped upscalers' 2x2 blocks (16 channels) through 64 filters, valid
                      ConvCase{"shipped_restorer_1", {1, 32, 32, 4}, 16, 3, 1, true},
                      ConvCase{"shipped_restorer_2", {1, 16, 16, 16}, 32, 3, 1, true},
                      ConvCase{"shipped_restorer_3", {2, 8, 8, 32}, 64, 3, 1, true},
                      ConvCase{"shipped_restorer_context", {2, 6, 5, 64}, 64, 3, 1, true},
                      ConvCase{"shipped_upscaler_first", {1, 14, 12, 16}, 64, 3, 0, true},
                      ConvCase{"shipped_upscaler_mid", {1, 10, 9, 64}, 64, 3, 0, true},
                      ConvCase{"shipped_upscaler_last", {2, 7, 6, 64}, 16, 3, 0, false}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ConvCpu, OneDnnStaysRightPastAFullPlanCache) {
  if (!kernels::dnnl_available()) GTEST_SKIP() << "this build has no oneDNN (libdnnl-dev), or PIXELART_CPU_CONV=im2col";
  // more shapes than the cache keeps (512): it is emptied once on the way, and every result,
  // the first shape's again at the end included, still matches the reference
  OpCase oc;
  oc.inputs = {{{1, 3, 600, 2}, -1, 1}, {{3, 3, 3, 2}, -0.3, 0.3}, {{3}, -0.5, 0.5}};
  const std::vector<Tensor> in = make_inputs(oc, 4, DType::F32, Device::CPU);
  auto check = [&](int64_t W) {
    const kernels::ConvShape s{1, 3, W, 2, 3, 3, 3, 1};
    Tensor x = Tensor::empty({1, 3, W, 2}, DType::F32, Device::CPU);
    for (int64_t y = 0; y < 3; ++y)
      std::copy(in[0].data<float>() + y * 600 * 2, in[0].data<float>() + y * 600 * 2 + W * 2, x.data<float>() + y * W * 2);
    Tensor y = Tensor::empty({1, 3, W, 3}, DType::F32, Device::CPU);
    kernels::conv2d_dnnl_forward(x.data<float>(), in[1].data<float>(), in[2].data<float>(), y.data<float>(), s, false);
    expect_close(y, conv2d(x, in[1], in[2], {1, false, ConvImpl::Reference}), kF32Rel, "width " + std::to_string(W));
  };
  for (int64_t W = 1; W <= 560; ++W) check(W);
  check(1);
}

}  // namespace
}  // namespace pixelart::testing
