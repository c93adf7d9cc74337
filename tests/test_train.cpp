// tests/test_train.cpp — the trainer: resuming is bit-exact on the CPU, the configuration reads
// the same from flags and JSON, the held-out split is by sprite, the learning-rate schedule,
// model files, the restoration metrics and palette snapping.
#include <algorithm>
#include <cmath>
#include <fstream>

#include "pixelart/metrics.h"
#include "pixelart/postprocess.h"
#include "pixelart/safetensors.h"
#include "pixelart/train.h"
#include "rng.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

// A colour as a packed word, for sets of colours (a set of byte vectors trips a GCC 12
// -Wstringop-overread false positive).
uint32_t word(const uint8_t* p, int n) {
  uint32_t w = 0;
  for (int c = 0; c < n; ++c) w = w << 8 | p[c];
  return w;
}

TrainConfig tiny() {
  TrainConfig c;
  c.widths = {4, 8};  // scale 4: 64x64 inputs for 16x16 sprites
  c.batch = 3;
  c.steps = 6;
  c.warmup = 2;
  c.seed = 3;
  return c;
}
SpriteSet some_sprites(int n) {
  std::vector<Sprite> s;
  for (int i = 0; i < n; ++i) s.push_back(generate_sprite(uint64_t(900 + i), 16));
  return SpriteSet::pack(s, 16);
}

TEST(Trainer, ResumingFromACheckpointIsBitExactOnTheCpu) {
  const SpriteSet set = some_sprites(12);
  RestorerTrainer straight(tiny(), set, Device::CPU);
  for (int i = 0; i < 6; ++i) straight.step(nullptr);

  const std::string ckpt = ::testing::TempDir() + "/ckpt.safetensors";
  {
    RestorerTrainer first(tiny(), set, Device::CPU);
    for (int i = 0; i < 3; ++i) first.step(nullptr);
    first.save_checkpoint(ckpt);
  }
  RestorerTrainer resumed(tiny(), set, Device::CPU);
  resumed.resume(ckpt);
  EXPECT_EQ(resumed.steps_done(), 3);
  StepLog log;
  for (int i = 0; i < 3; ++i) resumed.step(&log);
  EXPECT_EQ(log.step, 6);
  EXPECT_TRUE(std::isfinite(log.loss));
  EXPECT_EQ(resumed.model().params().data().to_vector(), straight.model().params().data().to_vector());
}

// Training on the device (synthesis, forward, loss, backward, clipping, AdamW all in CUDA) follows
// the CPU step for step, and resuming there is bit-exact too (deterministic cuDNN algorithms, no
// atomics in the reductions). The losses agree to float rounding; a weight may differ by up to
// Adam's step (about lr) where its gradient is near zero and the two devices round it to
// opposite signs, hence the bound of lr per step on weights.
TEST(Trainer, TrainingOnCudaFollowsTheCpuAndResumesBitExactly) {
  PA_SKIP_WITHOUT_CUDA();
  const SpriteSet set = some_sprites(12);
  const TrainConfig cfg = tiny();
  RestorerTrainer cpu(cfg, set, Device::CPU), gpu(cfg, set, Device::CUDA);
  ASSERT_EQ(gpu.model().params().data().to(Device::CPU).to_vector(), cpu.model().params().data().to_vector());
  for (int i = 0; i < 6; ++i) {
    StepLog a, b;
    cpu.step(&a);
    gpu.step(&b);
    EXPECT_NEAR(b.loss, a.loss, 1e-4 * a.loss) << "step " << i + 1;
    EXPECT_NEAR(b.grad_norm, a.grad_norm, 1e-3 * a.grad_norm) << "step " << i + 1;
  }
  const auto wc = cpu.model().params().data().to_vector(), wg = gpu.model().params().data().to(Device::CPU).to_vector();
  EXPECT_LE(max_abs_error(wg, wc), cfg.lr * 6) << "weights after 6 steps";

  const std::string ckpt = ::testing::TempDir() + "/ckpt_cuda.safetensors";
  {
    RestorerTrainer first(cfg, set, Device::CUDA);
    for (int i = 0; i < 3; ++i) first.step(nullptr);
    first.save_checkpoint(ckpt);
  }
  RestorerTrainer resumed(cfg, set, Device::CUDA);
  resumed.resume(ckpt);
  for (int i = 0; i < 3; ++i) resumed.step(nullptr);
  EXPECT_EQ(resumed.model().params().data().to(Device::CPU).to_vector(), wg);
}

