// tests/test_upscaler.cpp — the SRCNN-style upscaler: tiles with exact seams, no colour fringes
// from transparent pixels, the self-ensemble's symmetry, shapes that cannot align refused, training patches reproducible and
// aligned with their targets.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "pixelart/ops.h"
#include "pixelart/train.h"
#include "pixelart/train_config.h"
#include "pixelart/postprocess.h"
#include "pixelart/upscale_image.h"
#include "pixelart/upscaler.h"
#include "rng.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

UpscalerConfig small() {
  UpscalerConfig c;
  c.filters = {8, 8};
  c.kernels = {5, 3, 3};
  return c;
}
UpscalerConfig blocks() {  // the same on 2x2 blocks (--unshuffle 2)
  UpscalerConfig c;
  c.filters = {8, 8};
  c.kernels = {3, 3, 3};
  c.unshuffle = 2;
  return c;
}
Sprite art(int w, int h, uint64_t seed) {  // smooth colour fields with a transparent hole
  Sprite s;
  s.width = w, s.height = h;
  s.rgba.resize(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = s.px(x, y);
      p[0] = uint8_t(128 + 100 * std::sin(0.21 * x + double(seed)));
      p[1] = uint8_t(128 + 100 * std::cos(0.17 * y));
      p[2] = uint8_t((x * y + int(seed)) % 256);
      p[3] = (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < 40 ? 0 : 255;
    }
  canonicalise_transparent(s);
  return s;
}

Sprite filled(int w, int h, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {  // one colour
  Sprite s;
  s.width = w, s.height = h;
  s.rgba.resize(size_t(w) * h * 4);
  for (size_t k = 0; k < s.rgba.size(); k += 4) s.rgba[k] = r, s.rgba[k + 1] = g, s.rgba[k + 2] = b, s.rgba[k + 3] = a;
  return s;
}

// An untrained upscaler adds nothing (its last convolution starts at zero); the tests of tiles,
// fringes and the ensemble need a network that does, so they give the last layer random weights.
Upscaler busy(const UpscalerConfig& cfg, uint64_t seed, double scale = 1.0) {
  Upscaler model(cfg, seed);
  Tensor last = model.params().param("conv" + std::to_string(cfg.kernels.size() - 1) + ".weight");
  std::vector<double> w(size_t(last.numel()));
  const double bound = scale * 0.1 * std::sqrt(3.0 * double(last.size(0)) / double(last.numel()));
  for (size_t k = 0; k < w.size(); ++k) w[k] = bound * (2.0 * kernels::uniform01(seed, 99, k) - 1.0);
  last.copy_from(Tensor::from_vector(w, last.shape()));
  return model;
}

TEST(Upscaler, AnUntrainedUpscalerIsPlainBicubic) {
  Tensor x = Tensor::empty({2, 20, 22, 4});
  for (int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = float(kernels::uniform01(4, 0, uint64_t(k)));
  for (const UpscalerConfig& cfg : {small(), blocks()}) {
    const Upscaler model(cfg, 3);
    const Tensor y = model.forward(x);
    const int m = cfg.margin();
    const int64_t H = 20 - 2 * m, W = 22 - 2 * m;
    ASSERT_EQ(y.shape(), (Shape{2, H, W, 4})) << cfg.describe();
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t r = 0; r < H; ++r)
        for (int64_t c = 0; c < W * 4; ++c)
          ASSERT_EQ(y.data<float>()[((i * H + r) * W) * 4 + c], x.data<float>()[((i * 20 + r + m) * 22 + m) * 4 + c]) << cfg.describe();
    // and busy() gives the tests below a network that does change the image
    const Tensor z = busy(cfg, 3).forward(x);
    double moved = 0;
    for (int64_t k = 0; k < z.numel(); ++k) moved = std::max(moved, double(std::abs(z.data<float>()[k] - y.data<float>()[k])));
    EXPECT_GT(moved, 0.01) << cfg.describe();
  }
  EXPECT_THROW(Upscaler(blocks(), 3).forward(Tensor::zeros({1, 19, 20, 4})), Error);  // not whole 2x2 blocks
}

TEST(Upscaler, TilesHaveExactSeams) {
  for (const UpscalerConfig& cfg : {small(), blocks()}) {  // on blocks: the sizes are odd, the tiles whole blocks
  const Upscaler model = busy(cfg, 4);
  const Sprite img = art(45, 37, 1);
  const Sprite whole = model.upscale(img, 1.75, {.passes = 2, .tile = 4096});
  const Sprite tiled = model.upscale(img, 1.75, {.passes = 2, .tile = 17});  // many tiles, each with its margin
  ASSERT_EQ(whole.width, tiled.width);
  ASSERT_EQ(whole.height, tiled.height);
  EXPECT_EQ(whole.width, int(std::llround(std::llround(45 * 1.75) * 1.75)));
  // Each output pixel sees the same receptive field either way, so the results are the same up
  // to float rounding: BLAS blocks the GEMM differently for different tile sizes, which can move
  // a value across a rounding boundary to the next 8-bit level, never further.
  int differ = 0, worst = 0;
  for (size_t k = 0; k < whole.rgba.size(); ++k) {
    const int d = std::abs(int(whole.rgba[k]) - int(tiled.rgba[k]));
    differ += d > 0;
    worst = std::max(worst, d);
  }
  EXPECT_LE(worst, 1) << cfg.describe();
  EXPECT_LT(differ, int(whole.rgba.size() / 1000)) << "values that differ between whole-image and tiled upscaling";
  }
}

TEST(Upscaler, ReportsItsProgressTileByTileAcrossPassesAndTheEnsemble) {
  const Upscaler model = busy(blocks(), 4);
  const Sprite img = art(45, 37, 1);
  for (bool ensemble : {false, true}) {
    std::vector<double> seen;
    const Sprite with = model.upscale(img, 1.75, {.passes = 2, .tile = 17, .ensemble = ensemble,
                                                  .progress = [&](double f) { seen.push_back(f); }});
    // 45x37 -> 79x65 -> 138x114 in tiles of 16x16 (whole 2x2 blocks): 5x5 tiles then 9x8, 16 a batch
    EXPECT_EQ(seen.size(), size_t(ensemble ? 8 : 1) * (2 + 5)) << "one report per batch of tiles";
    ASSERT_FALSE(seen.empty());
    for (size_t k = 1; k < seen.size(); ++k) EXPECT_GT(seen[k], seen[k - 1]) << "report " << k;
    EXPECT_GT(seen.front(), 0.0);
    EXPECT_NEAR(seen.back(), 1.0, 1e-12);
    // the first pass is about a quarter of the work (79*65 of 79*65 + 138*114 pixels)
    const size_t first_pass_end = size_t(ensemble ? 8 * 2 : 2) - 1;
    EXPECT_NEAR(seen[first_pass_end], 79.0 * 65 / (79.0 * 65 + 138.0 * 114), 1e-9);
    const Sprite without = model.upscale(img, 1.75, {.passes = 2, .tile = 17, .ensemble = ensemble});
    EXPECT_EQ(with.rgba, without.rgba) << "reporting changes nothing";
  }
}

TEST(Upscaler, TransparentPixelsLeaveNoColourFringe) {
  // A red square on a transparent background whose hidden colour is bright green: interpolating
  // straight RGBA would pull green into the edge; premultiplied colour cannot.
  Sprite s;
  s.width = s.height = 24;
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 24; ++x) {
      const bool in = x >= 8 && x < 16 && y >= 8 && y < 16;
      const uint8_t px[4] = {uint8_t(in ? 220 : 0), uint8_t(in ? 0 : 255), 0, uint8_t(in ? 255 : 0)};
      s.rgba.insert(s.rgba.end(), px, px + 4);
    }
  Upscaler model(small(), 9);
  model.params().param("conv2.weight").fill_(0);  // no correction: exactly the interpolation path
  model.params().param("conv2.bias").fill_(0);
  const Sprite up = model.upscale(s, 2.0);
  int worst_green = 0;
  for (size_t k = 0; k < up.rgba.size(); k += 4)
    if (up.rgba[k + 3] >= 64) worst_green = std::max(worst_green, int(up.rgba[k + 1]));
  EXPECT_LT(worst_green, 40) << "green bled into the red square's edge";
}

// Where the alpha is flat over a pixel's receptive field the upscaler keeps it exactly, whatever
// the network would add (an untrained one with a large last layer adds plenty): opaque images stay
// opaque, far background stays (0,0,0,0); near the alpha's edges the network still decides
// (where back-projection leaves it a choice).
TEST(Upscaler, FlatAlphaIsKeptExactly) {
  Upscaler model = busy(small(), 5);
  Tensor last = model.params().param("conv2.bias");
  last.copy_from(Tensor::from_vector({0.1, -0.2, 0.1, -0.3}, {4}));  // pushes alpha down everywhere
  Sprite opaque = art(40, 32, 2);
  for (size_t k = 3; k < opaque.rgba.size(); k += 4) opaque.rgba[k] = 255;
  const Sprite up = model.upscale(opaque, 2.0);
  for (size_t k = 3; k < up.rgba.size(); k += 4) ASSERT_EQ(up.rgba[k], 255) << "pixel " << k / 4;

  Sprite dot;  // a 6x6 opaque square in a 48x48 transparent field
  dot.width = dot.height = 48;
  dot.rgba.assign(size_t(48) * 48 * 4, 0);
  for (int y = 21; y < 27; ++y)
    for (int x = 21; x < 27; ++x) dot.px(x, y)[0] = 200, dot.px(x, y)[3] = 255;
  const int m = small().margin() + 2;  // the receptive field plus bicubic's reach, in output pixels
  for (bool project : {false, true}) {
    const Sprite d = model.upscale(dot, 2.0, {.back_project = project});
    int changed = 0;
    for (int y = 0; y < d.height; ++y)
      for (int x = 0; x < d.width; ++x) {
        const bool far = x < 42 - 2 * m || x >= 54 + 2 * m || y < 42 - 2 * m || y >= 54 + 2 * m;
        if (far) {
          for (int c = 0; c < 4; ++c) ASSERT_EQ(d.px(x, y)[c], 0) << x << "," << y;
        } else {
          changed += d.px(x, y)[3] != 0 && d.px(x, y)[3] != 255;
        }
      }
    if (project)  // each 2x2 block must average to its input alpha, 0 or 1: all 0 or all 1
      EXPECT_EQ(changed, 0) << "with back-projection a hard alpha mask stays hard at whole factors";
    else
      EXPECT_GT(changed, 0) << "the edge of the square is the network's to decide";
  }
}

// Where all four channels are flat over the receptive field (a field of one colour), the colour
// is kept too: the network's bias would otherwise shift it by about a level and break the
// palette. Near a detail the network still decides.
TEST(Upscaler, FlatColourIsKeptExactly) {
  Upscaler model = busy(small(), 8);
  Tensor bias = model.params().param("conv2.bias");
  bias.copy_from(Tensor::from_vector({0.02, -0.03, 0.01, 0.0}, {4}));  // shifts flat colour by levels
  for (uint8_t alpha : {uint8_t(255), uint8_t(128)}) {
    Sprite field = filled(40, 40, 90, 160, 30, alpha);
    for (int y = 0; y < 4; ++y)  // a detail in the corner
      for (int x = 0; x < 4; ++x) field.px(x, y)[0] = 250, field.px(x, y)[1] = 10;
    const Sprite up = model.upscale(field, 2.0);
    const int reach = 2 * (small().margin() + 2) + 8;  // the detail, its receptive field and bicubic's reach
    int near_changed = 0;
    for (int y = 0; y < up.height; ++y)
      for (int x = 0; x < up.width; ++x) {
        const uint8_t* p = up.px(x, y);
        if (x >= reach || y >= reach) {
          ASSERT_EQ(p[3], alpha) << x << "," << y;
          ASSERT_NEAR(p[0], 90, alpha == 255 ? 0 : 1) << x << "," << y;  // 8-bit premultiplied rounding at half alpha
          ASSERT_NEAR(p[1], 160, alpha == 255 ? 0 : 1) << x << "," << y;
          ASSERT_NEAR(p[2], 30, alpha == 255 ? 0 : 1) << x << "," << y;
        } else {
          near_changed += p[0] != 90 && p[0] != 250;
        }
      }
    EXPECT_GT(near_changed, 0) << "near the detail the network still decides";
  }
}

Sprite flip_x(const Sprite& s) {
  Sprite o = s;
  for (int y = 0; y < s.height; ++y)
    for (int x = 0; x < s.width; ++x) std::copy(s.px(s.width - 1 - x, y), s.px(s.width - 1 - x, y) + 4, o.px(x, y));
  return o;
}
Sprite transpose(const Sprite& s) {
  Sprite o = s;
  o.width = s.height, o.height = s.width;
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) std::copy(s.px(y, x), s.px(y, x) + 4, o.px(x, y));
  return o;
}
int max_diff(const Sprite& a, const Sprite& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  int worst = 0;
  for (size_t k = 0; k < std::min(a.rgba.size(), b.rgba.size()); ++k) worst = std::max(worst, std::abs(int(a.rgba[k]) - int(b.rgba[k])));
  return worst;
}

