// tests/test_synth.cpp — the damage pipeline: reproducible from its seed, CPU against CUDA,
// presets doing what they say, and clear errors for bad configurations.
#include "pixelart/synth.h"
#include "synth_ops.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

SpriteSet test_sprites(int n, int canvas) {
  std::vector<Sprite> s;
  for (int i = 0; i < n; ++i) s.push_back(generate_sprite(uint64_t(500 + i), canvas));
  return SpriteSet::pack(s, canvas);
}

TEST(Synth, TheSameSeedGivesTheSameBatch) {
  const SpriteSet set = test_sprites(20, 16);
  Synthesizer a(set, 128, DamageConfig::hard(), Device::CPU), b(set, 128, DamageConfig::hard(), Device::CPU);
  Tensor x1, t1, x2, t2, x3, t3;
  a.generate(42, 100, 6, &x1, &t1);
  b.generate(42, 100, 6, &x2, &t2);
  EXPECT_EQ(x1.to_vector(), x2.to_vector());
  EXPECT_EQ(t1.to_vector(), t2.to_vector());
  // A batch is a set of independent samples: sample 103 is the same inside any batch.
  b.generate(42, 103, 1, &x3, &t3);
  const auto v1 = x1.to_vector(), v3 = x3.to_vector();
  const size_t per = 128 * 128 * 4;
  EXPECT_TRUE(std::equal(v3.begin(), v3.end(), v1.begin() + 3 * per));
  // Another seed, another batch.
  a.generate(43, 100, 6, &x3, &t3);
  EXPECT_NE(x1.to_vector(), x3.to_vector());
}

TEST(Synth, TheNonePresetIsACleanNearestUpscale) {
  const SpriteSet set = test_sprites(5, 16);
  Synthesizer s(set, 64, DamageConfig::none(), Device::CPU);
  Tensor x, t;
  s.generate(7, 0, 3, &x, &t);
  const auto xv = x.to_vector(), tv = t.to_vector();
  for (int i = 0; i < 3; ++i)
    for (int y = 0; y < 64; ++y)
      for (int px = 0; px < 64; ++px)
        for (int c = 0; c < 4; ++c)
          ASSERT_EQ(xv[size_t(((i * 64 + y) * 64 + px) * 4 + c)], tv[size_t(((i * 16 + y / 4) * 16 + px / 4) * 4 + c)])
              << "sample " << i << " pixel " << px << "," << y;
}

TEST(Synth, DamagedInputsAreValidImagesAndTargetsAreTheSprites) {
  const SpriteSet set = test_sprites(30, 16);
  Synthesizer s(set, 256, DamageConfig::hard(), Device::CPU);
  Tensor x, t;
  s.generate(1, 0, 8, &x, &t);
  for (double v : x.to_vector()) {
    ASSERT_GE(v, 0.0);
    ASSERT_LE(v, 1.0);
    ASSERT_NEAR(v * 255.0, std::round(v * 255.0), 1e-3);  // 8-bit levels, as a saved image
  }
  const auto tv = t.to_vector();
  for (int i = 0; i < 8; ++i) {
    const Sprite sp = set.sprite(s.sample_sprite(i));
    for (size_t k = 0; k < sp.rgba.size(); ++k) ASSERT_NEAR(tv[size_t(i) * sp.rgba.size() + k], sp.rgba[k] / 255.0, 1e-6);
  }
  EXPECT_NE(s.describe(0).find("sprite"), std::string::npos);
}

TEST(Synth, BadConfigurationsAreUsageErrors) {
  const SpriteSet set = test_sprites(2, 16);
  DamageConfig d;
  d.p_jpeg = 1.5f;
  EXPECT_THROW(Synthesizer(set, 256, d, Device::CPU), Error);
  d = DamageConfig{};
  d.jpeg_q_min = 90, d.jpeg_q_max = 20;
  EXPECT_THROW(Synthesizer(set, 256, d, Device::CPU), Error);
  EXPECT_THROW(Synthesizer(set, 200, DamageConfig{}, Device::CPU), Error);  // not a multiple of 16
  EXPECT_THROW(DamageConfig::preset("brutal"), Error);
}

TEST(Synth, TheUserPresetAlignsNativePitchesOntoTheCanonicalLattice) {
  // Native pitches of 3 to 16 pixels, no damage, no lattice error: after the canonical step every
  // cell's middle is its sprite pixel, whatever the pitch and sub-pixel offset it was drawn at.
  const SpriteSet set = test_sprites(12, 16);
  DamageConfig d = DamageConfig::none();
  d.align = 1, d.p_native = 1.f, d.align_error = 0.f, d.pitch_error = 0.f, d.p_misalign = 0.f;
  d.scale_jitter = 0.02f, d.max_offset = 0.5f;
  Synthesizer s(set, 256, d, Device::CPU);
  Tensor x, t;
  s.generate(3, 0, 12, &x, &t);
  const auto xv = x.to_vector(), tv = t.to_vector();
  int natives = 0;
  for (int i = 0; i < 12; ++i) {
    natives += s.describe(i).find(" in ") != std::string::npos;  // drawn below the input's pitch
    for (int cy = 0; cy < 16; ++cy)
      for (int cx = 0; cx < 16; ++cx)
        for (int c = 0; c < 4; ++c) {
          const double want = tv[size_t(((i * 16 + cy) * 16 + cx) * 4 + c)];
          const double got = xv[size_t(((i * 256 + cy * 16 + 8) * 256 + cx * 16 + 8) * 4 + c)];
          ASSERT_NEAR(got, want, 0.5 / 255) << "sample " << i << " (" << s.describe(i) << ") cell " << cx << "," << cy;
        }
  }
  EXPECT_GE(natives, 10);
}

