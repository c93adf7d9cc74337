// src/cli/bench.cpp — `pixelart bench`: whole-model figures on this machine, side by side with a
// named peer in one run. `bench forward` times the restorer's forward pass and `bench train` the
// restorer trainer's steps, each with the production convolution (oneDNN on the CPU where the
// build has it, beside im2col + BLAS; cuDNN on CUDA) and with the direct-loop reference, and the
// tensor memory they hold.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cli/args.h"
#include "pixelart/autograd.h"
#include "pixelart/ops.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"
#include "pixelart/train.h"

namespace pixelart::cli {
namespace {

constexpr const char* kUsage = R"(usage: pixelart bench forward [--device D] [--size 256] [--runs 20] [--ref-runs 3] [--batch 1]
       [--narrow | --shipped] [--no-ref]
       pixelart bench train [--device D] [--batch B] [--steps S] [--ref-steps 1] [--narrow] [--no-ref]
       [--precision fp32|tf32|bf16]
       pixelart bench synth [--device D] [--size 256] [--batch B] [--runs 5]
  forward: the median time of the restorer's forward pass on --batch inputs of --size pixels,
           and the most tensor memory a pass holds, the production convolution (oneDNN on the
           CPU where the build has it, then im2col + BLAS beside it; cuDNN on CUDA) beside the
           direct-loop reference (on the CPU; --ref-runs of them, --no-ref skips it), in one run;
           --narrow: the narrow CPU-training widths instead of the full-size model;
           --shipped: the shipped restorer (the model `restore` uses by default)
  train:   the restorer trainer's own steps (damaged pairs synthesised on the device, forward,
           composite loss, backward, clipping, AdamW) on generated 16x16 sprites: median time
           per step, images/s and the most tensor memory a step holds, production beside the
           reference on the CPU (--ref-steps of them); --batch B (default 64 on CUDA, 4 on the
           CPU), --steps S timed (default 20 on CUDA, 5 on the CPU), --precision as `train`
  synth:   samples/s of each damage preset for --size inputs, batches of B (default 1024 on
           CUDA, 32 on the CPU)
  --device D   auto (default), cpu or cuda
  (the kernel-level benchmarks are build/bench/pixelart_bench, Google Benchmark))";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

template <class F>
std::vector<double> time_runs(int warmup, int runs, Device dev, F&& f) {
  for (int i = 0; i < warmup; ++i) f();
  synchronize(dev);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    synchronize(dev);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return ms;
}

// Runs of `run`, timed, with the most tensor storage they held beyond what was live before.
struct Timed {
  std::vector<double> ms;
  double tensors_mb = 0;
};
template <class F>
Timed measure(Device dev, int warmup, int n, F&& run) {
  reset_peak_tensor_bytes(dev);
  const int64_t before = tensor_bytes(dev).now;
  Timed t{time_runs(warmup, n, dev, run)};
  t.tensors_mb = double(tensor_bytes(dev).peak - before) / 1e6;
  return t;
}

// The side-by-side of `bench forward` and `bench train`: on the CPU (unless --no-ref) the
// direct-loop reference first, so that the production rows cannot hide their own scratch in pages
// the reference left resident, then (on the CPU with oneDNN) the im2col + OpenBLAS fallback, then
// the production convolution; a row each (`row(name, timed)`) and the speed-ups.
template <class Model, class Run, class Row>
void reference_then_production(Device dev, bool no_ref, Model& model, int ref_runs, int warmup, int runs, Run run, Row row) {
  const bool with_ref = dev == Device::CPU && !no_ref;
  double ref = 0;
  if (with_ref) {
    model.set_conv_impl(ConvImpl::Reference);
    const Timed t = measure(dev, 0, ref_runs, run);
    ref = median(t.ms);
    row("direct loops (reference)", t);
    model.set_conv_impl(ConvImpl::Auto);
  }
  // on the CPU with oneDNN, the im2col + OpenBLAS fallback beside it in the same run
  const bool dnnl = dev == Device::CPU && conv2d_cpu_uses_dnnl();
  double im2col = 0;
  if (dnnl) {
    model.set_conv_impl(ConvImpl::Im2col);
    const Timed t = measure(dev, warmup, runs, run);
    im2col = median(t.ms);
    row("im2col + OpenBLAS (fallback)", t);
    model.set_conv_impl(ConvImpl::Auto);
  }
  const Timed t = measure(dev, warmup, runs, run);
  row(dev != Device::CPU ? "cuDNN (production)" : dnnl ? "oneDNN (production)" : "im2col + OpenBLAS (production)", t);
  if (with_ref) std::printf("speed-up of production over reference: %.1fx\n", ref / median(t.ms));
  if (dnnl) std::printf("speed-up of production over im2col + OpenBLAS: %.2fx\n", im2col / median(t.ms));
}

