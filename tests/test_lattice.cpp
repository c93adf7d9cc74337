// tests/test_lattice.cpp — finding the pixel grid (include/pixelart/lattice.h) on images rendered
// here with a known pitch and phase, and resampling onto it. OpenCV's JPEG and resampling on top
// of these: tests/test_synth_opencv.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include "pixelart/lattice.h"
#include "pixelart/restore.h"
#include "rng.h"

namespace pixelart {
namespace {

// A sheet of procedural sprites, cols x rows of `size` pixels.
Sprite sheet(uint64_t seed, int size, int cols, int rows) {
  Sprite s;
  s.width = size * cols, s.height = size * rows;
  s.rgba.assign(size_t(s.width) * s.height * 4, 0);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const Sprite g = generate_sprite(seed + uint64_t(r * cols + c), size);
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) std::copy(g.px(x, y), g.px(x, y) + 4, s.px(c * size + x, r * size + y));
    }
  return s;
}

enum class Bg { Transparent, Flat, Checker, Noise };

// The sprite drawn with cells of (px, py) input pixels, cell (0, 0)'s corner at (ox, oy), by
// nearest neighbour at each pixel's centre, on a background (a checkerboard of 8-pixel squares
// aligned with the image, as image search results show "transparency"), in a W x H image.
Sprite render(const Sprite& spr, double px, double py, double ox, double oy, int W, int H, Bg bg, uint64_t seed = 7) {
  Sprite out;
  out.width = W, out.height = H;
  out.rgba.resize(size_t(W) * H * 4);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int cx = int(std::floor((x + 0.5 - ox) / px)), cy = int(std::floor((y + 0.5 - oy) / py));
      uint8_t p[4] = {0, 0, 0, 0};
      if (cx >= 0 && cy >= 0 && cx < spr.width && cy < spr.height) std::copy(spr.px(cx, cy), spr.px(cx, cy) + 4, p);
      uint8_t* o = out.px(x, y);
      if (bg == Bg::Transparent) {
        std::copy(p, p + 4, o);
        continue;
      }
      double b[3] = {90, 140, 200};
      if (bg == Bg::Checker) b[0] = b[1] = b[2] = ((x / 8 + y / 8) & 1) ? 204 : 255;
      if (bg == Bg::Noise)
        for (int c = 0; c < 3; ++c) b[c] = 128 + 40 * std::sin(x * 0.05 + c) * std::cos(y * 0.04) + 6 * (kernels::uniform01(seed, uint64_t(y * W + x), uint64_t(c)) - 0.5);
      const double a = p[3] / 255.0;
      for (int c = 0; c < 3; ++c) o[c] = uint8_t(std::clamp(std::lround(a * p[c] + (1 - a) * b[c]), 0L, 255L));
      o[3] = 255;
    }
  return out;
}

// An opaque W x H image whose colour at (x, y) `paint` writes (three channels).
template <class Paint>
Sprite opaque_image(int W, int H, Paint paint) {
  Sprite img;
  img.width = W, img.height = H;
  img.rgba.resize(size_t(W) * H * 4);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      paint(x, y, img.px(x, y));
      img.px(x, y)[3] = 255;
    }
  return img;
}

// Every true cell boundary (origin + k pitch, k = 0..cells) lies within `tol` pitches of a
// boundary of the found axis, or within the half pixel that rendering at pixel centres moves it.
void expect_aligned(const AxisLattice& a, double pitch, double origin, int cells, double tol, const char* axis) {
  for (int k = 0; k <= cells; ++k) {
    const double b = origin + k * pitch;
    double d = std::fmod(b - a.origin, a.pitch);
    d = std::min(std::abs(d), a.pitch - std::abs(d));
    EXPECT_LT(d, std::max(tol * pitch, 0.55)) << axis << " boundary " << k << " at " << b << ": found pitch " << a.pitch << ", origin " << a.origin;
  }
}

struct Case {
  double px, py, ox, oy;
  int margin;
  Bg bg;
};