TEST(Synth, TheUserPresetClearsAFlatBackgroundAsRestoreDoes) {
  // a flat background, no other damage, cleared: every transparent cell of the sprite is
  // transparent in the input again (up to the few pixels of the sprite's own colour as close)
  const SpriteSet set = test_sprites(10, 16);
  DamageConfig d = DamageConfig::none();
  d.align = 1, d.p_native = 1.f, d.align_error = 0.f, d.pitch_error = 0.f, d.p_misalign = 0.f;
  d.p_keep_alpha = 0.f, d.p_clear = 1.f;
  d.p_bg[0] = 0.f, d.p_bg[1] = 1.f, d.p_bg[2] = 0.f, d.p_bg[3] = 0.f;
  Synthesizer s(set, 256, d, Device::CPU);
  Tensor x, t;
  s.generate(4, 0, 10, &x, &t);
  const auto xv = x.to_vector(), tv = t.to_vector();
  int clear = 0, kept = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(s.describe(i).find("background cleared"), std::string::npos) << s.describe(i);
    for (int cy = 0; cy < 16; ++cy)
      for (int cx = 0; cx < 16; ++cx) {
        if (tv[size_t(((i * 16 + cy) * 16 + cx) * 4 + 3)] > 0) continue;
        const double a = xv[size_t(((i * 256 + cy * 16 + 8) * 256 + cx * 16 + 8) * 4 + 3)];
        (a == 0 ? clear : kept) += 1;
      }
  }
  EXPECT_GT(clear, 500);
  EXPECT_EQ(kept, 0);
}

TEST(Synth, TheUserPresetDamagesAtTheNativePitch) {
  // Every sample drawn below the input's pitch is rendered and damaged in a working image just
  // large enough for its sprite at that pitch (whole JPEG blocks), then aligned onto the input.
  const SpriteSet set = test_sprites(8, 16);
  DamageConfig d = DamageConfig::user();
  d.p_native = 1.f, d.min_native = 4.f;
  Synthesizer s(set, 256, d, Device::CPU);
  Tensor x, t;
  s.generate(5, 0, 8, &x, &t);
  for (double e : x.to_vector()) {
    ASSERT_GE(e, 0.0);
    ASSERT_LE(e, 1.0);
    ASSERT_NEAR(e * 255.0, std::round(e * 255.0), 1e-3);
  }
  for (int i = 0; i < 8; ++i) {
    const std::string what = s.describe(i);
    EXPECT_NE(what.find("aligned onto 256x256"), std::string::npos) << what;
    float cell = 0;
    int work = 256;
    ASSERT_EQ(std::sscanf(what.c_str() + what.find("cell ") + 5, "%f", &cell), 1) << what;
    if (const size_t at = what.find(" in "); at != std::string::npos) std::sscanf(what.c_str() + at + 4, "%d", &work);
    EXPECT_EQ(work, std::min(256, int(std::ceil((16 * cell + 8) / 16)) * 16)) << what;
    EXPECT_EQ(work % 16, 0) << what;
  }
}

TEST(Synth, CudaMatchesCpu) {
  PA_SKIP_WITHOUT_CUDA();
  const SpriteSet set = test_sprites(40, 16);
  for (const char* preset : {"hard", "user"}) {
  SCOPED_TRACE(preset);
  Synthesizer c(set, 256, DamageConfig::preset(preset), Device::CPU), g(set, 256, DamageConfig::preset(preset), Device::CUDA);
  Tensor xc, tc, xg, tg;
  c.generate(9, 0, 16, &xc, &tc);
  g.generate(9, 0, 16, &xg, &tg);
  // Integer outputs are identical: the sprites chosen, hence the targets.
  EXPECT_EQ(tg.to_vector(), tc.to_vector());
  for (int i = 0; i < 16; ++i) EXPECT_EQ(g.sample_sprite(i), c.sample_sprite(i));
  // Float outputs: device and host libm (sin, exp, log) differ by ulps, which can move a value by
  // one 8-bit level (and rarely flip a JPEG coefficient). Mean and fraction of differing values:
  const auto a = xg.to_vector(), b = xc.to_vector();
  double sum = 0;
  size_t off = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    sum += std::abs(a[k] - b[k]);
    off += std::abs(a[k] - b[k]) > 1.5 / 255.0;
  }
  EXPECT_LT(sum / double(a.size()), kSynthMeanAbs) << "mean |cuda - cpu|";
  EXPECT_LT(double(off) / double(a.size()), kSynthFarFraction) << "fraction differing by more than one level";
  }
}

}  // namespace
}  // namespace pixelart::testing