int bench_forward(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"device", "size", "runs", "ref-runs", "batch"}, {"narrow", "shipped", "no-ref"});
  a.no_positional("bench forward");
  const Device dev = parse_device(a.get("device", "auto"));
  const int size = int(a.get_int("size", 256, 16, 8192));
  const int runs = int(a.get_int("runs", 20, 1, 100000));
  const int ref_runs = int(a.get_int("ref-runs", 3, 1, 1000));
  const int batch = int(a.get_int("batch", 1, 1, 4096));
  PA_CHECK(!(a.has("narrow") && a.has("shipped")), "bench forward: --narrow or --shipped, not both");
  // --shipped: the model `restore` uses by default, its shape and its weights
  Restorer model = a.has("shipped") ? load_restorer(default_model_path(), dev)
                                    : Restorer(a.has("narrow") ? RestorerConfig::narrow() : RestorerConfig{}, 1, DType::F32, dev);
  const RestorerConfig cfg = model.config();
  PA_CHECK(size % cfg.scale() == 0, "--size must be a multiple of " << cfg.scale());
  std::vector<Sprite> sprites;
  for (int i = 0; i < batch; ++i) sprites.push_back(generate_sprite(100 + i, size / cfg.scale()));
  Tensor x, target;
  sprites_to_pair(sprites, cfg.scale(), dev, &x, &target);
  NoGradGuard no_grad;
  const double gflop = double(cfg.forward_flops(size, size)) * batch / 1e9;
  std::printf("restorer %s forward, input %s, %.2f GFLOP per pass, device %s\n",
              cfg.describe().c_str(), x.describe().c_str(), gflop, to_string(dev));
  std::printf("%-34s %10s %10s %6s %9s %12s\n", "implementation", "median ms", "min ms", "runs", "GFLOP/s", "tensors MB");
  reference_then_production(dev, a.has("no-ref"), model, ref_runs, 2, runs, [&] { model.forward(x); },
                            [&](const char* name, const Timed& t) {
                              const double med = median(t.ms);
                              std::printf("%-34s %10.2f %10.2f %6zu %9.1f %12.1f\n", name, med,
                                          *std::min_element(t.ms.begin(), t.ms.end()), t.ms.size(), gflop / med * 1e3,
                                          t.tensors_mb);
                            });
  std::printf("tensors MB: the most tensor storage a pass held at once beyond the model and its input (the\n"
              "activations; %s);\nthe whole process peaked at %.0f MB resident\n",
              dev == Device::CPU ? "im2col + OpenBLAS also keeps an im2col buffer of at most ~8 MB"
                                 : "cuDNN's workspace is not a tensor",
              double(host_peak_rss_bytes()) / 1e6);
  return kExitOk;
}