// The self-ensemble averages the network over the eight flips and transposes, each undone on its
// output, so the result commutes with flipping and transposing the input (a wrong inverse would
// not). The network alone does not: the test would not pass by accident.
TEST(Upscaler, EnsembleCommutesWithFlipsAndTransposes) {
  for (const UpscalerConfig& cfg : {small(), blocks()}) {  // on blocks also at odd sizes (1.5x: 68x56 -> 67x55 ...)
    const Upscaler model = busy(cfg, 6, 30.0);  // a large correction, so that it shows
    const Sprite img = art(45, 37, 3);  // not square: the transposes change the shape
    for (double f : {2.0, 1.5})
      for (auto* t : {&flip_x, &transpose}) {
        const int plain = max_diff(t(model.upscale(img, f)), model.upscale(t(img), f));
        const int ens = max_diff(t(model.upscale(img, f, {.tile = 16, .ensemble = true})), model.upscale(t(img), f, {.ensemble = true}));
        EXPECT_GT(plain, 8) << "the network alone is not symmetric: " << cfg.describe();
        EXPECT_LE(ens, 1) << "float rounding at most: " << cfg.describe() << " x" << f;
      }
  }
  // A network of 1x1 convolutions sees one pixel: it is symmetric, and its ensemble is itself.
  UpscalerConfig pointwise;
  pointwise.filters = {8};
  pointwise.kernels = {1, 1};
  const Upscaler pw = busy(pointwise, 7);
  const Sprite img = art(45, 37, 3);
  EXPECT_LE(max_diff(pw.upscale(img, 2.0), pw.upscale(img, 2.0, {.ensemble = true})), 1);
}

