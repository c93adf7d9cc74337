// bench/bench_kernels.cpp — Google Benchmark over the op catalogue (catalogue/op_catalogue.h) at the
// restorer's real sizes: every op forward and forward+backward, on the CPU and on CUDA (CUDA
// cases skip without a GPU). The production ops are called, never a copy of them; parity of
// exactly these cases is tested in tests/test_parity.cpp. Counters: GFLOP/s for the
// convolutions and the projection, GB/s (minimum bytes) for the memory-bound ops.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>

#include "op_catalogue.h"
#include "pixelart/autograd.h"
#include "pixelart/lattice.h"
#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/postprocess.h"
#include "pixelart/restorer.h"
#include "pixelart/synth.h"
#include "pixelart/upscaler.h"
#include "rng.h"

namespace pixelart::testing {
namespace {

void run_case(benchmark::State& state, const OpCase& c, Device dev, bool backward) {
  if (dev == Device::CUDA && !cuda_available()) {
    state.SkipWithError(("no GPU: " + cuda_unavailable_reason()).c_str());
    return;
  }
  if (dev == Device::CUDA && !c.cuda) {
    state.SkipWithError("CPU-only reference");
    return;
  }
  const auto in = make_inputs(c, 3, DType::F32, dev);
  Tensor seed_grad;
  for (auto _ : state) {
    if (!backward) {
      NoGradGuard ng;
      benchmark::DoNotOptimize(c.fn(in).raw());
    } else {
      Tape tape;
      TapeScope scope(tape);
      Tensor out = c.fn(in);
      if (!seed_grad.defined()) seed_grad = Tensor::full(out.shape(), 1.0, DType::F32, dev);
      out.set_grad(seed_grad);
      tape.backward(weighted_sum(out, seed_grad));  // d/d out = 1 everywhere
    }
    synchronize(dev);
  }
  const double mult = backward ? 3.0 : 1.0;  // backward ~ 2x forward for GEMM-shaped ops
  if (c.flops > 0)
    state.counters["GFLOP/s"] = benchmark::Counter(c.flops * mult * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (c.bytes > 0)
    state.counters["GB/s"] = benchmark::Counter(c.bytes * mult * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// An input x and a target t of uniform values in [0, 1) (never zeros), as the op catalogue makes them.
std::pair<Tensor, Tensor> input_and_target(const Shape& x, const Shape& t, Device dev) {
  OpCase io;
  io.inputs = {{x, 0.0, 1.0, false}, {t, 0.0, 1.0, false}};
  const std::vector<Tensor> v = make_inputs(io, 5, DType::F32, dev);
  return {v[0], v[1]};
}
// Times a model's forward (no tape), or one training step: forward, the composite loss against t,
// backward, AdamW.
template <class Model>
void time_model(benchmark::State& state, Model& model, const Tensor& x, const Tensor& t, const LossWeights& w, bool train, Device dev) {
  reset_peak_tensor_bytes(dev);
  Adam opt(model.params(), AdamConfig{});
  for (auto _ : state) {
    if (!train) {
      NoGradGuard ng;
      benchmark::DoNotOptimize(model.forward(x).raw());
    } else {
      model.params().zero_grad();
      Tape tape;
      TapeScope scope(tape);
      tape.backward(composite_loss(model.forward(x), t, w).total);
      opt.step();
    }
    synchronize(dev);
  }
  // the most tensor storage live at once: model, optimizer state, inputs and activations (as
  // torch.cuda.max_memory_allocated after reset_peak_memory_stats in tools/torch_peer.py)
  state.counters["tensor_MB"] = double(tensor_bytes(dev).peak) / 1e6;
}

// The whole restorer, as training and restoration run it: forward at batch 1 and 256, and one
// training step (forward, loss, backward, AdamW) at batch 64, the step also at each precision.
// The peer on the GPU machine is tools/torch_peer.py (the same model in PyTorch), run beside this
// by tools/gpu_check.sh.
void restorer_case(benchmark::State& state, Device dev, int batch, bool train, Precision precision,
                   const RestorerConfig& cfg = RestorerConfig{}) {
  if (dev == Device::CUDA && !cuda_available()) {
    state.SkipWithError(("no GPU: " + cuda_unavailable_reason()).c_str());
    return;
  }
  Restorer model(cfg, 1, DType::F32, dev);
  model.set_precision(precision);
  const auto [x, t] = input_and_target({batch, 256, 256, 4}, {batch, 16, 16, 4}, dev);
  time_model(state, model, x, t, LossWeights{}, train, dev);
  const double flops = double(cfg.forward_flops(256, 256)) * batch * (train ? 3.0 : 1.0);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["images/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
}

// The upscaler (SRCNN-style, valid convolutions): the shipped shape (x2, x3, x4), eight 3x3
// convolutions (32@3x7-4@3), the same depth at twice the width on 2x2 blocks
// (2x2:64@3x7-16@3, --unshuffle 2: a quarter of the positions), the same with eleven hidden
// layers (2x2:64@3x11-16@3, the shipped x2 model), SRCNN's 64@9-32@5-4@5 (an earlier shipped
// shape) and the design's 64@7-64@5-64@3-4@1. forward: a batch of 16 tiles of 256 x 256 interpolated pixels, as
// Upscaler::upscale runs them (megapixels/s of output); train_step: one step on 48 x 48 patches
// (larger for a deeper stack, so that 32 x 32 targets remain; forward, MSE + 0.5 edge as
// `train upscale`, backward, AdamW).
void upscaler_case(benchmark::State& state, Device dev, const UpscalerConfig& cfg, int batch, bool train, Precision precision) {
  if (dev == Device::CUDA && !cuda_available()) {
    state.SkipWithError(("no GPU: " + cuda_unavailable_reason()).c_str());
    return;
  }
  Upscaler model(cfg, 1, DType::F32, dev);
  model.set_precision(precision);
  // training patches of 48 px, or larger where the valid convolutions would leave under 32 px
  const int P = train ? std::max(48, 2 * cfg.margin() + 32) : 256, T = P - 2 * cfg.margin();
  LossWeights w;  // MSE + 0.5 edge, as `train upscale`
  w[2] = 0.5;
  const auto [x, t] = input_and_target({batch, P, P, 4}, {batch, T, T, 4}, dev);
  time_model(state, model, x, t, w, train, dev);
  double flops = 0;  // multiply-adds x 2 over the shrinking valid sizes (of blocks, with --unshuffle)
  int64_t size = P / cfg.unshuffle;
  for (const ParamSpec& spec : cfg.param_specs())
    if (spec.shape.size() == 4) {  // the conv weights in order, [out, k, k, in]
      size -= spec.shape[1] - 1;
      flops += 2.0 * double(size * size) * double(shape_numel(spec.shape));
    }
  flops *= batch * (train ? 3.0 : 1.0);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (train) state.counters["patches/s"] = benchmark::Counter(batch, benchmark::Counter::kIsIterationInvariantRate);
  else state.counters["Mpx/s"] = benchmark::Counter(double(batch) * T * T * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

// `Upscaler::upscale` end to end at x2 on one 256 x 256 RGBA image (output 512 x 512, Mpx/s of
// output): premultiply, bicubic, border, the network in 256 px tiles, keeping flat alpha and
// colour, back-projection (the _no_back_projection case leaves it out), unpremultiply. Beside
// cpu/upscaler_32@3x7-4@3_forward_b16 (the network alone) it shows what the rest costs. The image: smooth colour fields with flat rectangles and a transparent
// hole, so that both the network and the flat-keeping have work.
void upscale_end_to_end_case(benchmark::State& state, const UpscalerConfig& cfg, bool back_project) {
  Upscaler model(cfg, 1);
  Sprite img;
  img.width = img.height = 256;
  img.rgba.resize(size_t(256) * 256 * 4);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x) {
      uint8_t* p = img.px(x, y);
      const bool flat = (x / 64 + y / 64) % 2 == 0, hole = (x - 128) * (x - 128) + (y - 128) * (y - 128) < 400;
      p[0] = uint8_t(flat ? 40 : 128 + 100 * std::sin(0.2 * x));
      p[1] = uint8_t(flat ? 200 : 128 + 100 * std::cos(0.15 * y));
      p[2] = uint8_t(flat ? 90 : (x * y) % 256);
      p[3] = hole ? 0 : 255;
    }
  for (auto _ : state) {
    Sprite out = model.upscale(img, 2.0, {.back_project = back_project});
    benchmark::DoNotOptimize(out.rgba.data());
  }
  state.counters["Mpx/s"] = benchmark::Counter(512.0 * 512 * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

// The colour refinement `restore` runs on the host after the network (postprocess.h): grid search,
// mean shift per cell, palette pooling. Inputs: 64 procedural sprites under `hard` damage at
// 256 x 256; the "network output" is the true sprite with a few levels of noise, as a trained
// model's is near it. On a GPU server this is the host's share of every batch.
void refine_case(benchmark::State& state) {
  const int n = 64;
  std::vector<Sprite> sprites;
  for (int i = 0; i < n; ++i) sprites.push_back(generate_sprite(uint64_t(100 + i), 16));
  Synthesizer synth(SpriteSet::pack(sprites, 16), 256, DamageConfig::hard(), Device::CPU);
  Tensor x, t;
  synth.generate(3, 0, n, &x, &t);
  const std::vector<double> xv = x.to_vector(), tv = t.to_vector();
  std::vector<double> y0 = tv;
  for (size_t i = 0; i < y0.size(); ++i) y0[i] += 0.02 * (kernels::uniform01(9, 0, i) - 0.5);
  for (auto _ : state) {
    std::vector<double> y = y0;
    refine_colours(y, xv, n, 16, 16, 16);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["sprites/s"] = benchmark::Counter(n, benchmark::Counter::kIsIterationInvariantRate);
}

// The pixel grid search of the restore pipeline (lattice.h): a sheet of procedural sprites at
// 7.3 x 7.1 pixels per sprite pixel over a noisy flat background, side x side pixels; ms per
// megapixel. And the resampling onto the canonical lattice that follows it (16 pixels a cell).
Sprite lattice_image(int side) {
  const int cells = int(side / 7.3) + 1;
  const int n = (cells + 15) / 16;
  Sprite sheet;
  sheet.width = sheet.height = n * 16;
  sheet.rgba.assign(size_t(sheet.width) * sheet.height * 4, 0);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const Sprite g = generate_sprite(uint64_t(r * n + c), 16);
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) std::copy(g.px(x, y), g.px(x, y) + 4, sheet.px(c * 16 + x, r * 16 + y));
    }
  Sprite img;
  img.width = img.height = side;
  img.rgba.resize(size_t(side) * side * 4);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const uint8_t* p = sheet.px(std::min(sheet.width - 1, int((x + 0.5) / 7.3)), std::min(sheet.height - 1, int((y + 0.5) / 7.1)));
      const double a = p[3] / 255.0;
      for (int c = 0; c < 3; ++c)
        img.px(x, y)[c] = uint8_t(std::clamp(a * p[c] + (1 - a) * 90 + 8 * (kernels::uniform01(1, uint64_t(y) * side + x, c) - 0.5), 0.0, 255.0));
      img.px(x, y)[3] = 255;
    }
  return img;
}
void lattice_case(benchmark::State& state, int side) {
  const Sprite img = lattice_image(side);
  double ms = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(find_lattice(img).x.pitch);
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["ms_per_Mpx"] = ms / double(state.iterations()) / (double(side) * side * 1e-6);
}
void canonical_case(benchmark::State& state, int side) {
  const Sprite img = lattice_image(side);
  const Lattice l = find_lattice(img);
  double ms = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(resample_to_lattice(img, l, 16).rgba.data());
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["ms_per_Mpx"] = ms / double(state.iterations()) / (double(side) * side * 1e-6);  // of the input
}

int register_all() {
  for (int side : {256, 1024, 2048}) {
    benchmark::RegisterBenchmark(("cpu/lattice_search_" + std::to_string(side)).c_str(), [side](benchmark::State& s) { lattice_case(s, side); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("cpu/resample_to_lattice_" + std::to_string(side)).c_str(), [side](benchmark::State& s) { canonical_case(s, side); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("cpu/refine_colours_b64", refine_case)->Unit(benchmark::kMillisecond)->UseRealTime();
  using P = Precision;
  for (auto [dev, batch, train, prec] :
       {std::tuple{Device::CPU, 1, false, P::FP32}, {Device::CPU, 4, true, P::FP32}, {Device::CPU, 4, true, P::BF16},
        {Device::CUDA, 1, false, P::FP32}, {Device::CUDA, 256, false, P::FP32}, {Device::CUDA, 64, true, P::FP32},
        {Device::CUDA, 64, true, P::TF32}, {Device::CUDA, 64, true, P::BF16}}) {
    const std::string name = std::string(to_string(dev)) + "/restorer_" + (train ? "train_step" : "forward") + "_b" +
                             std::to_string(batch) + (prec == P::FP32 ? "" : std::string("_") + precision_name(prec));
    benchmark::RegisterBenchmark(name.c_str(), [dev, batch, train, prec](benchmark::State& s) { restorer_case(s, dev, batch, train, prec); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  // the narrow CPU-training widths and the shipped restorer's shape (4-16-32-64-64, twelve
  // context layers), on the CPU, beside tools/torch_peer.py --device cpu
  RestorerConfig shipped_restorer;
  shipped_restorer.widths = {16, 32, 64, 64};
  shipped_restorer.context = 12;
  for (const auto& [label, cfg] : {std::pair{std::string("narrow"), RestorerConfig::narrow()}, std::pair{std::string("shipped"), shipped_restorer}})
    for (const auto& [batch, train] : {std::pair{1, false}, std::pair{4, true}}) {
      const std::string name = "cpu/restorer_" + label + "_" + (train ? "train_step" : "forward") + "_b" + std::to_string(batch);
      benchmark::RegisterBenchmark(name.c_str(), [cfg = cfg, batch = batch, train = train](benchmark::State& s) {
        restorer_case(s, Device::CPU, batch, train, Precision::FP32, cfg);
      })->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  const UpscalerConfig srcnn{{64, 32}, {9, 5, 5}, 4}, design{},
      shipped{std::vector<int>(7, 32), std::vector<int>(8, 3), 4},
      blocks{std::vector<int>(7, 64), std::vector<int>(8, 3), 4, 2},
      deep{std::vector<int>(11, 64), std::vector<int>(12, 3), 4, 2};  // the shipped x2 model
  for (auto [dev, cfg, batch, train, prec] :
       {std::tuple{Device::CPU, srcnn, 16, false, P::FP32}, {Device::CPU, srcnn, 32, true, P::FP32},
        {Device::CPU, srcnn, 32, true, P::BF16}, {Device::CPU, shipped, 16, false, P::FP32},
        {Device::CPU, shipped, 32, true, P::FP32}, {Device::CPU, blocks, 16, false, P::FP32},
        {Device::CPU, blocks, 32, true, P::FP32}, {Device::CPU, deep, 16, false, P::FP32},
        {Device::CPU, deep, 32, true, P::FP32}, {Device::CUDA, srcnn, 16, false, P::FP32},
        {Device::CUDA, design, 16, false, P::FP32}, {Device::CUDA, shipped, 16, false, P::FP32},
        {Device::CUDA, blocks, 16, false, P::FP32}, {Device::CUDA, blocks, 256, true, P::FP32},
        {Device::CUDA, deep, 16, false, P::FP32}, {Device::CUDA, deep, 256, true, P::FP32},
        {Device::CUDA, srcnn, 256, true, P::FP32}, {Device::CUDA, shipped, 256, true, P::FP32},
        {Device::CUDA, design, 256, true, P::FP32}, {Device::CUDA, design, 256, true, P::TF32},
        {Device::CUDA, design, 256, true, P::BF16}}) {
    const std::string name = std::string(to_string(dev)) + "/upscaler_" + cfg.describe() + "_" +
                             (train ? "train_step" : "forward") + "_b" + std::to_string(batch) +
                             (prec == P::FP32 ? "" : std::string("_") + precision_name(prec));
    benchmark::RegisterBenchmark(name.c_str(), [dev, cfg, batch, train, prec](benchmark::State& s) {
      upscaler_case(s, dev, cfg, batch, train, prec);
    })->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  for (const auto& [cfg, bp] : {std::pair{shipped, true}, std::pair{blocks, true}, std::pair{blocks, false}, std::pair{deep, true}})
    benchmark::RegisterBenchmark(("cpu/upscale_x2_end_to_end_" + cfg.describe() + (bp ? "" : "_no_back_projection")).c_str(),
                                 [cfg, bp](benchmark::State& s) { upscale_end_to_end_case(s, cfg, bp); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  for (const OpCase& c : op_catalogue(CatalogueSize::Bench))
    for (Device dev : {Device::CPU, Device::CUDA})
      for (bool bwd : {false, true}) {
        if (bwd && !c.bench_backward) continue;
        const std::string name = std::string(to_string(dev)) + "/" + c.name + (bwd ? "/fwd+bwd" : "/fwd");
        benchmark::RegisterBenchmark(name.c_str(), [c, dev, bwd](benchmark::State& s) { run_case(s, c, dev, bwd); })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
  return 0;
}
const int registered = register_all();

}  // namespace
}  // namespace pixelart::testing

BENCHMARK_MAIN();