// The restorer's checkpoint read as a model (load_model_file): the same parameters and canvas as
// the model file the run exports. Older checkpoints have no held-out record; they still read.
TEST(Trainer, ACheckpointReadsAsTheRestorerItHolds) {
  const SpriteSet set = some_sprites(6);
  RestorerTrainer t(tiny(), set, Device::CPU);
  t.step(nullptr);
  const std::string ckpt = ::testing::TempDir() + "/r_ckpt.safetensors", model = ::testing::TempDir() + "/r_model.safetensors";
  t.save_checkpoint(ckpt);
  t.export_model(model, {});
  int canvas_ckpt = 0, canvas_model = 0;
  std::map<std::string, std::string> meta;
  const Restorer a = load_restorer(ckpt, Device::CPU, &canvas_ckpt, &meta), b = load_restorer(model, Device::CPU, &canvas_model);
  EXPECT_EQ(canvas_ckpt, canvas_model);
  EXPECT_EQ(a.config().describe(), b.config().describe());
  EXPECT_EQ(a.params().data().to_vector(), b.params().data().to_vector());
  EXPECT_EQ(meta.at("steps"), "1");
  EXPECT_EQ(meta.count("held_out"), 0u);
  EXPECT_THROW(load_upscaler(ckpt, Device::CPU), Error);
}

TEST(Trainer, ResumeRefusesAnotherModelShape) {
  const SpriteSet set = some_sprites(4);
  const std::string ckpt = ::testing::TempDir() + "/ckpt2.safetensors";
  RestorerTrainer(tiny(), set, Device::CPU).save_checkpoint(ckpt);
  TrainConfig other = tiny();
  other.widths = {4, 4};
  RestorerTrainer t(other, set, Device::CPU);
  EXPECT_THROW(t.resume(ckpt), Error);
  EXPECT_THROW(t.resume(::testing::TempDir() + "/missing.safetensors"), Error);
}

TEST(TrainConfig, FlagsAndJsonSetTheSameFieldsAndBadValuesAreErrors) {
  const std::string path = ::testing::TempDir() + "/cfg.json";
  std::ofstream(path) << R"({"widths": [8, 16, 32], "lr": 0.003, "damage": "original", "loss": [1, 0, 0.5, 0.1], "batch": 64})";
  TrainConfig a;
  a.load_json_file(path);
  TrainConfig b;
  b.set("widths", "8,16,32");
  b.set("lr", "0.003");
  b.set("damage", "original");
  b.set("loss", "1,0,0.5,0.1");
  b.set("batch", "64");
  EXPECT_EQ(a.to_json(), b.to_json());
  EXPECT_EQ(a.model().describe(), "4-8-16-32-4");
  EXPECT_THROW(b.set("batch", "many"), Error);
  EXPECT_THROW(b.set("frobs", "1"), Error);
  b.set("canvas", "24");
  EXPECT_THROW(b.validate(), Error);
  std::ofstream(path) << R"({"lr": "fast"})";
  EXPECT_THROW(a.load_json_file(path), Error);
}

TEST(TrainConfig, WarmUpThenCosineDecay) {
  TrainConfig c;
  c.lr = 1e-3, c.final_lr = 1e-4, c.warmup = 10, c.steps = 110;
  EXPECT_DOUBLE_EQ(learning_rate(c, 0), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(c, 9), 1e-3);
  EXPECT_NEAR(learning_rate(c, 60), 0.55e-3, 1e-12);  // half way: the mean of lr and final_lr
  EXPECT_NEAR(learning_rate(c, 110), 1e-4, 1e-12);
}

TEST(Plateau, LowersTheRateOnlyAfterPatienceUpdatesWithoutImprovement) {
  Plateau p;
  for (double loss : {1.0, 0.9, 0.8, 0.7}) p.update(loss, 3, 0.5);  // improving
  EXPECT_EQ(p.scale, 1.0);
  p.update(5.0, 3, 0.5);  // worse, worse, worse: the third one lowers the rate
  p.update(5.0, 3, 0.5);
  EXPECT_EQ(p.scale, 1.0);
  p.update(5.0, 3, 0.5);
  EXPECT_EQ(p.scale, 0.5);
  TrainConfig bad;
  EXPECT_THROW(bad.set("precision", "fp16"), Error);
  bad.set("precision", "bf16");
  EXPECT_EQ(bad.precision, Precision::BF16);
  EXPECT_NO_THROW(bad.validate());
  bad.set("precision", "tf32");
  bad.set("schedule", "plateau");
  EXPECT_EQ(bad.schedule, Schedule::Plateau);
  EXPECT_NO_THROW(bad.validate());
  EXPECT_THROW(bad.set("schedule", "linear"), Error);
}