// A network on 2x2 blocks sees the whole block of every pixel: where the input is flat except
// for one pixel, the other three pixels of its block are the network's to decide (a flat-keeping
// window of the pixel's own reach would freeze them), and the blocks around are kept exactly.
TEST(Upscaler, FlatKeepingSeesTheWholeBlock) {
  UpscalerConfig cfg;
  cfg.filters = {8};
  cfg.kernels = {1, 1};  // each block alone: margin 0, reach 1
  cfg.unshuffle = 2;
  ASSERT_EQ(cfg.margin(), 0);
  ASSERT_EQ(cfg.reach(), 1);
  const Upscaler model = busy(cfg, 11, 30.0);
  Sprite field = filled(12, 12, 90, 160, 30, 255);
  field.px(5, 5)[0] = 250;  // the last pixel of block (2, 2), which covers pixels 4..5
  const Sprite out = model.upscale(field, 1.0);  // a pass without interpolation: the input is the image
  int decided = 0;
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 12; ++x) {
      const uint8_t* p = out.px(x, y);
      if (x / 2 == 2 && y / 2 == 2) {
        if (x != 5 || y != 5) decided += p[0] != 90 || p[1] != 160 || p[2] != 30;
      } else {
        ASSERT_TRUE(p[0] == 90 && p[1] == 160 && p[2] == 30 && p[3] == 255) << x << "," << y;
      }
    }
  EXPECT_EQ(decided, 3) << "the block's other pixels see the detail and the network moves them";
}

// Premultiplied RGBA of pixel (x, y) in [0, 1], and the mean of the f x f block at (bx, by).
std::array<double, 4> premul(const Sprite& s, int x, int y) {
  const uint8_t* p = s.px(x, y);
  const double a = p[3] / 255.0;
  return {p[0] / 255.0 * a, p[1] / 255.0 * a, p[2] / 255.0 * a, a};
}
std::array<double, 4> block_mean(const Sprite& s, int bx, int by, int f) {
  std::array<double, 4> m{};
  for (int y = by * f; y < (by + 1) * f; ++y)
    for (int x = bx * f; x < (bx + 1) * f; ++x)
      for (int c = 0; c < 4; ++c) m[size_t(c)] += premul(s, x, y)[size_t(c)] / (f * f);
  return m;
}
// The worst distance, in 8-bit levels, between each f x f block's premultiplied mean and its pixel
// of `small`: the output shrunk by area averaging against the input.
double worst_block_error(const Sprite& up, const Sprite& small, int f) {
  double worst = 0;
  for (int by = 0; by < small.height; ++by)
    for (int bx = 0; bx < small.width; ++bx) {
      const auto m = block_mean(up, bx, by, f), v = premul(small, bx, by);
      for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(m[size_t(c)] - v[size_t(c)]) * 255);
    }
  return worst;
}

// Back-projection: at whole factors each f x f block of the output averages to the input pixel it
// came from (premultiplied), whatever the network adds, transparent hole included; without it the
// network's correction moves the blocks (so the test can fail). Only 8-bit rounding remains.
TEST(Upscaler, BackProjectionGivesTheInputBack) {
  for (const UpscalerConfig& cfg : {small(), blocks()}) {
    const Upscaler model = busy(cfg, 12, 3.0);
    const Sprite img = art(33, 29, 4);  // odd sizes: on blocks, x3 pads to whole blocks and crops
    for (int f : {2, 3}) {
      EXPECT_LE(worst_block_error(model.upscale(img, f), img, f), 1.0) << cfg.describe() << " x" << f;
      EXPECT_GT(worst_block_error(model.upscale(img, f, {.back_project = false}), img, f), 4.0) << cfg.describe() << " x" << f;
    }
    // at other factors there are no blocks to keep: the option changes nothing
    EXPECT_EQ(max_diff(model.upscale(img, 1.5), model.upscale(img, 1.5, {.back_project = false})), 0);
    // under partly transparent input pixels only the alpha is projected (here flat and kept), not the
    // colour, whose block mean depends on how the input was shrunk
    Sprite glass = img;
    for (size_t k = 3; k < glass.rgba.size(); k += 4) glass.rgba[k] = 128;
    EXPECT_EQ(max_diff(model.upscale(glass, 2.0), model.upscale(glass, 2.0, {.back_project = false})), 0);
  }
}

