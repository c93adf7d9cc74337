// tests/test_parity.cpp — ring 2: every op on CUDA against its CPU implementation (fp32), at the
// test sizes and at the restorer's real layer sizes. Skipped at run time without a GPU.
#include "op_catalogue.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

void check_parity(const OpCase& c) {
  PA_SKIP_WITHOUT_CUDA();
  if (!c.cuda) GTEST_SKIP() << c.name << " is a CPU-only reference";
  const auto cpu_in = make_inputs(c, 99, DType::F32, Device::CPU);
  const auto gpu_in = make_inputs(c, 99, DType::F32, Device::CUDA);
  std::vector<Tensor> cpu_g, gpu_g;
  const Tensor cpu_out = forward_backward(c.fn, cpu_in, &cpu_g);
  const Tensor gpu_out = forward_backward(c.fn, gpu_in, &gpu_g);
  ASSERT_EQ(gpu_out.device(), Device::CUDA);
  expect_close(gpu_out, cpu_out, kF32Rel, c.name + " forward");
  for (size_t i = 0; i < cpu_g.size(); ++i)
    if (cpu_g[i].defined()) expect_close(gpu_g[i], cpu_g[i], kF32Rel, c.name + " grad of input " + std::to_string(i));
}

class ParityTest : public ::testing::TestWithParam<OpCase> {};
TEST_P(ParityTest, CudaMatchesCpu) { check_parity(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Test, ParityTest, ::testing::ValuesIn(op_catalogue(CatalogueSize::Test)),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Bench, ParityTest, ::testing::ValuesIn(op_catalogue(CatalogueSize::Bench)),
                         [](const auto& info) { return info.param.name; });

// Backward ADDS to the gradients already there (conv.h; autograd hands each op the gradient
// buffers it has, and a parameter used twice, or gradients kept over two backward passes, rely
// on it). Two passes without zeroing must give on CUDA what they give on the CPU (and differ from
// one pass, so the second counts). cuDNN's three backward outputs (data, filter, bias) after the
// fused forward (ReLU) and the plain one (no ReLU) are compared.
TEST(Parity, ConvGradientsAddUpOverBackwardPassesAsOnTheCpu) {
  PA_SKIP_WITHOUT_CUDA();
  for (const bool relu : {true, false}) {
    OpCase c, upstream;
    c.inputs = {{{2, 6, 5, 3}, -1, 1}, {{4, 3, 3, 3}, -0.3, 0.3}, {{4}, -0.1, 0.1}};
    upstream.inputs = {{{2, 6, 5, 4}, -1, 1}};  // the gradient flowing into y
    auto grads = [&](Device dev, int passes) {
      std::vector<Tensor> in = make_inputs(c, 7, DType::F32, dev);
      for (Tensor& t : in) t.set_requires_grad(true);
      for (int pass = 0; pass < passes; ++pass) {
        const Tensor g = make_inputs(upstream, 100 + uint64_t(pass), DType::F32, dev)[0];
        Tape tape;
        TapeScope scope(tape);
        tape.backward(weighted_sum(conv2d(in[0], in[1], in[2], {1, relu}), g));
      }
      return std::vector<Tensor>{in[0].grad().to(Device::CPU), in[1].grad().to(Device::CPU), in[2].grad().to(Device::CPU)};
    };
    const std::vector<Tensor> cpu = grads(Device::CPU, 2), gpu = grads(Device::CUDA, 2), once = grads(Device::CPU, 1);
    const char* names[] = {"dx", "dw", "db"};
    for (size_t i = 0; i < 3; ++i) {
      const std::string what = std::string(names[i]) + (relu ? " (ReLU)" : " (no ReLU)");
      expect_close(gpu[i], cpu[i], kF32Rel, what + ", two passes, CUDA against the CPU");
      EXPECT_GT(max_abs_error(cpu[i].to_vector(), once[i].to_vector()), 1e-3) << what << ": the second pass added nothing";
    }
  }
}

}  // namespace
}  // namespace pixelart::testing