TEST(Holdout, SplitsBySpriteReproducibly) {
  const SpriteSet set = some_sprites(200);
  SpriteSet tr, he, tr2, he2;
  split_holdout(set, 0.2, 5, &tr, &he);
  split_holdout(set, 0.2, 5, &tr2, &he2);
  EXPECT_EQ(tr.size() + he.size(), 200);
  EXPECT_EQ(he.names, he2.names);
  EXPECT_GT(he.size(), 20);
  EXPECT_LT(he.size(), 60);
  // No sprite in both parts.
  for (const auto& n : he.names) EXPECT_EQ(std::count(tr.names.begin(), tr.names.end(), n), 0) << n;
}

// The key of held-out records (train.h): pinned, since tools/record_held_out.py computes it too.
TEST(Holdout, ContentKeysAreFnv1aOfSizeAndPixelsWithTransparentPixelsAsZero) {
  const uint8_t shown[8] = {1, 2, 3, 255, 9, 9, 9, 0}, zero[8] = {1, 2, 3, 255, 0, 0, 0, 0};
  EXPECT_EQ(key_hex(content_key(shown, 2, 1)), "77a47a255656fe57");
  EXPECT_EQ(content_key(shown, 2, 1), content_key(zero, 2, 1));  // the stored colour of a transparent pixel
  EXPECT_NE(content_key(shown, 2, 1), content_key(shown, 1, 2));  // the shape counts
}

TEST(Holdout, AModelFileRecordsItsHeldOutKeysOrSaysItHasNone) {
  const std::string path = ::testing::TempDir() + "/rec.safetensors";
  UpscalerConfig u;
  u.filters = {4};
  u.kernels = {3, 1};
  save_upscaler(path, Upscaler(u, 1), 2.0, {{"held_out", "00000000000000ff\n0123456789abcdef\n"}});
  EXPECT_EQ(holdout_keys(path), (std::set<uint64_t>{0xff, 0x0123456789abcdefull}));
  save_upscaler(path, Upscaler(u, 1), 2.0, {});  // a file from before the record
  try {
    holdout_keys(path);
    FAIL() << "a model without a record gave keys";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("records no held-out set"), std::string::npos) << e.what();
  }
  save_upscaler(path, Upscaler(u, 1), 2.0, {{"held_out", "xyz\n"}});
  EXPECT_THROW(holdout_keys(path), Error);
}

// Every shipped model names its split by keys, so `--holdout-from` and the `--init` leak guard work
// on them whatever the data's packing. The x3 and x4 runs held out the same 118 images; the x2
// model's run, on a fourth package, those and 23 of the new package's.
TEST(Holdout, EveryShippedModelRecordsItsHeldOutData) {
  const std::string dir = std::string(PIXELART_SOURCE_DIR) + "/data/models/";
  TrainedSplit restorer, x2, x3, x4;
  ASSERT_TRUE(trained_split(dir + "restorer16.safetensors", &restorer));
  ASSERT_TRUE(trained_split(dir + "upscaler.safetensors", &x2));
  ASSERT_TRUE(trained_split(dir + "upscaler_x3.safetensors", &x3));
  ASSERT_TRUE(trained_split(dir + "upscaler_x4.safetensors", &x4));
  for (const TrainedSplit* s : {&restorer, &x2, &x3, &x4}) EXPECT_TRUE(s->has_keys);
  EXPECT_EQ(restorer.keys.size(), 430u);
  EXPECT_EQ(x2.keys.size(), 141u);
  EXPECT_EQ(x3.keys, x2.keys);  // the three upscalers were trained on one split (seed 1, same data)
  EXPECT_EQ(x4.keys, x2.keys);
}

TEST(ModelFile, RoundTripsAndRejectsOtherFiles) {
  Restorer m(RestorerConfig::narrow(), 11);
  const std::string path = ::testing::TempDir() + "/model.safetensors";
  save_restorer(path, m, 16, {{"command", "test"}});
  int canvas = 0;
  std::map<std::string, std::string> meta;
  Restorer back = load_restorer(path, Device::CPU, &canvas, &meta);
  EXPECT_EQ(canvas, 16);
  EXPECT_EQ(meta["command"], "test");
  EXPECT_EQ(back.params().data().to_vector(), m.params().data().to_vector());
  SafeTensors other;
  other.tensors["x"] = Tensor::zeros({2});
  save_safetensors(path, other);
  EXPECT_THROW(load_restorer(path, Device::CPU), Error);
}