// Where the input is an area-averaged shrink of an image, that image lies in the set the
// projection moves onto, so the output only comes closer to it: for plain bicubic (an untrained
// upscaler) and for a network that adds noise.
TEST(Upscaler, BackProjectionBringsAShrunkImageCloser) {
  Sprite big;  // blocky opaque art: 6 px cells of colour with a 1 px outline
  big.width = big.height = 48;
  big.rgba.resize(size_t(48) * 48 * 4);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 48; ++x) {
      uint8_t* p = big.px(x, y);
      const uint64_t cell = uint64_t(y / 6 * 8 + x / 6);
      const bool line = x % 6 == 0 || y % 6 == 0;
      for (int c = 0; c < 3; ++c) p[c] = line ? 20 : uint8_t(60 + 180 * kernels::uniform01(13, cell, uint64_t(c)));
      p[3] = 255;
    }
  for (int f : {2, 3}) {
    Sprite lr;
    lr.width = lr.height = 48 / f;
    lr.rgba.resize(size_t(lr.width) * lr.height * 4);
    for (int by = 0; by < lr.height; ++by)
      for (int bx = 0; bx < lr.width; ++bx) {
        const auto m = block_mean(big, bx, by, f);
        for (int c = 0; c < 4; ++c) lr.px(bx, by)[c] = uint8_t(std::lround(m[size_t(c)] * 255));
      }
    auto error = [&](const Sprite& up) {
      double se = 0;
      for (size_t k = 0; k < up.rgba.size(); ++k) se += std::pow(double(up.rgba[k]) - double(big.rgba[k]), 2);
      return se;
    };
    for (double noise : {0.0, 3.0}) {
      const Upscaler model = noise == 0 ? Upscaler(small(), 3) : busy(small(), 14, noise);
      const double with = error(model.upscale(lr, f)), without = error(model.upscale(lr, f, {.back_project = false}));
      EXPECT_LT(with, 0.98 * without) << "x" << f << ", noise " << noise;  // bicubic: 3% less squared error at x2
    }
  }
}

TEST(Upscaler, ShapesThatCannotAlignAreRefused) {
  UpscalerConfig c = small();
  c.kernels = {5, 4, 3};
  try {
    c.validate();
    FAIL() << "an even kernel was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must be odd"), std::string::npos) << e.what();
  }
  c.kernels = {5, 3};
  EXPECT_THROW(c.validate(), Error);
  EXPECT_EQ(small().margin(), 4);
  EXPECT_EQ(small().describe(), "8@5-8@3-4@3");
  EXPECT_EQ((UpscalerConfig{{32, 32, 32, 8}, {3, 3, 3, 3, 3}, 4}.describe()), "32@3x3-8@3-4@3");
  EXPECT_EQ((UpscalerConfig{{4, 4}, {3, 3, 3}, 4}.describe()), "4@3x3");
  EXPECT_EQ(blocks().describe(), "2x2:8@3x2-16@3");
  EXPECT_EQ(blocks().margin(), 6);  // three 3x3 convolutions on blocks: 3 blocks, 6 pixels
  EXPECT_EQ(blocks().reach(), 7);
  EXPECT_EQ(blocks().param_specs().front().shape, (Shape{8, 3, 3, 16}));  // RGBA of 2x2 pixels in
  UpscalerConfig b = blocks();
  b.unshuffle = 5;
  EXPECT_THROW(b.validate(), Error);
  EXPECT_NO_THROW((UpscalerConfig{std::vector<int>(32, 4), std::vector<int>(33, 1), 4}.validate()));  // VDSR's depth fits
  EXPECT_THROW((UpscalerConfig{std::vector<int>(33, 4), std::vector<int>(34, 1), 4}.validate()), Error);
  EXPECT_THROW(Upscaler(small(), 1).forward(Tensor::zeros({1, 8, 8, 4})), Error);  // smaller than the receptive field
  std::vector<Sprite> few{art(20, 20, 1)};
  EXPECT_THROW(PatchSampler(few, 8, 2.0, 4, Device::CPU), Error);   // no target left
  EXPECT_THROW(PatchSampler(few, 32, 2.0, 4, Device::CPU), Error);  // no image large enough
}

TEST(Upscaler, PatchesAreReproducibleAndTargetsAreTheirCentres) {
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  PatchSampler a(imgs, 32, 2.0, 4, Device::CPU), b(imgs, 32, 2.0, 4, Device::CPU);
  Tensor x1, t1, x2, t2;
  a.generate(5, 10, 6, &x1, &t1);
  b.generate(5, 10, 6, &x2, &t2);
  EXPECT_EQ(x1.to_vector(), x2.to_vector());
  EXPECT_EQ(t1.describe(), "f32[6,24,24,4]@cpu");
  // With factor 1 the input is the undamaged patch: its centre is the target exactly.
  PatchSampler same(imgs, 32, 1.0, 4, Device::CPU);
  Tensor x, t;
  same.generate(5, 10, 6, &x, &t);
  const auto xv = x.to_vector(), tv = t.to_vector();
  for (int i = 0; i < 6; ++i)
    for (int y = 0; y < 24; ++y)
      for (int c = 0; c < 24 * 4; ++c)
        ASSERT_EQ(tv[size_t(((i * 24 + y) * 24) * 4 + c)], xv[size_t(((i * 32 + y + 4) * 32 + 4) * 4 + c)]);
}

// --back-project's premise: when the margin is whole blocks, the target's f x f block means are
// the shrunk patch's pixels, which is what `upscale` projects onto (its input).
TEST(Upscaler, TargetBlocksAverageToTheShrunkPatch) {
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  const int P = 32, m = 6, f = 2, T = P - 2 * m;  // blocks()' margin
  PatchSampler at2(imgs, P, 2.0, m, Device::CPU, {true, true}), at1(imgs, P, 1.0, m, Device::CPU, {true, true});
  Tensor x2, t2, x1, t1;
  at2.generate(7, 3, 5, &x2, &t2);
  at1.generate(7, 3, 5, &x1, &t1);  // the same draws: x1 is the premultiplied patch itself
  const auto small = resize_images(x1, P / f, P / f, ResizeFilter::Area).to_vector();
  const auto blocks_mean = resize_images(t2, T / f, T / f, ResizeFilter::Area).to_vector();
  const auto projected = project_blocks(t1, t2, f).to_vector(), target = t2.to_vector();
  for (int i = 0; i < 5; ++i)
    for (int y = 0; y < T / f; ++y)
      for (int c = 0; c < T / f * 4; ++c)
        ASSERT_NEAR(blocks_mean[size_t(((i * (T / f) + y) * (T / f)) * 4 + c)],
                    small[size_t(((i * (P / f) + y + m / f) * (P / f) + m / f) * 4 + c)], 1e-6);
  for (size_t k = 0; k < target.size(); ++k) ASSERT_NEAR(projected[k], target[k], 1e-6);  // t1 == t2
}

