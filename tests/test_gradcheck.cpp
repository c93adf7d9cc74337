// tests/test_gradcheck.cpp — ring 1: every op of the catalogue against finite differences in
// double on the CPU, kinks and ties included (the analytic gradient must be a subgradient there).
#include "op_catalogue.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

class GradCheck : public ::testing::TestWithParam<OpCase> {};

TEST_P(GradCheck, MatchesFiniteDifferencesInDouble) {
  const OpCase& c = GetParam();
  std::vector<bool> diff;
  for (const auto& s : c.inputs) diff.push_back(s.differentiable);
  int kinks = 0;
  gradcheck(c.fn, make_inputs(c, 1234, DType::F64, Device::CPU), diff, c.name, 400, &kinks);
  if (c.kinks) {
    EXPECT_GT(kinks, 0) << c.name << " is meant to sit on kinks/ties but none was met";
  }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, GradCheck, ::testing::ValuesIn(op_catalogue(CatalogueSize::Test)),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace pixelart::testing