// Context layers start as the identity: a trained model warm-started into a model with context
// layers (TrainConfig::init) computes exactly what it computed before, and trains on from there;
// the layers survive the model file; a model nothing fits is a usage error.
TEST(Trainer, WarmStartIntoContextLayersChangesNothingUntilTraining) {
  const SpriteSet set = some_sprites(6);
  RestorerTrainer base(tiny(), set, Device::CPU);
  for (int i = 0; i < 3; ++i) base.step(nullptr);
  const std::string path = ::testing::TempDir() + "/base.safetensors";
  base.export_model(path, {});

  TrainConfig cfg = tiny();
  cfg.context = 2;
  cfg.init = path;
  RestorerTrainer grown(cfg, set, Device::CPU);
  EXPECT_EQ(grown.model().config().describe(), "4-4-8+2ctx-4");
  EXPECT_EQ(grown.model().params().size(), base.model().params().size() + 4);
  Synthesizer synth(set, 64, DamageConfig::preset("hard"), Device::CPU);
  Tensor x, t;
  synth.generate(5, 0, 4, &x, &t);
  {
    NoGradGuard ng;
    EXPECT_EQ(grown.model().forward(x).to_vector(), base.model().forward(x).to_vector());
  }
  StepLog log;
  grown.step(&log);
  EXPECT_TRUE(std::isfinite(log.loss));
  {
    NoGradGuard ng;
    EXPECT_NE(grown.model().forward(x).to_vector(), base.model().forward(x).to_vector());
  }
  const std::string grown_path = ::testing::TempDir() + "/grown.safetensors";
  grown.export_model(grown_path, {});
  const Restorer back = load_restorer(grown_path, Device::CPU);
  EXPECT_EQ(back.config().context, 2);
  EXPECT_EQ(back.params().data().to_vector(), grown.model().params().data().to_vector());

  TrainConfig misfit = tiny();
  misfit.widths = {5, 7};
  misfit.init = path;
  EXPECT_THROW(RestorerTrainer(misfit, set, Device::CPU), Error);
}

// Pixel-art enlargement: the palette never grows, isolated pixels and flat areas stay square
// blocks, a diagonal staircase gets filled corners (Scale2x), factors combine (6 = 2 x 3) and the
// rest is nearest neighbour (5).
TEST(Postprocess, PixelArtScalingKeepsThePaletteAndSmoothsStaircases) {
  Sprite s;
  s.width = s.height = 8;
  s.rgba.assign(size_t(64) * 4, 0);
  auto put = [&](int x, int y, uint8_t r) { uint8_t* p = s.px(x, y); p[0] = r, p[1] = 10, p[2] = 20, p[3] = 255; };
  for (int i = 0; i < 5; ++i) put(i, 4 - i, 200);  // a diagonal line
  put(6, 6, 90);                                    // an isolated pixel
  const Sprite two = scale_pixel_art(s, 2), nearest5 = scale_pixel_art(s, 5), six = scale_pixel_art(s, 6),
               blocks6 = scale_pixel_art(s, 6, false);
  ASSERT_EQ(two.width, 16);
  EXPECT_EQ(six.width, 48);
  EXPECT_EQ(six.height, 48);
  std::set<uint32_t> in_colours, out_colours;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) in_colours.insert(word(s.px(x, y), 4));
  int filled = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x) {
      out_colours.insert(word(two.px(x, y), 4));
      filled += two.px(x, y)[0] == 200 && s.px(x / 2, y / 2)[0] != 200;  // corners the line gained
    }
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 48; ++x) out_colours.insert(word(six.px(x, y), 4));
  EXPECT_EQ(out_colours, in_colours);
  EXPECT_EQ(filled, 8);  // each of the 4 steps of the staircase gains a corner on either side
  for (int y = 12; y < 14; ++y)
    for (int x = 12; x < 14; ++x) EXPECT_EQ(two.px(x, y)[0], 90);  // the isolated pixel: a 2x2 block
  EXPECT_EQ(two.px(11, 12)[3], 0);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x)
      ASSERT_EQ(std::vector<uint8_t>(nearest5.px(x, y), nearest5.px(x, y) + 4),
                std::vector<uint8_t>(s.px(x / 5, y / 5), s.px(x / 5, y / 5) + 4));
  for (int y = 0; y < 48; ++y)  // smooth = false: square blocks
    for (int x = 0; x < 48; ++x)
      ASSERT_EQ(std::vector<uint8_t>(blocks6.px(x, y), blocks6.px(x, y) + 4),
                std::vector<uint8_t>(s.px(x / 6, y / 6), s.px(x / 6, y / 6) + 4));
}