TEST(Lattice, FindsPitchPhaseAndSizeOfSharpUpscalesAtAnyScale) {
  // non-integer scales, scale differences between the axes, sub-pixel offsets, margins
  const Case cases[] = {{16, 16, 0, 0, 0, Bg::Flat},          {7.3, 7.3, 2.1, -1.4, 1, Bg::Flat},
                        {3.0, 3.0, 0.6, 0.4, 0, Bg::Transparent}, {11.5, 12.0, -3.9, 4.2, 2, Bg::Noise},
                        {23.7, 23.1, 5.5, -9.0, 1, Bg::Checker},  {5.25, 5.25, 1.9, 2.2, 2, Bg::Checker},
                        {2.0, 2.0, 0, 0, 0, Bg::Flat},            {31.0, 30.2, -12, 3, 0, Bg::Flat}};
  int n = 0;
  for (const Case& c : cases) {
    const Sprite spr = sheet(100 + uint64_t(n++), 16, 2, 1);
    const int cw = spr.width + 2 * c.margin, ch = spr.height + 2 * c.margin;
    const int W = int(std::lround(cw * c.px)), H = int(std::lround(ch * c.py));
    const Sprite img = render(spr, c.px, c.py, c.ox + c.margin * c.px, c.oy + c.margin * c.py, W, H, c.bg);
    const Lattice l = find_lattice(img);
    SCOPED_TRACE(testing::Message() << "pitch " << c.px << " x " << c.py << ": found " << l.describe());
    EXPECT_TRUE(l.found) << l.why;
    EXPECT_NEAR(l.x.pitch, c.px, 0.01 * c.px);
    EXPECT_NEAR(l.y.pitch, c.py, 0.01 * c.py);
    expect_aligned(l.x, c.px, c.ox, cw, 0.1, "x");
    expect_aligned(l.y, c.py, c.oy, ch, 0.1, "y");
    EXPECT_EQ(l.x.cells, cw);
    EXPECT_EQ(l.y.cells, ch);
    EXPECT_GT(l.confidence, kMinCoherence);
  }
}

// A crop that cuts both end cells, each still covering over half its pitch (0.6 here, 1.2 cells
// together): both are cells of the image. Only two cut cells that together make about one (an
// image of whole cells whose phase came out near half a cell) lose the smaller.
TEST(Lattice, ACropThatCutsBothEndCellsKeepsEachThatCoversOverHalf) {
  const Sprite spr = sheet(300, 16, 2, 1);
  for (const double pitch : {20.0, 13.0}) {
    const double cut = 0.4 * pitch;
    const int W = int(std::lround(spr.width * pitch - 2 * cut)), H = int(std::lround(spr.height * pitch - 2 * cut));
    const Lattice l = find_lattice(render(spr, pitch, pitch, -cut, -cut, W, H, Bg::Flat));
    SCOPED_TRACE(testing::Message() << "pitch " << pitch << ": found " << l.describe());
    ASSERT_TRUE(l.found) << l.why;
    EXPECT_EQ(l.x.cells, spr.width);
    EXPECT_EQ(l.y.cells, spr.height);
  }
}

// Pixel art of 2:1 pixels keeps them: the long axis's in-between teeth at the short axis's period
// hold no edges, so the square-pixel rule does not halve its pitch.
TEST(Lattice, TallAndWidePixelsComeOutSquareUnlessTheScaleIsGiven) {
  // art of 2:1 pixels cannot be told from square pixels drawn in two-cell strokes: without a hint
  // each tall or wide pixel becomes two equal square cells; --scale SxT keeps them
  const Sprite spr = sheet(310, 16, 2, 2);
  for (const auto& [px, py] : {std::pair{12.0, 6.0}, std::pair{5.0, 10.0}, std::pair{7.0, 14.0}}) {
    const int W = int(std::lround(spr.width * px)), H = int(std::lround(spr.height * py));
    const Sprite img = render(spr, px, py, 0, 0, W, H, Bg::Flat);
    const Lattice l = find_lattice(img);
    SCOPED_TRACE(testing::Message() << "pitch " << px << " x " << py << ": found " << l.describe());
    ASSERT_TRUE(l.found) << l.why;
    const double p = std::min(px, py);
    EXPECT_NEAR(l.x.pitch, p, 0.01 * p);
    EXPECT_NEAR(l.y.pitch, p, 0.01 * p);
    EXPECT_EQ(l.x.cells, spr.width * int(std::lround(px / p)));
    EXPECT_EQ(l.y.cells, spr.height * int(std::lround(py / p)));
    LatticeHints scale;
    scale.pitch_x = px, scale.pitch_y = py;
    const Lattice hinted = find_lattice(img, scale);
    EXPECT_EQ(hinted.x.cells, spr.width) << hinted.describe();
    EXPECT_EQ(hinted.y.cells, spr.height) << hinted.describe();
  }
}

TEST(Lattice, SurvivesBlurAndNoise) {
  // a 3-tap blur (what a resampling chain leaves) on every row and column, then noise
  const Sprite spr = sheet(7, 16, 2, 2);
  const double p = 9.6;
  const int W = int(std::lround(32 * p));
  Sprite img = render(spr, p, p, 1.7, 3.1, W, W, Bg::Flat);
  Sprite blurred = img;
  for (int y = 1; y < W - 1; ++y)
    for (int x = 1; x < W - 1; ++x)
      for (int c = 0; c < 3; ++c) {
        double s = 0;
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) s += img.px(x + dx, y + dy)[c];
        s = s / 9 + 10 * (kernels::uniform01(3, uint64_t(y * W + x), uint64_t(c)) - 0.5);
        blurred.px(x, y)[c] = uint8_t(std::clamp(std::lround(s), 0L, 255L));
      }
  const Lattice l = find_lattice(blurred);
  EXPECT_TRUE(l.found) << l.why;
  EXPECT_NEAR(l.x.pitch, p, 0.01 * p) << l.describe();
  EXPECT_NEAR(l.y.pitch, p, 0.01 * p) << l.describe();
  expect_aligned(l.x, p, 1.7, 32, 0.1, "x");
  expect_aligned(l.y, p, 3.1, 32, 0.1, "y");
}