// --shrink: each batch's inputs are the patches shrunk by one of the listed kernels, drawn from
// (seed, first), then enlarged by bicubic; over many batches every kernel is drawn. (At x2.5, where
// no two of the kernels agree: at x2 area and bilinear give the same, at x3 cubic and Lanczos.)
TEST(Upscaler, PatchesAreShrunkByTheKernelsListed) {
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  const int P = 32;
  PatchSampler same(imgs, P, 1.0, 4, Device::CPU);
  const std::vector<ResizeFilter> all{ResizeFilter::Area, ResizeFilter::Bilinear, ResizeFilter::Bicubic, ResizeFilter::Lanczos,
                                      ResizeFilter::BicubicAntialiased};
  PatchSampler mixed(imgs, P, 2.5, 4, Device::CPU, {false, false, all});
  const int small = 13;  // 32 / 2.5, rounded
  std::vector<int> drawn(all.size(), 0);
  for (uint64_t first = 0; first < 48 * 4; first += 4) {
    Tensor x1, t1, x, t;
    same.generate(9, first, 4, &x1, &t1);  // the same patches, unshrunk
    mixed.generate(9, first, 4, &x, &t);
    const auto got = x.to_vector();
    int match = -1;
    for (size_t k = 0; k < all.size(); ++k)
      if (resize_images(resize_images(x1, small, small, all[k]), P, P, ResizeFilter::Bicubic).to_vector() == got) {
        EXPECT_EQ(match, -1) << "two kernels gave the same input";
        match = int(k);
      }
    ASSERT_GE(match, 0) << "batch at " << first << " was shrunk by none of the kernels";
    ++drawn[size_t(match)];
  }
  for (size_t k = 0; k < all.size(); ++k) EXPECT_GT(drawn[k], 3) << "kernel " << k << " drawn " << drawn[k] << " times in 48";
  TrainConfig c;
  c.set("task", "upscale");
  c.set("shrink", "area,cubic,lanczos,bicubic-aa");
  EXPECT_EQ(c.shrink, (std::vector<ResizeFilter>{ResizeFilter::Area, ResizeFilter::Bicubic, ResizeFilter::Lanczos, ResizeFilter::BicubicAntialiased}));
  TrainConfig round;
  round.set("task", "upscale");
  for (const auto& [k, v] : c.items())
    if (k == "shrink") round.set(k, v);
  EXPECT_EQ(round.to_json(), c.to_json());
  EXPECT_NO_THROW(c.validate());
  EXPECT_THROW(c.set("shrink", "area,box"), Error);
  c.set("back-project", "on");
  c.set("factor", "2");
  EXPECT_THROW(c.validate(), Error);  // back-projection models an area shrink
  TrainConfig r;
  r.set("shrink", "cubic");
  EXPECT_THROW(r.validate(), Error);  // the restorer has its own damage
}

// --jpeg (its coding beside libjpeg's: test_synth_opencv.cpp): the targets stay clean, alpha is
// untouched, a share of the samples is coded and the rest are bit for bit the clean ones; at a
// factor the shrunk patch is coded before it is interpolated back.
TEST(Upscaler, PatchesAreJpegdForTheirShareWithCleanTargets) {
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  const int P = 26, n = 16;
  PatchOptions clean_o, coded_o, half_o;
  coded_o.jpeg_min = coded_o.jpeg_max = 40;
  half_o.jpeg_min = 30, half_o.jpeg_max = 90, half_o.jpeg_share = 0.5f;
  PatchSampler clean(imgs, P, 1.0, 4, Device::CPU, clean_o), coded(imgs, P, 1.0, 4, Device::CPU, coded_o),
      half(imgs, P, 1.0, 4, Device::CPU, half_o);
  Tensor xc, tc, xj, tj, xh, th;
  clean.generate(5, 0, n, &xc, &tc);
  coded.generate(5, 0, n, &xj, &tj);
  half.generate(5, 0, n, &xh, &th);
  EXPECT_EQ(tj.to_vector(), tc.to_vector());  // the targets stay clean
  const auto c = xc.to_vector(), j = xj.to_vector(), h = xh.to_vector();
  for (size_t k = 3; k < c.size(); k += 4) ASSERT_EQ(j[k], c[k]) << "alpha changed at " << k;
  double moved = 0;
  for (size_t k = 0; k < c.size(); ++k) moved = std::max(moved, std::abs(j[k] - c[k]));
  EXPECT_GT(moved, 8.0 / 255) << "quality 40 left the patches as they were";
  const size_t per = size_t(P) * P * 4;
  int same = 0;
  for (int i = 0; i < n; ++i)
    same += std::equal(c.begin() + long(i * per), c.begin() + long((i + 1) * per), h.begin() + long(i * per));
  EXPECT_GT(same, 2) << "a share of 0.5 coded every sample";
  EXPECT_LT(same, n - 2) << "a share of 0.5 coded almost none";
  // at a factor the coding is of the shrunk patch, before it is interpolated back
  PatchSampler plain2(imgs, 32, 2.0, 4, Device::CPU), coded2(imgs, 32, 2.0, 4, Device::CPU, coded_o);
  Tensor a, b, ta, tb;
  plain2.generate(5, 0, 4, &a, &ta);
  coded2.generate(5, 0, 4, &b, &tb);
  EXPECT_NE(a.to_vector(), b.to_vector());
  EXPECT_EQ(ta.to_vector(), tb.to_vector());

  TrainConfig cfg;
  cfg.set("task", "upscale");
  cfg.set("jpeg", "60-90");
  cfg.set("jpeg-share", "0.5");
  EXPECT_EQ(cfg.jpeg_min, 60);
  EXPECT_EQ(cfg.jpeg_max, 90);
  EXPECT_NO_THROW(cfg.validate());
  TrainConfig round;
  for (const auto& [k, v] : cfg.items()) round.set(k, v);
  EXPECT_EQ(round.to_json(), cfg.to_json());
  cfg.set("jpeg", "75");
  EXPECT_EQ(cfg.jpeg_min, 75);
  EXPECT_EQ(cfg.jpeg_max, 75);
  EXPECT_THROW(cfg.set("jpeg", "90-60"), Error);
  EXPECT_THROW(cfg.set("jpeg", "0-50"), Error);
  EXPECT_THROW(cfg.set("jpeg", "high"), Error);
  cfg.set("jpeg-share", "0");
  EXPECT_THROW(cfg.validate(), Error);
  cfg.set("jpeg-share", "1");
  cfg.set("back-project", "on");
  EXPECT_THROW(cfg.validate(), Error);  // back-projection would give the artefacts back
  TrainConfig r;
  r.set("jpeg", "50");
  EXPECT_THROW(r.validate(), Error);  // the restorer has its own damage
}