TEST(Metrics, HandBuiltCases) {
  // Two 1x2 sprites. Sprite 0: exact. Sprite 1: pixel 0 colour off by 10/255, pixel 1 alpha wrong.
  const std::vector<double> t{0.5, 0.5, 0.5, 1, 0, 0, 0, 0, 0.2, 0.4, 0.6, 1, 0, 0, 0, 0};
  std::vector<double> p = t;
  p[8] += 10.0 / 255;
  p[15] = 0.9;
  SpriteMetrics m;
  m.add(p, t, 2, 1, 2);
  EXPECT_DOUBLE_EQ(m.pixel_accuracy(), 2.0 / 4);
  EXPECT_DOUBLE_EQ(m.perfect_rate(), 0.5);
  EXPECT_DOUBLE_EQ(m.alpha_iou(), 2.0 / 3);
  EXPECT_NEAR(m.rgb_error(), 10.0 / 6, 1e-9);  // 10 levels over 6 opaque channels
  EXPECT_DOUBLE_EQ(m.alpha_error_rate(), 1.0 / 4);   // pixel 1 of sprite 1
  EXPECT_DOUBLE_EQ(m.colour_error_rate(), 1.0 / 4);  // pixel 0 of sprite 1
  EXPECT_DOUBLE_EQ(m.colour_only_rate(), 0.0);       // sprite 1 has an alpha error too
  p[15] = 0;                                         // now only its colour is off
  SpriteMetrics m2;
  m2.add(p, t, 2, 1, 2);
  EXPECT_DOUBLE_EQ(m2.colour_only_rate(), 0.5);
  EXPECT_DOUBLE_EQ(m2.alpha_error_rate(), 0.0);
  m.merge(m2);
  EXPECT_EQ(m.alpha_errors, 1);
  EXPECT_EQ(m.colour_errors, 2);
  EXPECT_EQ(m.colour_only_sprites, 1);
}

TEST(Postprocess, BinaryAlphaAndPaletteSnapping) {
  const std::vector<double> v{0.1, 0.2, 0.3, 0.49, 0.1, 0.2, 0.3, 0.51};
  const Sprite s = output_sprite(v, 0, 1, 2);
  EXPECT_EQ(std::vector<uint8_t>(s.rgba.begin(), s.rgba.begin() + 4), (std::vector<uint8_t>{0, 0, 0, 0}));
  EXPECT_EQ(s.rgba[7], 255);
  Sprite noisy;
  noisy.width = 8, noisy.height = 1;
  for (int i = 0; i < 8; ++i) {  // two true colours, each with +-3 levels of noise
    const uint8_t base = i < 5 ? 40 : 200, d = uint8_t(i % 3);
    noisy.rgba.insert(noisy.rgba.end(), {uint8_t(base + d), uint8_t(base - d), base, 255});
  }
  Sprite a = noisy, b = noisy;
  snap_palette(a, 2);
  snap_palette(b, -1);
  for (const Sprite* x : {&a, &b}) {
    std::set<uint32_t> colours;
    for (int i = 0; i < 8; ++i) colours.insert(word(x->px(i, 0), 3));
    EXPECT_EQ(colours.size(), 2u);
  }
}

// The colour refinement finds the true colours in damaged inputs (JPEG, sub-pixel offsets, lossy
// resampling: the `original` preset) from predictions that are 20 levels off in every channel,
// leaves pixels predicted transparent alone, and keeps a prediction no input colour is near.
TEST(Postprocess, ColourRefinementFindsTheInputsColours) {
  const SpriteSet set = some_sprites(6);
  Synthesizer synth(set, 256, DamageConfig::preset("original"), Device::CPU);
  Tensor x, t;
  synth.generate(11, 0, 6, &x, &t);
  const auto xv = x.to_vector(), tv = t.to_vector();
  std::vector<double> y = tv;
  for (size_t k = 0; k < y.size(); ++k)
    if (k % 4 != 3) y[k] = std::clamp(y[k] + ((k / 4 + k) % 2 ? 20.0 : -20.0) / 255, 0.0, 1.0);
    else if (y[k] < 0.5) y[k] = 0.3;  // transparent: the colour must stay as it is
  const std::vector<double> before = y;
  refine_colours(y, xv, 6, 16, 16, 16);
  int64_t opaque = 0, close_before = 0, close_after = 0;
  for (size_t p = 0; p < y.size(); p += 4) {
    if (tv[p + 3] < 0.5) {
      for (int c = 0; c < 4; ++c) EXPECT_EQ(y[p + size_t(c)], before[p + size_t(c)]);
      continue;
    }
    ++opaque;
    bool b = true, a = true;
    for (int c = 0; c < 3; ++c) {
      b = b && std::abs(before[p + size_t(c)] - tv[p + size_t(c)]) <= 8.0 / 255;
      a = a && std::abs(y[p + size_t(c)] - tv[p + size_t(c)]) <= 8.0 / 255;
    }
    close_before += b, close_after += a;
  }
  ASSERT_GT(opaque, 100);
  EXPECT_LT(double(close_before) / double(opaque), 0.05);
  EXPECT_GT(double(close_after) / double(opaque), 0.9) << close_after << " of " << opaque << " opaque pixels within 8/255";

  // A prediction far from every input colour: where one colour fills the cell, the cell takes it;
  // where no colour holds 30% of the cell (noise), the prediction stays.
  std::vector<double> flat(size_t(32) * 32 * 4, 0.0), noise(flat.size()), pred{0.9, 0.9, 0.9, 1.0};
  for (size_t k = 3; k < flat.size(); k += 4) flat[k] = 1.0;  // opaque black, far from the prediction
  refine_colours(pred, flat, 1, 1, 1, 32);
  EXPECT_EQ(pred, (std::vector<double>{0.0, 0.0, 0.0, 1.0}));
  for (size_t k = 0; k < noise.size(); ++k) noise[k] = k % 4 == 3 ? 1.0 : kernels::uniform01(5, 0, k) * 0.6;
  pred = {0.9, 0.9, 0.9, 1.0};
  refine_colours(pred, noise, 1, 1, 1, 32);
  EXPECT_EQ(pred, (std::vector<double>{0.9, 0.9, 0.9, 1.0}));
}