TEST(Lattice, TheSpritesGridUnderTheLastResamplingsGrid) {
  // a 2 x 2 sheet at 7.7 pixels a cell, shrunk to half (a box filter), then enlarged exactly
  // twice by nearest neighbour: a perfect lattice of 2 pixels whose cells are the shrunk image;
  // the sprite's grid of 7.7 is under it
  const Sprite spr = sheet(31, 16, 2, 2);
  const double p = 7.7;
  const int W = 2 * int(std::lround(32 * p / 2));
  const Sprite img = render(spr, p, p, 0.4, 1.1, W, W, Bg::Flat);
  Sprite half;
  half.width = half.height = W / 2;
  half.rgba.resize(size_t(W / 2) * (W / 2) * 4);
  for (int y = 0; y < W / 2; ++y)
    for (int x = 0; x < W / 2; ++x)
      for (int c = 0; c < 4; ++c)
        half.px(x, y)[c] = uint8_t((img.px(2 * x, 2 * y)[c] + img.px(2 * x + 1, 2 * y)[c] + img.px(2 * x, 2 * y + 1)[c] + img.px(2 * x + 1, 2 * y + 1)[c] + 2) / 4);
  Sprite twice = img;
  for (int y = 0; y < W; ++y)
    for (int x = 0; x < W; ++x) std::copy(half.px(x / 2, y / 2), half.px(x / 2, y / 2) + 4, twice.px(x, y));
  const Lattice l = find_lattice(twice);
  EXPECT_TRUE(l.found) << l.why;
  EXPECT_NEAR(l.x.pitch, p, 0.02 * p) << l.describe();
  EXPECT_NEAR(l.y.pitch, p, 0.02 * p) << l.describe();
  EXPECT_EQ(l.x.cells, 32) << l.describe();
  EXPECT_EQ(l.y.cells, 32) << l.describe();
  // and a sheet truly drawn at 2 pixels a cell stays so: its sprites, 16 cells apart, are not a
  // coarser grid
  const Sprite fine_sheet = sheet(41, 16, 4, 4);
  const Lattice f = find_lattice(render(fine_sheet, 2, 2, 0, 0, 128, 128, Bg::Flat));
  EXPECT_NEAR(f.x.pitch, 2.0, 0.02) << f.describe();
  EXPECT_NEAR(f.y.pitch, 2.0, 0.02) << f.describe();
  EXPECT_EQ(f.x.cells, 64) << f.describe();
}

TEST(Lattice, ACheckerboardBackgroundIsNotTheGrid) {
  // sprite cells of 12.4 pixels over a checkerboard of 8-pixel squares: the squares' edges are
  // strong and perfectly periodic, but they are background
  const Sprite spr = sheet(21, 16, 1, 1);
  const Sprite img = render(spr, 12.4, 12.4, 12.4 * 2 + 3, 12.4 * 2 - 2, int(20 * 12.4), int(20 * 12.4), Bg::Checker);
  const Lattice l = find_lattice(img);
  EXPECT_NEAR(l.x.pitch, 12.4, 0.15) << l.describe();
  EXPECT_NEAR(l.y.pitch, 12.4, 0.15) << l.describe();
  EXPECT_EQ(l.x.cells, 20);
}

TEST(Lattice, SpecksInTheBackgroundDoNotMakeAGrid) {
  // a flat background with one-pixel specks in a regular lattice of 5 pixels (where JPEG's ringing
  // pushes a pixel past the background's tolerance at a checkerboard's corners, say) under a
  // small sprite of 11.3-pixel cells: the specks are holes in the background, not edges (without
  // closing them, kLatticeClose, the lattice found was the specks', 5.00 x 5.00 px)
  const Sprite spr = sheet(41, 16, 1, 1);
  Sprite img = render(spr, 11.3, 11.3, 11.3 * 6 + 2, 11.3 * 6 - 3, int(28 * 11.3), int(28 * 11.3), Bg::Flat);
  for (int y = 3; y < img.height; y += 5)
    for (int x = 3; x < img.width; x += 5) {
      uint8_t* p = img.px(x, y);
      if (p[0] == 90 && p[1] == 140 && p[2] == 200) p[0] = 160, p[1] = 60, p[2] = 120;
    }
  const Lattice l = find_lattice(img);
  EXPECT_NEAR(l.x.pitch, 11.3, 0.15) << l.describe();
  EXPECT_NEAR(l.y.pitch, 11.3, 0.15) << l.describe();
  EXPECT_EQ(l.x.cells, 28) << l.describe();
}

