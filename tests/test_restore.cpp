// tests/test_restore.cpp — the restore pipeline (include/pixelart/restore.h) end to end: tiles give
// what one pass gives, sizes come from the grid found, what has no grid is refused, hints hold;
// and its scoring (evaluate.h). Images with OpenCV's damage: tests/test_synth_opencv.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "pixelart/evaluate.h"
#include "pixelart/model_file.h"
#include "pixelart/restore.h"
#include "rng.h"

namespace pixelart {
namespace {

// A sprite sheet (cols x rows procedural sprites of 16) drawn with cells of `pitch` pixels, cell
// (0, 0) at (origin, origin), over a flat background, with `margin` cells of background around.
struct Render {
  Sprite image, truth;
};
Render render(uint64_t seed, int cols, int rows, double pitch, double origin, int margin) {
  Render r;
  const int cw = cols * 16 + 2 * margin, ch = rows * 16 + 2 * margin;
  r.truth.width = cw, r.truth.height = ch;
  r.truth.rgba.assign(size_t(cw) * ch * 4, 0);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const Sprite g = generate_sprite(seed + uint64_t(i * cols + j), 16);
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) std::copy(g.px(x, y), g.px(x, y) + 4, r.truth.px(margin + j * 16 + x, margin + i * 16 + y));
    }
  const int W = int(std::lround(cw * pitch)), H = int(std::lround(ch * pitch));
  r.image.width = W, r.image.height = H;
  r.image.rgba.resize(size_t(W) * H * 4);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int cx = std::clamp(int(std::floor((x + 0.5 - origin) / pitch)), 0, cw - 1), cy = std::clamp(int(std::floor((y + 0.5 - origin) / pitch)), 0, ch - 1);
      const uint8_t* p = r.truth.px(cx, cy);
      const double a = p[3] / 255.0, bg[3] = {70, 130, 180};
      for (int c = 0; c < 3; ++c) r.image.px(x, y)[c] = uint8_t(std::lround(a * p[c] + (1 - a) * bg[c]));
      r.image.px(x, y)[3] = 255;
    }
  return r;
}

Restorer shipped() { return load_restorer(std::string(PIXELART_SOURCE_DIR) + "/data/models/restorer16.safetensors", Device::CPU); }

TEST(Restore, TilesGiveWhatOnePassGives) {
  // a model with context layers (the widest reach: 5 cells) over a canvas of 41 x 23 cells, in
  // tiles of 16 cells (a core of 6 and the reach on each side) and in one pass
  RestorerConfig cfg = RestorerConfig::narrow();
  cfg.context = 3;
  const Restorer model(cfg, 5);
  Sprite canon;
  canon.width = 41 * 16, canon.height = 23 * 16;
  canon.rgba.resize(size_t(canon.width) * canon.height * 4);
  for (size_t k = 0; k < canon.rgba.size(); ++k) canon.rgba[k] = uint8_t(255 * kernels::uniform01(3, k, 0));
  RestoreJob one, tiled;
  one.lattice.x = {16, 0, 41, 1}, one.lattice.y = {16, 0, 23, 1};
  one.canonical = canon;
  tiled = one;
  run_restorer(model, {&one}, Device::CPU, 1000);
  run_restorer(model, {&tiled}, Device::CPU, 16);
  ASSERT_EQ(one.y.size(), size_t(41) * 23 * 4);
  ASSERT_EQ(tiled.y.size(), one.y.size());
  double worst = 0;
  for (size_t k = 0; k < one.y.size(); ++k) worst = std::max(worst, std::abs(one.y[k] - tiled.y[k]));
  EXPECT_LT(worst, 1e-5) << "tiles of 16 cells against one pass";
}

TEST(Restore, TheSizeComesFromTheGridFound) {
  // a 2 x 1 sheet with a cell of margin at 9.3 pixels per sprite pixel: 34 x 18 cells, without a
  // hint; and restored, every cell (the shipped model, on clean art) nearly all right
  const Restorer model = shipped();
  const Render r = render(40, 2, 1, 9.3, 2.6, 1);
  const RestoreJob job = restore_image(model, r.image, RestoreOptions{}, Device::CPU);
  ASSERT_TRUE(job.ok()) << job.error;
  EXPECT_EQ(job.sprite.width, 34) << job.lattice.describe();
  EXPECT_EQ(job.sprite.height, 18) << job.lattice.describe();
  EXPECT_NEAR(job.lattice.x.pitch, 9.3, 0.05);
  EXPECT_GT(job.seconds, 0.0);
  if (job.sprite.width == 34 && job.sprite.height == 18) {
    SpriteMetrics m;
    std::vector<double> p(job.sprite.rgba.size()), t(p.size());
    for (size_t k = 0; k < p.size(); ++k) p[k] = job.sprite.rgba[k] / 255.0, t[k] = r.truth.rgba[k] / 255.0;
    m.add(p, t, 1, 18, 34);
    EXPECT_GT(m.pixel_accuracy(), 0.95);
  }
}