// A sprite whose grid is shifted by whole pixels in the input (a sub-pixel offset of the sprite,
// up to half a cell each way): grid_shift finds the shift from a prediction 10 levels off, and
// refine_colours reads each cell where it lies, so every colour comes back exactly.
TEST(Postprocess, GridShiftFindsWhereTheCellsLie) {
  const int h = 8, w = 8, scale = 16, H = h * scale, W = w * scale;
  std::vector<double> sprite(size_t(h) * w * 4);
  for (size_t p = 0; p < size_t(h) * w; ++p) {
    const bool opaque = kernels::uniform01(9, 1, p) < 0.8;
    const size_t q = p * 37 % 64;  // 64 colours at least 64 levels apart, in a scrambled order
    for (int c = 0; c < 3; ++c) sprite[p * 4 + size_t(c)] = opaque ? double(q >> (2 * c) & 3) * 64 / 255 + 32.0 / 255 : 0;
    sprite[p * 4 + 3] = opaque;
  }
  for (auto [dy, dx] : std::vector<std::pair<int, int>>{{0, 0}, {5, -3}, {-8, 7}, {2, 8}, {-6, -6}}) {
    std::vector<double> x(size_t(H) * W * 4);
    for (int yy = 0; yy < H; ++yy)
      for (int xx = 0; xx < W; ++xx) {
        const int r = (yy - dy + H) / scale - h, c = (xx - dx + W) / scale - w;  // floor division
        const bool in = r >= 0 && r < h && c >= 0 && c < w;
        double* q = &x[(size_t(yy) * W + xx) * 4];
        const double* s = in ? &sprite[(size_t(r) * w + c) * 4] : nullptr;
        const bool op = in && s[3] > 0.5;
        for (int k = 0; k < 3; ++k) q[k] = op ? s[k] : 0.5;  // the sprite over a grey background
        q[3] = 1.0;
      }
    std::vector<double> y = sprite;
    for (size_t k = 0; k < y.size(); ++k)
      if (k % 4 != 3 && y[k + 3 - k % 4] > 0.5) y[k] = std::clamp(y[k] + ((k / 4) % 2 ? 10.0 : -10.0) / 255, 0.0, 1.0);
    int sy = 99, sx = 99;
    grid_shift(y.data(), x.data(), h, w, scale, &sy, &sx);
    EXPECT_EQ(sy, dy);
    EXPECT_EQ(sx, dx);
    refine_colours(y, x, 1, h, w, scale);
    int exact = 0, opaque = 0;
    for (size_t p = 0; p < size_t(h) * w; ++p) {
      if (sprite[p * 4 + 3] < 0.5) continue;
      ++opaque;
      bool same = true;
      for (int c = 0; c < 3; ++c) same = same && std::abs(y[p * 4 + size_t(c)] - sprite[p * 4 + size_t(c)]) < 0.5 / 255;
      exact += same;
    }
    EXPECT_EQ(exact, opaque) << "shift " << dy << "," << dx;
  }
}