TEST(Lattice, NoCredibleGridInAPaintingOrInJpegSeams) {
  // a smooth field (a painting, a photo) and a gradient whose only edges are 8x8 block seams
  Sprite field;
  field.width = 300, field.height = 200;
  field.rgba.resize(size_t(300) * 200 * 4);
  Sprite seams = field;
  for (int y = 0; y < 200; ++y)
    for (int x = 0; x < 300; ++x)
      for (int c = 0; c < 3; ++c) {
        const double v = 128 + 50 * std::sin(x * 0.031 * (c + 1) + y * 0.017) + 30 * std::cos(y * 0.05 - x * 0.011 * c) +
                         8 * (kernels::uniform01(9, uint64_t(y * 300 + x), uint64_t(c)) - 0.5);
        field.px(x, y)[c] = uint8_t(std::clamp(std::lround(v), 0L, 255L));
        seams.px(x, y)[c] = uint8_t(std::clamp(std::lround(100 + x * 0.3 + 3 * ((x / 8 + y / 8) % 3)), 0L, 255L));
        field.px(x, y)[3] = seams.px(x, y)[3] = 255;
      }
  for (const Sprite* s : {&field, &seams}) {
    const Lattice l = find_lattice(*s);
    EXPECT_FALSE(l.found) << l.describe();
    EXPECT_NE(l.why.find("no credible pixel grid"), std::string::npos) << l.why;
  }
}

TEST(Lattice, HintsOverrideWhatTheImageSays) {
  const Sprite spr = sheet(5, 16, 1, 1);
  const Sprite img = render(spr, 10.0, 10.0, 4.0, 0.0, 170, 160, Bg::Flat);  // 16 cells + margins
  LatticeHints scale;
  scale.pitch_x = scale.pitch_y = 10.0;
  const Lattice a = find_lattice(img, scale);
  EXPECT_TRUE(a.found);
  EXPECT_DOUBLE_EQ(a.x.pitch, 10.0);
  expect_aligned(a.x, 10.0, 4.0, 16, 0.05, "x");
  LatticeHints size;
  size.cells_x = 16, size.cells_y = 16;
  const Lattice b = find_lattice(img, size);
  EXPECT_EQ(b.x.cells, 16);
  EXPECT_EQ(b.y.cells, 16);
  EXPECT_NEAR(b.x.pitch, 10.0, 0.1);
  expect_aligned(b.x, 10.0, 4.0, 16, 0.1, "x");
  LatticeHints longer;
  longer.cells_long = 16;
  const Lattice c = find_lattice(img, longer);
  EXPECT_EQ(c.x.cells, 16);  // the longer side
}

TEST(Lattice, FitAxisOnAProfileOfKnownBoundaries) {
  // boundaries every 6.5 pixels from 2.25, with random strengths; a harmonic (3.25) is as coherent
  const int n = 400;
  std::vector<double> D(n - 1, 0.0);
  for (int k = 0;; ++k) {
    const double b = 2.25 + k * 6.5;
    if (b >= n - 1) break;
    D[size_t(std::lround(b)) - 1] += 1 + 4 * kernels::uniform01(1, uint64_t(k), 0);
  }
  const AxisLattice a = fit_axis(D, n);
  EXPECT_NEAR(a.pitch, 6.5, 0.02);
  EXPECT_GT(a.coherence, 0.8);
}

TEST(Lattice, ResamplingPutsEachCellOnExactlyItsPixels) {
  // a sprite at 5.3 x 6.1 pixels per cell, offset; on the canonical lattice of 16 pixels, the
  // middle 8 x 8 pixels of every cell are the sprite pixel's colour
  const Sprite spr = sheet(11, 16, 1, 1);
  const double px = 5.3, py = 6.1, ox = 1.7, oy = -2.2;
  const Sprite img = render(spr, px, py, ox, oy, int(16 * px + ox), int(16 * py + oy + 1), Bg::Transparent);
  Lattice l;
  l.x = {px, ox, 16, 1}, l.y = {py, oy, 16, 1};
  const Sprite c = resample_to_lattice(img, l, 16);
  ASSERT_EQ(c.width, 256);
  ASSERT_EQ(c.height, 256);
  int wrong = 0;
  for (int cy = 0; cy < 16; ++cy)
    for (int cx = 0; cx < 16; ++cx)
      for (int y = cy * 16 + 4; y < cy * 16 + 12; ++y)
        for (int x = cx * 16 + 4; x < cx * 16 + 12; ++x) {
          if (oy + cy * py < 0) continue;  // the first row is cut by the image's top edge
          const uint8_t* want = spr.px(cx, cy);
          const uint8_t* got = c.px(x, y);
          if (want[3] == 0 ? got[3] != 0 : !std::equal(want, want + 4, got)) ++wrong;
        }
  EXPECT_EQ(wrong, 0);
}

