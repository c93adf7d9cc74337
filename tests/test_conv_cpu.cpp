// tests/test_conv_cpu.cpp — the fast CPU convolution (im2col + BLAS) against the direct-loop
// reference, forward and all three gradients, over the shapes the two models use.
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
    std::vector<Tensor> gf, gr;
    const Tensor yf = run(ConvImpl::Auto, dt, &gf);
    const Tensor yr = run(ConvImpl::Reference, dt, &gr);
    const double tol = dt == DType::F32 ? kF32Rel : 1e-12;  // f64: summation order only
    const std::string tag = std::string(c.name) + (dt == DType::F32 ? " f32" : " f64");
    expect_close(yf, yr, tol, tag + " forward");
    expect_close(gf[0], gr[0], tol, tag + " dx");
    expect_close(gf[1], gr[1], tol, tag + " dw");
    expect_close(gf[2], gr[2], tol, tag + " db");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FastVsReference,
    ::testing::Values(ConvCase{"restorer_first_layer", {2, 32, 32, 4}, 16, 3, 1, true},
                      ConvCase{"restorer_mid_layer", {1, 16, 16, 64}, 128, 3, 1, true},
                      ConvCase{"upscaler_9x9_valid", {1, 20, 24, 3}, 8, 9, 0, true},
                      ConvCase{"upscaler_5x5_valid", {2, 12, 12, 8}, 8, 5, 0, true},
                      ConvCase{"upscaler_last_1x1", {2, 9, 7, 16}, 4, 1, 0, false},
                      ConvCase{"odd_sizes_pad2", {3, 7, 5, 3}, 5, 3, 2, false}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace pixelart::testing