// Training throughput: the restorer trainer's steps, production convolution beside the reference.
int bench_train(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"device", "batch", "steps", "ref-steps", "precision"}, {"narrow", "no-ref"});
  a.no_positional("bench train");
  const Device dev = parse_device(a.get("device", "auto"));
  TrainConfig cfg;
  if (a.has("narrow")) cfg.widths = RestorerConfig::narrow().widths;
  cfg.batch = int(a.get_int("batch", dev == Device::CUDA ? 64 : 4, 1, 4096));
  cfg.set("precision", a.get("precision", "fp32"));
  cfg.device = to_string(dev);
  cfg.steps = int64_t(1) << 40;  // the schedule's length: timing never reaches it
  cfg.validate();
  const int steps = int(a.get_int("steps", dev == Device::CUDA ? 20 : 5, 1, 100000));
  const int ref_steps = int(a.get_int("ref-steps", 1, 1, 1000));
  std::vector<Sprite> sprites;
  for (int i = 0; i < 512; ++i) sprites.push_back(generate_sprite(uint64_t(i), cfg.canvas));
  RestorerTrainer trainer(cfg, SpriteSet::pack(sprites, cfg.canvas), dev);
  const RestorerConfig mc = cfg.model();
  const int size = cfg.canvas * mc.scale();
  const double gflop = 3.0 * double(mc.forward_flops(size, size)) * cfg.batch / 1e9;  // forward + backward (2x)
  std::printf("%s training step, batch %d of %dx%d inputs, %s, %.1f GFLOP per step, device %s\n", trainer.describe().c_str(),
              cfg.batch, size, size, precision_name(cfg.precision), gflop, to_string(dev));
  std::printf("%-34s %10s %10s %6s %10s %9s %12s\n", "implementation", "median ms", "min ms", "steps", "images/s", "GFLOP/s",
              "tensors MB");
  trainer.step(nullptr);  // a first step, so that Adam's moments exist before either row
  synchronize(dev);
  reference_then_production(dev, a.has("no-ref"), trainer.model(), ref_steps, 1, steps, [&] { trainer.step(nullptr); },
                            [&](const char* name, const Timed& t) {
                              const double med = median(t.ms);
                              std::printf("%-34s %10.1f %10.1f %6zu %10.1f %9.1f %12.1f\n", name, med,
                                          *std::min_element(t.ms.begin(), t.ms.end()), t.ms.size(), cfg.batch / med * 1e3,
                                          gflop / med * 1e3, t.tensors_mb);
                            });
  std::printf("tensors MB: the most tensor storage a step held at once beyond the model and Adam's moments\n"
              "(activations, gradients, the synthesised batch); the whole process peaked at %.0f MB resident\n",
              double(host_peak_rss_bytes()) / 1e6);
  return kExitOk;
}

// Synthesis throughput: samples/s of each damage preset for S x S inputs.
int bench_synth(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"device", "size", "batch", "runs"}, {});
  a.no_positional("bench synth");
  const Device dev = parse_device(a.get("device", "auto"));
  const int size = int(a.get_int("size", 256, 16, 4096));
  const int batch = int(a.get_int("batch", dev == Device::CUDA ? 1024 : 32, 1, 1 << 16));
  const int runs = int(a.get_int("runs", 5, 1, 10000));
  std::vector<Sprite> s;
  for (int i = 0; i < 512; ++i) s.push_back(generate_sprite(uint64_t(i), 16));
  const SpriteSet set = SpriteSet::pack(s, 16);
  std::printf("synthesis of %dx%d RGBA inputs (16x16 targets), batch %d, device %s\n", size, size, batch, to_string(dev));
  std::printf("%-10s %12s %14s %12s\n", "preset", "median ms", "samples/s", "GB/s out");
  for (const char* preset : {"none", "original", "hard", "user"}) {
    Synthesizer synth(set, size, DamageConfig::preset(preset), dev);
    Tensor x, t;
    uint64_t first = 0;
    const auto ms = time_runs(1, runs, dev, [&] {
      synth.generate(1, first, batch, &x, &t);
      first += uint64_t(batch);
    });
    const double med = median(ms);
    std::printf("%-10s %12.2f %14.0f %12.2f\n", preset, med, batch / med * 1e3,
                double(batch) * size * size * 16 / med / 1e6);
  }
  return kExitOk;
}

}  // namespace

int run_bench(const std::vector<std::string>& argv) {
  const std::string what = argv.empty() ? "" : argv[0];
  const std::vector<std::string> rest(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  if (what == "forward") return bench_forward(rest);
  if (what == "train") return bench_train(rest);
  if (what == "synth") return bench_synth(rest);
  if (what == "-h" || what == "--help") throw HelpRequest{kUsage};
  throw Error(kUsage, ErrorKind::Usage);
}

}  // namespace pixelart::cli