TEST(Lattice, ResamplingAveragesWhenShrinkingAndNeverReadsHiddenColour) {
  // two cells of 32 pixels onto cells of 16: each output pixel the mean of a 2x2 block; a
  // transparent pixel's stored colour must not bleed into its neighbours
  Sprite img;
  img.width = 64, img.height = 32;
  img.rgba.assign(size_t(64) * 32 * 4, 0);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = img.px(x, y);
      if (x < 32) p[0] = 200, p[1] = 100, p[2] = 50, p[3] = 255;
      else p[0] = 255, p[1] = 255, p[2] = 255, p[3] = 0;  // colour hidden under alpha 0
    }
  Lattice l;
  l.x = {32, 0, 2, 1}, l.y = {32, 0, 1, 1};
  const Sprite c = resample_to_lattice(img, l, 16);
  ASSERT_EQ(c.width, 32);
  EXPECT_EQ(c.px(3, 3)[0], 200);
  EXPECT_EQ(c.px(20, 3)[0], 0);
  EXPECT_EQ(c.px(20, 3)[3], 0);
}


TEST(Lattice, TheBackgroundFoundIsFlatOrACheckerboardAndNeverTheArt) {
  const Sprite spr = sheet(31, 16, 2, 1);
  // a flat background and a checkerboard: found, and safe to clear; the art is not in the mask
  for (Bg bg : {Bg::Flat, Bg::Checker}) {
    const Sprite img = render(spr, 8.3, 8.3, 8.3 * 2, 8.3 * 2, int(36 * 8.3), int(20 * 8.3), bg);
    const Background b = find_background(img);
    ASSERT_FALSE(b.mask.empty());
    EXPECT_EQ(b.colours, bg == Bg::Flat ? 1 : 2);
    EXPECT_TRUE(b.clear()) << "spread " << b.spread << ", share " << b.share;
    int art_masked = 0, art = 0;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        const int cx = int((x + 0.5 - 8.3 * 2) / 8.3), cy = int((y + 0.5 - 8.3 * 2) / 8.3);
        if (x + 0.5 < 8.3 * 2 || y + 0.5 < 8.3 * 2 || cx >= spr.width || cy >= spr.height || spr.px(cx, cy)[3] < 255) continue;
        ++art;
        art_masked += b.mask[size_t(y) * img.width + x];
      }
    EXPECT_GT(art, 1000);
    EXPECT_LT(art_masked, art / 50) << "art taken for background";
  }
  // a smooth noisy background: no dominant colour (or too spread to clear)
  EXPECT_FALSE(find_background(render(spr, 8.3, 8.3, 16.6, 16.6, 300, 166, Bg::Noise)).clear());
  // an image with transparency has its background already
  EXPECT_TRUE(find_background(render(spr, 8.3, 8.3, 16.6, 16.6, 300, 166, Bg::Transparent)).mask.empty());
  // an opaque texture filling the image: not a background to clear
  Sprite tex;
  tex.width = tex.height = 160;
  tex.rgba.resize(size_t(160) * 160 * 4);
  for (int y = 0; y < 160; ++y)
    for (int x = 0; x < 160; ++x) {
      const int v = ((x / 10 + y / 10) % 3) * 20 + 100;
      tex.px(x, y)[0] = uint8_t(v), tex.px(x, y)[1] = uint8_t(v / 2), tex.px(x, y)[2] = 40, tex.px(x, y)[3] = 255;
    }
  EXPECT_FALSE(find_background(tex).clear());
}

// With a noise scale (restore's clearing), a clean flat background takes only its own colour: a
// sprite's colour 0.08 from it stays (at the fixed 0.1 it went with the background); under noise
// (here up to 6 levels, as JPEG's) the tolerance widens with the border's spread, and the background is
// all cleared still.
TEST(Lattice, OnCleanArtTheBackgroundTakesOnlyItsOwnColour) {
  const Sprite img = opaque_image(96, 96, [](int x, int y, uint8_t* p) {
    const bool art = x >= 24 && x < 72 && y >= 24 && y < 72, near = art && x < 48;  // half the art near the backdrop
    p[0] = uint8_t(!art ? 90 : near ? 110 : 20), p[1] = uint8_t(!art ? 140 : near ? 160 : 30), p[2] = uint8_t(!art ? 200 : near ? 220 : 40);
  });
  auto masked = [&](const Background& b, int x0, int x1) {
    int n = 0;
    for (int y = 24; y < 72; ++y)
      for (int x = x0; x < x1; ++x) n += b.mask[size_t(y) * 96 + x];
    return n;
  };
  const Background fixed = find_background(img), scaled = find_background(img, 0.1, kRestoreNoiseScale);
  ASSERT_TRUE(fixed.clear() && scaled.clear());
  EXPECT_EQ(masked(fixed, 24, 48), 48 * 24);  // the near colour went with the backdrop
  EXPECT_EQ(masked(scaled, 24, 48), 0);       // now it stays
  EXPECT_EQ(masked(scaled, 48, 72), 0);
  EXPECT_EQ(scaled.share, double(96 * 96 - 48 * 48) / (96 * 96));
  Sprite grainy = img;
  for (size_t k = 0; k < grainy.rgba.size(); ++k)
    if (k % 4 != 3) grainy.rgba[k] = uint8_t(std::clamp(int(grainy.rgba[k]) + int(std::lround(12 * kernels::uniform01(9, k, 0) - 6)), 0, 255));
  const Background noisy = find_background(grainy, 0.1, kRestoreNoiseScale);
  ASSERT_TRUE(noisy.clear()) << noisy.spread;
  int bg_left = 0;
  for (int y = 0; y < 96; ++y)
    for (int x = 0; x < 96; ++x)
      if ((x < 16 || x >= 80 || y < 16 || y >= 80) && !noisy.mask[size_t(y) * 96 + x]) ++bg_left;
  EXPECT_EQ(bg_left, 0) << "the backdrop's noise left uncleared, spread " << noisy.spread;
}

