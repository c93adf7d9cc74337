// tests/test_overfit.cpp — the whole training loop on the CPU: a narrow restorer fits 32
// generated sprites (nearest-upscaled inputs), the loss falling tenfold within a few hundred steps.
#include <cmath>

#include "pixelart/ops.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

TEST(Overfit, NarrowRestorerFits32SpritesOnTheCpu) {
  NarrowFit fit(32, 1000);  // scale 8: 8x8 sprites from 64x64 inputs keep CI fast
  double first = 0, last = 0;
  int tenfold_at = -1;
  for (int step = 0; step < 300; ++step) {
    last = fit.step();
    if (step == 0) first = last;
    if (tenfold_at < 0 && last < first / 10) tenfold_at = step;
  }
  EXPECT_GE(tenfold_at, 0) << "loss went from " << first << " to " << last << " in 300 steps";
  // Beyond the loss: the sprites themselves are reproduced (not just their mean background).
  const auto p = fit.prediction().to_vector(), tv = fit.target().to_vector();
  int64_t close = 0;
  for (size_t i = 0; i < p.size(); ++i) close += std::abs(p[i] - tv[i]) < 0.1;
  const double frac = double(close) / double(p.size());
  EXPECT_GT(frac, 0.9) << "only " << frac << " of the values within 0.1 after 300 steps";
  RecordProperty("first_loss", std::to_string(first));
  RecordProperty("last_loss", std::to_string(last));
  RecordProperty("tenfold_at_step", tenfold_at);
  RecordProperty("values_within_0.1", std::to_string(frac));
}

}  // namespace
}  // namespace pixelart::testing
