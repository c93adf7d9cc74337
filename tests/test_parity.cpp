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

}  // namespace
}  // namespace pixelart::testing