// A checkpoint is also a model: every reader (upscale, eval-upscale, --init, --holdout-from)
// takes it, so a run can be evaluated while it trains; the model file it will export, the same.
TEST(Upscaler, ACheckpointReadsAsTheModelItHolds) {
  TrainConfig c;
  c.task = Task::Upscale, c.filters = {8, 8}, c.kernels = {3, 3, 3}, c.unshuffle = 2, c.factor = 3, c.patch = 36;
  c.batch = 2, c.steps = 2, c.seed = 5, c.holdout = 0.25;
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2)};
  UpscalerTrainer t(c, imgs, Device::CPU);
  t.step(nullptr);
  t.step(nullptr);
  const std::string ckpt = ::testing::TempDir() + "/up_ckpt.safetensors", model = ::testing::TempDir() + "/up_model.safetensors";
  t.save_checkpoint(ckpt, {{"held_out", "00000000000000ff\n"}});
  t.export_model(model, {{"train_config", c.to_json()}});
  double f_ckpt = 0, f_model = 0;
  const Upscaler a = load_upscaler(ckpt, Device::CPU, &f_ckpt), b = load_upscaler(model, Device::CPU, &f_model);
  EXPECT_EQ(a.config().describe(), "2x2:8@3x2-16@3");
  EXPECT_EQ(a.config().describe(), b.config().describe());
  EXPECT_EQ(f_ckpt, 3.0);
  EXPECT_EQ(f_ckpt, f_model);
  EXPECT_EQ(a.params().data().to_vector(), b.params().data().to_vector());
  EXPECT_NE(a.params().data().to_vector(), Upscaler(a.config(), 5).params().data().to_vector());  // trained, not fresh
  const SafeTensors view = load_model_file(ckpt);
  EXPECT_EQ(view.metadata.at("steps"), "2");
  EXPECT_EQ(holdout_keys(ckpt), std::set<uint64_t>{0xff});
  TrainedSplit split;
  ASSERT_TRUE(trained_split(ckpt, &split));
  EXPECT_EQ(split.seed, 5u);
  EXPECT_EQ(split.fraction, 0.25);
  EXPECT_TRUE(split.has_keys);
  EXPECT_THROW(load_restorer(ckpt, Device::CPU), Error);  // an upscaler's checkpoint is no restorer
}

// The upscaler's training on the device (patch cutting, interpolation, space-to-depth, the
// back-projected loss, AdamW) follows the CPU step for step; bounds as for the restorer
// (test_train.cpp).
TEST(Upscaler, TrainingOnCudaFollowsTheCpu) {
  PA_SKIP_WITHOUT_CUDA();
  TrainConfig c;
  c.task = Task::Upscale, c.filters = {8, 8}, c.kernels = {3, 3, 3}, c.unshuffle = 2, c.patch = 32, c.batch = 4, c.steps = 5;
  c.back_project = true, c.augment = Augment::Dihedral, c.sampling = Sampling::Area, c.seed = 6, c.warmup = 2;
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 40, 3)};
  UpscalerTrainer cpu(c, imgs, Device::CPU), gpu(c, imgs, Device::CUDA);
  for (int i = 0; i < 5; ++i) {
    StepLog a, b;
    cpu.step(&a);
    gpu.step(&b);
    EXPECT_NEAR(b.loss, a.loss, 1e-4 * a.loss) << "step " << i + 1;
  }
  const auto wc = cpu.model().params().data().to_vector(), wg = gpu.model().params().data().to(Device::CPU).to_vector();
  EXPECT_LE(max_abs_error(wg, wc), c.lr * 5) << "weights after 5 steps";
  EXPECT_NE(wc, Upscaler(cpu.model().config(), c.seed).params().data().to_vector());  // it trained
}

TEST(Upscaler, BackProjectedTrainingScoresLessThanTheRawOutput) {
  TrainConfig c;
  c.task = Task::Upscale, c.filters = {8, 8}, c.kernels = {3, 3, 3}, c.unshuffle = 2, c.patch = 32, c.batch = 4, c.steps = 2;
  c.loss = LossWeights{{1.0, 0.0, 0.0, 0.0}}, c.seed = 4;
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2)};
  StepLog raw, projected;
  UpscalerTrainer(c, imgs, Device::CPU).step(&raw);
  c.back_project = true;
  UpscalerTrainer(c, imgs, Device::CPU).step(&projected);
  // an untrained model is bicubic: its block means miss the target's, and projecting removes that
  // part of the error (the rest is orthogonal to it)
  EXPECT_LT(projected.terms[0], 0.97 * raw.terms[0]);  // 0.0129 -> 0.0120 here
  EXPECT_GT(projected.terms[0], 0.0);
  c.factor = 1.5;
  EXPECT_THROW(c.validate(), Error);  // not a whole factor
  EXPECT_NO_THROW((c.factor = 3, c.patch = 36, c.validate()));  // 6 px: two 3 px blocks
  c.factor = 4, c.patch = 32;
  try {
    c.validate();
    FAIL() << "a margin of 6 px at x4 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a whole number of 4 px blocks"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.set("back-project", "maybe"), Error);
}