// An input that still carries its mask decides the alpha of the cells where it is clear (at least
// 3/4 opaque or at most 1/4), whatever the network said; a cell half covered keeps the network's
// decision, and an input without a transparent pixel (the mask lost) changes no alpha.
TEST(Postprocess, AnInputsOwnMaskDecidesAlphaWhereItIsClear) {
  const int h = 4, w = 4, scale = 8, H = h * scale, W = w * scale;
  std::vector<double> x(size_t(H) * W * 4), y(size_t(h) * w * 4);
  for (int yy = 0; yy < H; ++yy)
    for (int xx = 0; xx < W; ++xx) {
      const int r = yy / scale, c = xx / scale;
      double* q = &x[(size_t(yy) * W + xx) * 4];
      q[0] = 0.8, q[1] = 0.2, q[2] = 0.1;
      q[3] = (r + c) % 2 == 0 ? 1.0 : (r == 3 && c == 0 && xx % scale < scale / 2) ? 1.0 : 0.0;  // cell (3,0): half
    }
  for (int p = 0; p < h * w; ++p) {
    const int r = p / w, c = p % w;
    y[size_t(p) * 4 + 0] = 0.8, y[size_t(p) * 4 + 1] = 0.2, y[size_t(p) * 4 + 2] = 0.1;
    y[size_t(p) * 4 + 3] = (r + c) % 2 == 0 ? 0.9 : 0.1;
  }
  y[(0 * w + 0) * 4 + 3] = 0.2;  // the network wrong both ways
  y[(0 * w + 1) * 4 + 3] = 0.8;
  y[(3 * w + 0) * 4 + 3] = 0.7;  // the half-covered cell: the network's call stands
  std::vector<double> masked = y;
  refine_colours(masked, x, 1, h, w, scale);
  for (int p = 0; p < h * w; ++p) {
    const int r = p / w, c = p % w;
    const double want = r == 3 && c == 0 ? 0.7 : (r + c) % 2 == 0 ? 1.0 : 0.0;
    const double got = masked[size_t(p) * 4 + 3];
    if (want == 0.7) EXPECT_EQ(got, 0.7);
    else EXPECT_EQ(got >= 0.5, want >= 0.5) << "cell " << r << "," << c;
  }
  for (size_t k = 3; k < x.size(); k += 4) x[k] = 1.0;  // the mask lost: the network decides
  std::vector<double> unmasked = y;
  refine_colours(unmasked, x, 1, h, w, scale);
  for (size_t k = 3; k < y.size(); k += 4) EXPECT_EQ(unmasked[k], y[k]);
}

// The cells of one true colour each hold it shifted by up to 6 levels, with 5 levels of noise
// around that (what JPEG leaves); a second colour 40 levels away does the same. The cells' own
// modes are off; pooling the sprite's colours brings every cell of a colour to one value near the
// truth, and keeps the two colours apart. Cells without noise (a clean input) keep their colours
// even when they are a few levels apart: such colours are the sprite's own.
TEST(Postprocess, ColourRefinementPoolsOneColourAcrossCells) {
  const int h = 8, w = 8, scale = 8, H = h * scale, W = w * scale;
  const double a[3] = {100 / 255.0, 150 / 255.0, 60 / 255.0}, b[3] = {140 / 255.0, 150 / 255.0, 60 / 255.0};
  std::vector<double> x(size_t(H) * W * 4), y(size_t(h) * w * 4);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const double* truth = c < 4 ? a : b;
      const double shift = double((r * 5 + c * 3) % 13 - 6) / 255.0;  // -6 .. +6 levels, by cell
      for (int yy = r * scale; yy < (r + 1) * scale; ++yy)
        for (int xx = c * scale; xx < (c + 1) * scale; ++xx) {
          double* q = &x[(size_t(yy) * W + xx) * 4];
          const double noise = ((xx + yy) % 2 ? 5.0 : -5.0) / 255.0;  // ringing around the block's colour
          for (int k = 0; k < 3; ++k) q[k] = truth[k] + shift + noise;
          q[3] = 1.0;
        }
      double* p = &y[(size_t(r) * w + c) * 4];
      for (int k = 0; k < 3; ++k) p[k] = truth[k] + 10.0 / 255.0;
      p[3] = 1.0;
    }
  refine_colours(y, x, 1, h, w, scale);
  for (int half = 0; half < 2; ++half) {
    const double* truth = half ? b : a;
    const double* first = &y[size_t(half * 4) * 4];
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(first[k], truth[k], 2.0 / 255.0) << "colour " << half << " channel " << k;
    for (int r = 0; r < h; ++r)
      for (int c = half * 4; c < half * 4 + 4; ++c)
        for (int k = 0; k < 3; ++k) EXPECT_EQ(y[(size_t(r) * w + c) * 4 + size_t(k)], first[k]) << "cell " << r << "," << c;
  }
  // clean: two colours 6 levels apart, each cell flat
  std::vector<double> clean(size_t(2) * scale * scale * 4), two(8);
  for (int yy = 0; yy < scale; ++yy)
    for (int xx = 0; xx < 2 * scale; ++xx) {
      double* q = &clean[(size_t(yy) * 2 * scale + xx) * 4];
      for (int k = 0; k < 3; ++k) q[k] = a[k] + (xx < scale ? 0 : 6.0 / 255.0);
      q[3] = 1.0;
    }
  for (int c = 0; c < 2; ++c)
    for (int k = 0; k < 4; ++k) two[size_t(c * 4 + k)] = k < 3 ? a[k] + 3.0 / 255.0 : 1.0;
  refine_colours(two, clean, 1, 1, 2, scale);
  const double exact = 1e-6;  // the mean shift runs in float; an 8-bit level is 3.9e-3
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(two[size_t(k)], a[k], exact);
    EXPECT_NEAR(two[size_t(4 + k)], a[k] + 6.0 / 255.0, exact);
  }
}