TEST(Lattice, ASmoothNoiseBackgroundIsFoundAndNeverTheArt) {
  // A sheet on a smooth field whose three channels drift apart (no dominant colour, no line
  // between two colours: find_background leaves it), with grain: the fill from the border takes
  // the field and stops at the art.
  const Sprite spr = sheet(31, 16, 2, 1);
  const double p = 8.3, o = 16.6;
  const Sprite img = render(spr, p, p, o, o, int(36 * p), int(20 * p), Bg::Noise);
  ASSERT_FALSE(find_background(img).clear());
  const Lattice lat = find_lattice(img);
  ASSERT_TRUE(lat.found) << lat.why;
  const Background b = find_smooth_background(img, lat);
  ASSERT_TRUE(b.clear()) << "ratio " << b.lattice_ratio << ", share " << b.share;
  EXPECT_TRUE(b.smooth);
  EXPECT_LT(b.lattice_ratio, 1.5);
  int art = 0, art_masked = 0, ground = 0, ground_masked = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const int cx = int(std::floor((x + 0.5 - o) / p)), cy = int(std::floor((y + 0.5 - o) / p));
      const bool inside = cx >= 0 && cy >= 0 && cx < spr.width && cy < spr.height;
      const bool opaque = inside && spr.px(cx, cy)[3] == 255;
      const int m = b.mask[size_t(y) * img.width + x];
      (opaque ? art : ground)++;
      (opaque ? art_masked : ground_masked) += m;
    }
  EXPECT_GT(art, 1000);
  EXPECT_LT(art_masked, art / 50) << "art taken for background";
  EXPECT_GT(ground_masked, ground * 8 / 10) << "too little of the field found";
  // art that fills the image, faint or flat, is not a smooth background: its changes sit on the
  // lattice's boundaries
  Sprite tex = opaque_image(160, 160, [](int x, int y, uint8_t* q) {
    const int v = ((x / 10 + y / 10) % 3) * 8 + 100;
    q[0] = uint8_t(v), q[1] = uint8_t(v / 2), q[2] = 40;
  });
  const Lattice tl = find_lattice(tex, LatticeHints{0, 0, 0, 10, 10});
  const Background tb = find_smooth_background(tex, tl);
  EXPECT_TRUE(tb.mask.empty()) << "ratio " << tb.lattice_ratio << ", share " << tb.share;
  Sprite flat = opaque_image(160, 160, [](int, int, uint8_t* q) { q[0] = 90, q[1] = 20, q[2] = 40; });
  EXPECT_TRUE(find_smooth_background(flat, tl).mask.empty());
}

TEST(Lattice, ArtTheBordersCutIsNotTakenForASmoothBackground) {
  // A dark figure standing on the image's bottom edge, on a smooth field: its body is smooth
  // inside its outline and meets the border, so a fill from the border reaches it there; it
  // meets one side only, the field three.
  Sprite spr;
  spr.width = spr.height = 16;
  spr.rgba.assign(size_t(16) * 16 * 4, 0);
  auto paint = [&](int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    uint8_t* q = spr.px(x, y);
    q[0] = r, q[1] = g, q[2] = b, q[3] = 255;
  };
  for (int y = 4; y < 16; ++y)
    for (int x = 3 + (y < 8); x < 13 - (y < 8); ++x) paint(x, y, 20, 20, 24);
  for (int x = 6; x < 10; ++x) paint(x, 5, 230, 190, 150), paint(x, 6, 230, 190, 150);  // a face
  paint(5, 11, 44, 44, 50), paint(10, 13, 44, 44, 50), paint(2, 9, 230, 190, 150), paint(13, 9, 230, 190, 150);
  const double p = 10.4;
  const Sprite img = render(spr, p, p, 2 * p, 2 * p, int(20 * p), int(18 * p), Bg::Noise);
  const Lattice lat = find_lattice(img);
  ASSERT_TRUE(lat.found) << lat.why;
  const Background b = find_smooth_background(img, lat);
  ASSERT_TRUE(b.clear()) << "ratio " << b.lattice_ratio << ", share " << b.share;
  int art = 0, art_masked = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const int cx = int(std::floor((x + 0.5 - 2 * p) / p)), cy = int(std::floor((y + 0.5 - 2 * p) / p));
      if (cx < 0 || cy < 0 || cx >= 16 || cy >= 16 || spr.px(cx, cy)[3] < 255) continue;
      ++art;
      art_masked += b.mask[size_t(y) * img.width + x];
    }
  EXPECT_GT(art, 5000);
  EXPECT_LT(art_masked, art / 50) << "art taken for background";
}