TEST(Upscaler, AGrownUpscalerComputesWhatItGrewFrom) {
  const Upscaler from = busy(blocks(), 3);
  UpscalerConfig deeper = blocks();
  deeper.filters = {8, 8, 8, 8};
  deeper.kernels = {3, 3, 3, 3, 3};
  Upscaler grown(deeper, 9);
  ASSERT_TRUE(grow_upscaler(grown.params(), deeper, from, "from"));
  Tensor x = Tensor::empty({2, 40, 40, 4});
  for (int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = float(kernels::uniform01(5, 0, uint64_t(k)));
  const auto a = from.forward(x).to_vector(), b = grown.forward(x).to_vector();  // 28 and 20 px: 2 blocks less each side
  for (int i = 0; i < 2; ++i)
    for (int y = 0; y < 20; ++y)
      for (int c = 0; c < 20 * 4; ++c)
        ASSERT_NEAR(b[size_t(((i * 20 + y) * 20) * 4 + c)], a[size_t(((i * 28 + y + 4) * 28 + 4) * 4 + c)], 1e-5);
  UpscalerConfig uneven = deeper;  // the new layers must keep the last hidden width
  uneven.filters = {8, 8, 16, 8};
  EXPECT_FALSE(grow_upscaler(Upscaler(uneven, 1).params(), uneven, from, "from"));
  EXPECT_FALSE(grow_upscaler(grown.params(), blocks(), from, "from"));  // the same shape
  UpscalerConfig narrower = blocks();
  narrower.filters = {8, 4};
  EXPECT_FALSE(grow_upscaler(Upscaler(narrower, 1).params(), narrower, from, "from"));
}

// Wider (more filters per layer), and wider and deeper at once: the old filters sit in the first
// channels and ignore the new ones, the new filters start random, and the last convolution
// ignores them, so the output is unchanged; then training moves the new filters' weights.
TEST(Upscaler, AWidenedUpscalerComputesWhatItGrewFromAndTrainsItsNewFilters) {
  const Upscaler from = busy(blocks(), 3);  // 2x2:8@3x2-16@3
  Tensor x = Tensor::empty({2, 40, 40, 4});
  for (int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = float(kernels::uniform01(5, 0, uint64_t(k)));
  const auto a = from.forward(x).to_vector();  // 28 x 28
  for (const auto& [filters, kernels] : std::vector<std::pair<std::vector<int>, std::vector<int>>>{
           {{12, 8}, {3, 3, 3}}, {{12, 16}, {3, 3, 3}}, {{8, 16, 16}, {3, 3, 3, 3}}}) {
    UpscalerConfig c = blocks();
    c.filters = filters, c.kernels = kernels;
    Upscaler grown(c, 9);
    ASSERT_TRUE(grow_upscaler(grown.params(), c, from, "from")) << c.describe();
    const auto b = grown.forward(x).to_vector();
    const int s = 28 - 4 * int(filters.size() - 2), off = (28 - s) / 2;
    ASSERT_EQ(b.size(), size_t(2 * s * s * 4)) << c.describe();
    for (int i = 0; i < 2; ++i)
      for (int y = 0; y < s; ++y)
        for (int q = 0; q < s * 4; ++q)
          ASSERT_NEAR(b[size_t(((i * s + y) * s) * 4 + q)], a[size_t(((i * 28 + y + off) * 28 + off) * 4 + q)], 1e-5)
              << c.describe();
    // the new filters are random, not zero (else they could never learn: their gradient would be 0)
    const Tensor w0 = grown.params().param("conv0.weight");
    double new_rows = 0;
    for (int64_t k = 8 * 9 * 16; k < w0.numel(); ++k) new_rows += std::abs(double(w0.data<float>()[k]));
    if (filters[0] > 8) {
      EXPECT_GT(new_rows, 0.0) << c.describe();
    }
  }
  // through the trainer: --init from a narrower model's file, then a step moves the new weights
  const std::string path = ::testing::TempDir() + "/narrow_upscaler.safetensors";
  save_upscaler(path, from, 2.0, {});
  TrainConfig cfg;
  cfg.task = Task::Upscale, cfg.filters = {12, 8}, cfg.kernels = {3, 3, 3}, cfg.unshuffle = 2, cfg.patch = 32, cfg.batch = 4;
  cfg.init = path, cfg.lr = 1e-3, cfg.warmup = 0;
  std::vector<Sprite> images{art(64, 64, 1), art(48, 56, 2)};
  UpscalerTrainer t(cfg, images, Device::CPU);
  const auto before = t.model().params().param("conv1.weight").to_vector();
  t.step(nullptr);
  const auto after = t.model().params().param("conv1.weight").to_vector();
  double moved = 0;  // conv1's weights on conv0's new filters (inputs 8..11), zero at the start
  for (size_t k = 0; k < before.size(); ++k)
    if (k % 12 >= 8) {
      EXPECT_EQ(before[k], 0.0);
      moved += std::abs(after[k] - before[k]);
    }
  EXPECT_GT(moved, 0.0);
}

// Pixel (x, y) of patch i of [n, S, S, 4] seen through flip/transpose t (bit 2 transposes, bit 0
// flips x, bit 1 flips y), as the sampler defines it.
const double* through(const std::vector<double>& v, int S, int i, int t, int x, int y) {
  int u = x, w = y;
  if (t & 1) u = S - 1 - u;
  if (t & 2) w = S - 1 - w;
  if (t & 4) std::swap(u, w);
  return &v[size_t(((i * S + w) * S + u) * 4)];
}

TEST(Upscaler, DihedralPatchesAreTheSamePlacesFlippedWithTheirTargets) {
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  const int n = 48, P = 32, T = 24;
  PatchSampler plain(imgs, P, 1.0, 4, Device::CPU), flipped(imgs, P, 1.0, 4, Device::CPU, {false, true});
  Tensor x0, t0, x1, t1;
  plain.generate(5, 10, n, &x0, &t0);
  flipped.generate(5, 10, n, &x1, &t1);
  const auto xp = x0.to_vector(), xf = x1.to_vector(), tf = t1.to_vector();
  std::set<int> seen;
  int changed = 0;
  for (int i = 0; i < n; ++i) {
    // exactly one of the eight views of the plain patch is the flipped patch (the art is not symmetric)
    int match = -1, matches = 0;
    for (int t = 0; t < 8; ++t) {
      bool all = true;
      for (int y = 0; y < P && all; ++y)
        for (int x = 0; x < P && all; ++x) all = std::equal(through(xp, P, i, t, x, y), through(xp, P, i, t, x, y) + 4, &xf[size_t(((i * P + y) * P + x) * 4)]);
      if (all) match = t, ++matches;
    }
    ASSERT_EQ(matches, 1) << "patch " << i;
    seen.insert(match);
    changed += match != 0;
    // the target is the centre of the flipped patch, not of the plain one
    for (int y = 0; y < T; ++y)
      for (int x = 0; x < T; ++x)
        for (int c = 0; c < 4; ++c)
          ASSERT_EQ(tf[size_t(((i * T + y) * T + x) * 4 + c)], xf[size_t(((i * P + y + 4) * P + x + 4) * 4 + c)]);
  }
  EXPECT_EQ(seen.size(), 8u);  // all eight ways occur in 48 draws
  EXPECT_GT(changed, n / 2);
}

TEST(Upscaler, PatchesByAreaDrawEveryPlaceEquallyOften) {
  // one 200x200 image (red 200) and ten 40x40 ones (red 10 + i): with 32 px patches the large one
  // holds 169^2 = 28561 of the 29371 patch positions (97%), yet is one image in eleven
  auto flat = [](int size, uint8_t red) {
    Sprite s;
    s.width = s.height = size;
    s.rgba.assign(size_t(size) * size * 4, 255);
    for (size_t k = 0; k < s.rgba.size(); k += 4) s.rgba[k] = red;
    return s;
  };
  std::vector<Sprite> imgs{flat(200, 200)};
  for (int i = 0; i < 10; ++i) imgs.push_back(flat(40, uint8_t(10 + i)));
  const int n = 400;
  auto count_large = [&](bool by_area, std::set<int>* reds) {
    PatchSampler s(imgs, 32, 1.0, 4, Device::CPU, {by_area, false});
    Tensor x, t;
    s.generate(3, 0, n, &x, &t);
    const auto v = x.to_vector();
    int large = 0;
    for (int i = 0; i < n; ++i) {
      const int red = int(std::lround(v[size_t(i) * 32 * 32 * 4] * 255));
      large += red == 200;
      reds->insert(red);
    }
    return large;
  };
  std::set<int> by_image, by_area;
  const int li = count_large(false, &by_image), la = count_large(true, &by_area);
  EXPECT_NEAR(li, n / 11, n / 20) << "each image equally often";
  EXPECT_NEAR(la, n * 28561 / 29371, n / 40) << "each place equally often";
  EXPECT_EQ(by_image.size(), 11u);  // every image is reachable both ways
  EXPECT_GE(by_area.size(), 5u);    // 97% of 400 draws leave about 11 for the ten small images
}

TEST(Upscaler, CudaResizeMatchesCpuForEveryFilter) {
  PA_SKIP_WITHOUT_CUDA();
  std::vector<double> v(size_t(2) * 37 * 29 * 4);
  for (size_t k = 0; k < v.size(); ++k) v[k] = kernels::uniform01(5, k, 0);
  const Tensor x = Tensor::from_vector(v, {2, 37, 29, 4}), xg = x.to(Device::CUDA);
  for (ResizeFilter f : {ResizeFilter::Bilinear, ResizeFilter::Bicubic, ResizeFilter::Area, ResizeFilter::Lanczos,
                         ResizeFilter::BicubicAntialiased})
    for (const auto& [h, w] : {std::pair{12, 10}, std::pair{9, 7}, std::pair{50, 61}}) {
      const auto c = resize_images(x, h, w, f).to_vector(), g = resize_images(xg, h, w, f).to_vector();
      ASSERT_EQ(c.size(), g.size());
      for (size_t k = 0; k < c.size(); ++k) ASSERT_NEAR(g[k], c[k], 1e-5) << "filter " << int(f) << " to " << h << "x" << w << " at " << k;
    }
}

TEST(Upscaler, CudaPatchesMatchCpu) {
  PA_SKIP_WITHOUT_CUDA();
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  for (bool dihedral : {false, true}) {
    const PatchOptions o{dihedral, dihedral};  // by area too
    PatchSampler c(imgs, 32, 1.0, 4, Device::CPU, o), g(imgs, 32, 1.0, 4, Device::CUDA, o);
    Tensor xc, tc, xg, tg;
    c.generate(7, 3, 16, &xc, &tc);
    g.generate(7, 3, 16, &xg, &tg);
    // the same places and flips: integer pixels over 255, premultiplied by 0 or 1, identical
    EXPECT_EQ(xg.to_vector(), xc.to_vector()) << (dihedral ? "dihedral" : "plain");
    EXPECT_EQ(tg.to_vector(), tc.to_vector()) << (dihedral ? "dihedral" : "plain");
  }
}

TEST(Upscaler, CudaJpegdPatchesMatchCpu) {
  PA_SKIP_WITHOUT_CUDA();
  std::vector<Sprite> imgs{art(80, 70, 1), art(64, 90, 2), art(50, 50, 3)};
  PatchOptions o;
  o.jpeg_min = 30, o.jpeg_max = 95, o.jpeg_share = 0.75f;
  for (double f : {1.0, 2.5}) {
    PatchSampler c(imgs, 32, f, 4, Device::CPU, o), g(imgs, 32, f, 4, Device::CUDA, o);
    Tensor xc, tc, xg, tg;
    c.generate(11, 2, 16, &xc, &tc);
    g.generate(11, 2, 16, &xg, &tg);
    const auto a = xc.to_vector(), b = xg.to_vector();
    double worst = 0;
    for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
    EXPECT_LE(worst, 1.5 / 255) << "factor " << f;  // a level where a DCT rounds the other way
    EXPECT_EQ(tg.to_vector(), tc.to_vector());
  }
}

// `upscale`'s per-image pipeline: the network's output as Upscaler::upscale gives it, the
// pixel-art mode as scale_pixel_art gives it, and an output over the budget refused by name
// before any work.
TEST(UpscaleImage, RunsTheNetworkOrThePixelArtModeAndRefusesOversizedOutputsByName) {
  const Sprite img = art(20, 16, 5);
  const Upscaler model = busy(small(), 7);
  UpscaleImageOptions o;
  o.factor = 2;
  const Sprite net = upscale_image(img, "in.png", o, &model, nullptr, Device::CPU);
  EXPECT_EQ(net.rgba, model.upscale(img, 2.0, o.network).rgba);
  o.pixel_art = PixelArtMode::Nearest;
  o.network.passes = 2;
  for (bool smooth : {true, false}) {
    o.smooth_edges = smooth;
    EXPECT_EQ(upscale_image(img, "in.png", o, nullptr, nullptr, Device::CPU).rgba, scale_pixel_art(img, 4, smooth).rgba);
  }
  o.max_pixels = 20 * 16 * 16 - 1;  // one pixel short of the x4 output
  try {
    upscale_image(img, "in.png", o, nullptr, nullptr, Device::CPU);
    FAIL() << "an output over the budget was made";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find("in.png: the output would be 80x64 pixels"), std::string::npos) << e.what();
  }
  o.pixel_art = PixelArtMode::Off, o.network.passes = 1, o.max_pixels = 40 * 32 - 1;
  EXPECT_THROW(upscale_image(img, "in.png", o, &model, nullptr, Device::CPU), Error);
}

// `upscale --denoise`: the image passes through the denoiser (a model trained at factor 1) first,
// then the upscaler; at factor 1 the denoising is all that is done. The progress line counts both
// and ends at 1.
TEST(UpscaleImage, ADenoiserRunsFirstAndAloneAtFactorOne) {
  const Sprite img = art(20, 16, 5);
  const Upscaler model = busy(small(), 7), denoiser = busy(blocks(), 9, 3.0);
  UpscaleImageOptions o;
  o.factor = 2;
  o.denoiser = &denoiser;
  std::vector<double> seen;
  o.network.progress = [&](double f) { seen.push_back(f); };
  const Sprite clean = denoiser.upscale(img, 1.0);
  ASSERT_NE(clean.rgba, img.rgba) << "the denoiser changes nothing: the test cannot tell it ran";
  const Sprite both = upscale_image(img, "in.png", o, &model, nullptr, Device::CPU);
  EXPECT_EQ(both.rgba, model.upscale(clean, 2.0).rgba);
  EXPECT_NE(both.rgba, model.upscale(img, 2.0).rgba);
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_NEAR(seen.back(), 1.0, 1e-9);
  o.factor = 1;
  EXPECT_EQ(upscale_image(img, "in.png", o, nullptr, nullptr, Device::CPU).rgba, clean.rgba);
  o.network.passes = 2;
  EXPECT_EQ(upscale_image(img, "in.png", o, nullptr, nullptr, Device::CPU).rgba, denoiser.upscale(img, 1.0, {.passes = 2}).rgba);
}

}  // namespace
}  // namespace pixelart::testing