TEST(Postprocess, CellNoiseIsZeroOnCleanArtAndMeasuresJpegLikeNoise) {
  const int h = 3, w = 4, s = 16;
  std::vector<double> y(size_t(h) * w * 4, 1.0), x(size_t(h) * s * w * s * 4);
  for (size_t k = 0; k < x.size(); ++k) x[k] = (k / 4 / s) % 2 ? 0.2 : 0.7;  // flat cells, stripes of them
  for (size_t k = 3; k < x.size(); k += 4) x[k] = 1.0;
  EXPECT_NEAR(cell_noise(y, x, h, w, s), 0.0, 1e-6);
  std::vector<double> noisy = x;
  for (size_t k = 0; k < noisy.size(); ++k)
    if (k % 4 != 3) noisy[k] += (kernels::uniform01(9, k, 0) - 0.5) * 12.0 / 255;  // +-6 levels: sd 3.5
  EXPECT_NEAR(cell_noise(y, noisy, h, w, s) * 255, 12 / std::sqrt(12.0), 0.5);
  for (size_t k = 3; k < y.size(); k += 4) y[k] = 0.0;  // no opaque cell: nothing to measure
  EXPECT_EQ(cell_noise(y, noisy, h, w, s), 0.0);
}

TEST(Postprocess, BoundaryPixelsTakeTheChromaOfThePalettesColourOfTheirLuma) {
  // an 8 x 8 sprite: a block of A (its middle is uniform: A is in the palette), a block of B,
  // and on their boundary pixels of A's luma with a shifted hue, of another luma, and of a
  // hue too far; a rare colour no uniform region shows stays
  const int h = 8, w = 8;
  std::vector<double> y(size_t(h) * w * 4, 0.0);
  auto set = [&](int r, int c, double R, double G, double B) {
    double* p = &y[(size_t(r) * w + c) * 4];
    p[0] = R, p[1] = G, p[2] = B, p[3] = 1.0;
  };
  const double A[3] = {0.8, 0.3, 0.2}, Bc[3] = {0.2, 0.4, 0.8};
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      const double* col = c < 4 ? A : Bc;
      set(r, c, col[0], col[1], col[2]);
    }
  // A's luma (0.299 R + 0.587 G + 0.114 B) kept, the hue moved towards B a little: chroma off by
  // about 12/255
  const double dr = -0.04, dg = 0.299 * 0.04 / 0.587 * 0.6, db = (0.299 * 0.04 - 0.587 * dg) / 0.114;
  set(3, 3, A[0] + dr, A[1] + dg, A[2] + db);
  set(5, 3, A[0] + 0.1, A[1] + 0.1, A[2] + 0.1);  // another luma: stays
  set(6, 3, 0.5, 0.3, 0.9);                        // far from every colour: stays
  const std::vector<double> before = y;
  snap_boundary_chroma(y, h, w);
  auto px = [&](const std::vector<double>& v, int r, int c) { return &v[(size_t(r) * w + c) * 4]; };
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(px(y, 3, 3)[k], A[k], 1e-9) << "channel " << k;
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(px(y, 5, 3)[k], px(before, 5, 3)[k]);
    EXPECT_EQ(px(y, 6, 3)[k], px(before, 6, 3)[k]);
  }
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      if (c == 3 && r == 3) continue;
      for (int k = 0; k < 4; ++k) EXPECT_EQ(px(y, r, c)[k], px(before, r, c)[k]) << r << "," << c;
    }
}

}  // namespace
}  // namespace pixelart::testing