TEST(Lattice, UnderAWeakGridASmoothBackgroundIsClearedOnlyWhereItIsMostOfTheImage) {
  // The same field behind a sheet that fills most of the image (the background about a third
  // of it) and behind one sprite in a wide margin (most of it). Under a sure grid both are
  // cleared; under a weaker one (0.4 to 0.75) only the margin's; under a grid weaker still,
  // neither.
  const double p = 8.3;
  const Sprite tiled = render(sheet(31, 16, 2, 1), p, p, 2 * p, 2 * p, int(36 * p), int(20 * p), Bg::Noise);
  const Sprite lone = render(sheet(31, 16, 1, 1), p, p, 12 * p, 12 * p, int(40 * p), int(40 * p), Bg::Noise);
  for (const Sprite* img : {&tiled, &lone}) {
    Lattice lat = find_lattice(*img);
    ASSERT_TRUE(lat.found) << lat.why;
    lat.confidence = 0.9;
    const Background sure = find_smooth_background(*img, lat);
    ASSERT_TRUE(sure.clear()) << "ratio " << sure.lattice_ratio << ", share " << sure.share;
    const bool most = sure.share >= 0.7;
    EXPECT_EQ(most, img == &lone) << "share " << sure.share;
    lat.confidence = 0.6;
    const Background weak = find_smooth_background(*img, lat);
    EXPECT_EQ(weak.mask.empty(), !most) << "share " << sure.share;
    if (most) {
      EXPECT_EQ(weak.mask, sure.mask);
    }
    lat.confidence = 0.3;
    EXPECT_TRUE(find_smooth_background(*img, lat).mask.empty());
  }
}

TEST(Lattice, ArtThatFillsItsCanvasLendsTheBackgroundNoSecondColour) {
  // A sprite with a dark outline that fills its canvas, drawn 2 cells in from the top-left corner
  // of a flat background (a shifted render, as the bundled examples are): the outline runs along
  // the right and bottom borders, a third of the border, but takes no turns with the background
  // as a checkerboard's squares do, and no gradient runs between the two. Only the flat colour is
  // background, and no outline pixel is cleared.
  Sprite spr;
  spr.width = spr.height = 16;
  spr.rgba.assign(size_t(16) * 16 * 4, 0);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      if ((x < 2 || x > 13) && (y < 2 || y > 13)) continue;  // the background shows at the corners
      const bool edge = x == 0 || y == 0 || x == 15 || y == 15 || ((x < 3 || x > 12) && (y < 3 || y > 12));
      uint8_t* p = spr.px(x, y);
      p[0] = edge ? 20 : 90, p[1] = edge ? 40 : 200, p[2] = edge ? 30 : 120, p[3] = 255;
    }
  // and a pocket of the background's colour that the art encloses is background too
  for (int y = 6; y < 9; ++y)
    for (int x = 6; x < 9; ++x) spr.px(x, y)[3] = 0;
  const Sprite img = render(spr, 10, 10, 20, 20, 180, 180, Bg::Flat);
  const Background b = find_background(img);
  ASSERT_FALSE(b.mask.empty());
  EXPECT_EQ(b.colours, 1);
  EXPECT_EQ(b.mask[size_t(20 + 75) * 180 + 20 + 75], 1) << "the enclosed pocket";
  int outline_masked = 0;
  for (int y = 20; y < 180; ++y)
    for (int x = 20; x < 180; ++x) outline_masked += spr.px((x - 20) / 10, (y - 20) / 10)[3] == 255 && b.mask[size_t(y) * 180 + x];
  EXPECT_EQ(outline_masked, 0);
}

TEST(Lattice, AnOutlineThatMeetsTheBorderOftenIsNotACheckerboard) {
  // A row of sprites whose dark outlines meet the top and bottom borders at 16 places: the outline
  // takes turns with the flat background along the border as a checkerboard's squares would, but
  // covers a fifth of it (a quarter of what the background covers) where the background covers the rest. A checkerboard shows both colours
  // about equally; this is one background colour, and no outline pixel is cleared.
  std::vector<uint8_t> art(size_t(310) * 120, 0);
  const Sprite img = opaque_image(310, 120, [&](int x, int y, uint8_t* p) {
    const bool bar = x % 40 >= 10 && x % 40 < 22 && (y < 20 || y >= 100);  // outline at the border
    const bool body = x % 40 >= 6 && x % 40 < 26 && y >= 20 && y < 100;
    art[size_t(y) * 310 + x] = bar || body;
    p[0] = bar ? 22 : body ? 200 : 160, p[1] = bar ? 19 : body ? 180 : 26, p[2] = bar ? 19 : body ? 60 : 39;
  });
  const Background b = find_background(img);
  ASSERT_FALSE(b.mask.empty());
  EXPECT_EQ(b.colours, 1);
  int art_masked = 0;
  for (size_t k = 0; k < art.size(); ++k) art_masked += art[k] && b.mask[k];
  EXPECT_EQ(art_masked, 0);
}