TEST(Restore, AnImageWithNoGridIsRefusedAndHintsRestoreItAnyway) {
  Sprite field;
  field.width = 200, field.height = 150;
  field.rgba.resize(size_t(200) * 150 * 4);
  for (int y = 0; y < 150; ++y)
    for (int x = 0; x < 200; ++x) {
      for (int c = 0; c < 3; ++c) field.px(x, y)[c] = uint8_t(128 + 60 * std::sin(0.037 * x * (c + 1) + 0.021 * y));
      field.px(x, y)[3] = 255;
    }
  const Restorer model = shipped();
  const RestoreJob refused = restore_image(model, field, RestoreOptions{}, Device::CPU);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error.find("no credible pixel grid"), std::string::npos) << refused.error;
  RestoreOptions scale;
  scale.hints.pitch_x = scale.hints.pitch_y = 10;
  const RestoreJob a = restore_image(model, field, scale, Device::CPU);
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.sprite.width, 20);
  EXPECT_EQ(a.sprite.height, 15);
  RestoreOptions size;
  size.hints.cells_x = 24, size.hints.cells_y = 12;
  const RestoreJob b = restore_image(model, field, size, Device::CPU);
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.sprite.width, 24);
  EXPECT_EQ(b.sprite.height, 12);
  RestoreOptions tiny;
  tiny.max_cells = 10;
  EXPECT_FALSE(prepare_restore(render(1, 1, 1, 5, 0, 0).image, tiny, 16).ok());  // 16 cells > 10
}

TEST(Restore, ACellTheNetworkKeepsOverAClearedBackgroundKeepsItsOwnColour) {
  // The flat background is cleared before the network runs; a sprite's pixels of that colour go
  // with it, and the network (trained so) decides which cleared cells are sprite. Refinement then
  // takes their colours from the image before clearing and does not impose the cleared mask: an
  // output that calls every cell opaque keeps every cell, the background's in its colour.
  const Render r = render(7, 1, 1, 8, 0, 2);
  RestoreJob job = prepare_restore(r.image, RestoreOptions{}, 16);
  ASSERT_TRUE(job.ok()) << job.error;
  ASSERT_EQ(job.background, 1);
  ASSERT_EQ(job.colours.width, job.canonical.width);
  ASSERT_EQ(job.colours.height, job.canonical.height);
  const int w = job.lattice.x.cells, h = job.lattice.y.cells;
  ASSERT_EQ(w, 20);
  ASSERT_EQ(h, 20);
  EXPECT_EQ(job.canonical.px(8, 8)[3], 0) << "the margin's background is cleared for the network";
  job.y.assign(size_t(w) * h * 4, 1.0);
  for (size_t k = 0; k < job.y.size(); k += 4) job.y[k] = job.y[k + 1] = job.y[k + 2] = 0.5;
  finish_restore(job, RestoreOptions{}, 16);
  ASSERT_EQ(job.sprite.width, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x) {
      const uint8_t* p = job.sprite.px(x, y);
      ASSERT_EQ(p[3], 255) << "cell " << x << "," << y;
      if (x < 2 || y < 2 || x >= 18 || y >= 18) {
        EXPECT_NEAR(p[0], 70, 2) << "cell " << x << "," << y;
        EXPECT_NEAR(p[1], 130, 2);
        EXPECT_NEAR(p[2], 180, 2);
      }
    }
}

TEST(Restore, EvaluationScoresSizeAndPixelsAndKeepsTheWorst) {
  const Restorer model = shipped();
  // samples 0 and 2: a clean sprite (nearly all right); sample 1: a truth of another size, all
  // opaque white (compared after resizing the output to it: mostly wrong)
  auto sample = [](uint64_t i) {
    const Render r = render(60 + i, 1, 1, 8.0, 0.0, 1);
    EvalSample s{r.image, r.truth, "sample " + std::to_string(i)};
    if (i == 1) s.truth.width = 20, s.truth.rgba.assign(size_t(20) * 18 * 4, 255);
    return s;
  };
  const RestoreEval ev = evaluate_restore(model, 3, sample, RestoreOptions{}, Device::CPU, 2, 2);
  EXPECT_EQ(ev.samples, 3);
  EXPECT_EQ(ev.size_right, 2);
  EXPECT_EQ(ev.refused, 0);
  EXPECT_LE(ev.metrics.perfect_sprites, 2);  // a wrong size is never perfect
  ASSERT_EQ(ev.worst.size(), 2u);
  EXPECT_LE(ev.worst[0].accuracy, ev.worst[1].accuracy);
  EXPECT_EQ(ev.worst[0].what, "sample 1");
}

}  // namespace
}  // namespace pixelart