TEST(Lattice, ATilesOwnBackdropAlongTwoSidesIsNotABackground) {
  // A tile drawn on a dark square backdrop that spans the image's width, above and below it a
  // noisy background: the backdrop's colour covers over 40% of the border, but only on the left
  // and right sides. A background shows on at least three sides; this is the art's.
  const Sprite img = opaque_image(200, 260, [](int x, int y, uint8_t* p) {
    const bool tile = y >= 30 && y < 230;
    const bool figure = tile && std::abs(x - 100) < 40 && std::abs(y - 130) < 60;
    for (int c = 0; c < 3; ++c)
      p[c] = figure ? uint8_t(120 + 40 * c) : tile ? uint8_t(40) : uint8_t(60 + 120 * kernels::uniform01(5, uint64_t(y * 200 + x), uint64_t(c)));
  });
  EXPECT_TRUE(find_background(img).mask.empty());
  // One side may be all art: a sheet whose last sprite fills its canvas up to the right border,
  // on a flat background that shows on the other three sides.
  const Sprite sheet_img = opaque_image(300, 200, [](int x, int y, uint8_t* p) {
    const bool last = x >= 240, first = std::abs(x - 80) < 40 && std::abs(y - 100) < 50;
    p[0] = last ? uint8_t(40 + (x / 12 + y / 12) % 2 * 60) : first ? 200 : 90;
    p[1] = last ? 120 : first ? 60 : 140, p[2] = last ? 40 : first ? 60 : 200;
  });
  const Background b = find_background(sheet_img);
  ASSERT_FALSE(b.mask.empty());
  EXPECT_EQ(b.colours, 1);
  EXPECT_TRUE(b.clear());
  EXPECT_EQ(b.mask[size_t(10) * 300 + 10], 1);
  EXPECT_EQ(b.mask[size_t(100) * 300 + 280], 0) << "the last sprite is art";
}

TEST(Lattice, ALowContrastTextureBlurredAtALargePitchIsFound) {
  // A texture of two colours 40 levels apart (in opposite channels) that fills the image, in cells
  // of 14.3 pixels, blurred as a resampling round trip blurs (a 5-tap binomial per axis): no two
  // neighbouring pixels differ by a strong edge's 0.12 any more, but across four pixels the edge
  // is whole. A grid, not JPEG seams or noise. And the two colours take turns along the border as
  // a checkerboard's would, but they are the whole image: the art, not a background to leave out.
  Sprite spr;
  spr.width = spr.height = 16;
  spr.rgba.resize(size_t(16) * 16 * 4);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      const bool a = kernels::uniform01(3, uint64_t(y * 16 + x), 0) < 0.5;
      uint8_t* p = spr.px(x, y);
      p[0] = a ? 60 : 100, p[1] = a ? 100 : 60, p[2] = 80, p[3] = 255;
    }
  const Sprite sharp = render(spr, 14.3, 14.3, 0, 0, 229, 229, Bg::Flat);
  Sprite img = sharp;
  const double tap[5] = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};
  for (int axis = 0; axis < 2; ++axis) {
    const Sprite from = img;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        for (int c = 0; c < 3; ++c) {
          double v = 0;
          for (int k = -2; k <= 2; ++k) {
            const int xx = std::clamp(axis == 0 ? x + k : x, 0, img.width - 1), yy = std::clamp(axis == 1 ? y + k : y, 0, img.height - 1);
            v += tap[k + 2] * from.px(xx, yy)[c];
          }
          img.px(x, y)[c] = uint8_t(std::lround(v));
        }
  }
  int strong = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x + 1 < img.width; ++x)
      for (int c = 0; c < 3; ++c) strong += std::abs(int(img.px(x, y)[c]) - int(img.px(x + 1, y)[c])) >= 0.12 * 255;
  ASSERT_EQ(strong, 0) << "the blur leaves no strong edge between neighbours";
  EXPECT_GE(find_background(img, 0.15).share, kWholeImage) << "its two colours and their blends are everywhere";
  const Lattice l = find_lattice(img);
  ASSERT_TRUE(l.found) << l.why;
  EXPECT_NEAR(l.x.pitch, 14.3, 0.15) << l.describe();
  EXPECT_NEAR(l.y.pitch, 14.3, 0.15) << l.describe();
  EXPECT_EQ(l.x.cells, 16);
  EXPECT_EQ(l.y.cells, 16);
}

}  // namespace
}  // namespace pixelart
