// src/cli/bench.cpp — `pixelart bench`: whole-model figures on this machine, side by side with a
// named peer in one run. `bench forward` times the restorer's forward pass and `bench train` the
// restorer trainer's steps, each with the production convolution (oneDNN on the CPU where the
// build has it, beside im2col + BLAS; cuDNN on CUDA) and with the direct-loop reference, and the
// tensor memory they hold.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <vector>

#include "cli/args.h"
#include "pixelart/autograd.h"
#include "pixelart/ops.h"
#include "pixelart/postprocess.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"
#include "pixelart/train.h"
#include "pixelart/upscaler.h"
#include "settings_text.h"

namespace pixelart::cli {
namespace {

constexpr const char* kUsage = R"(usage: pixelart bench forward [--device D] [--size 256] [--runs 20] [--ref-runs 3] [--batch 1]
       [--narrow | --shipped | --upscaler] [--no-ref] [--no-peer] [--precision fp32|tf32|bf16]
       pixelart bench train [--device D] [--batch B] [--steps S] [--ref-steps 1] [--narrow | --shipped | --upscaler]
       [--no-ref] [--no-peer] [--precision fp32|tf32|bf16]
       pixelart bench synth [--device D] [--size 256] [--batch B] [--runs 5]
  forward: the median time of the restorer's forward pass on --batch inputs of --size pixels,
           and the most tensor memory a pass holds, the production convolution (oneDNN on the
           CPU where the build has it, then im2col + BLAS beside it; cuDNN on CUDA) beside the
           direct-loop reference (on the CPU; --ref-runs of them, --no-ref skips it), in one run;
           --narrow: the narrow CPU-training widths instead of the full-size model;
           --shipped: the shipped restorer (the model `restore` uses by default);
           --upscaler: the shipped x2 upscaler on --batch tiles (default 16) of --size pixels
           (its reference row only with --ref-runs)
  train:   the restorer trainer's own steps (damaged pairs synthesised on the device, forward,
           composite loss, backward, clipping, AdamW) on generated 16x16 sprites: median time
           per step, images/s and the most tensor memory a step holds, production beside the
           reference on the CPU (--ref-steps of them); --batch B (default 64 on CUDA, 4 on the
           CPU), --steps S timed (default 20 on CUDA, 5 on the CPU), --precision as `train`
           --shipped: the shipped restorer's widths and context layers; --upscaler: the shipped x2
           upscaler's shape on 32 patches of 80 pixels (default) of generated images
  synth:   samples/s of each damage preset for --size inputs, batches of B (default 1024 on
           CUDA, 32 on the CPU)
  PyTorch: forward and train end with the same shape in PyTorch (tools/torch_peer.py, one case,
           channels-last) and the ratio, when a PyTorch is importable: $PIXELART_TORCH_PYTHON,
           the source tree's .venv-torch (made by tools/setup.sh's peer option) or python3;
           --no-peer skips it. On the CPU in fp32 with as many threads as this run's OpenMP; on
           CUDA at the same --precision (fp32: TF32 off; bf16: autocast), eager and through
           torch.compile, two rows. Its training step is forward, MSE, backward and AdamW on
           fixed random data: it does less than ours
  --precision  fp32 (default), tf32 or bf16: the convolutions' and the projection's arithmetic
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

// The named peer in this run: PyTorch on this device, the same shape (`peer_args`:
// tools/torch_peer.py's --case arguments); on the CPU with as many threads, on CUDA eager or
// through torch.compile. Its median ms, or nothing (with the reason printed).
std::optional<double> torch_peer(Device dev, const std::string& peer_args, const char* label) {
  const std::string src = PIXELART_SOURCE_DIR;
  const char* env_src = std::getenv("PIXELART_SOURCE_DIR");  // a carried build's source tree (tools/gpu_check.sh)
  const std::string script = (env_src ? std::string(env_src) : src) + "/tools/torch_peer.py";
  if (!std::filesystem::exists(script)) {
    std::printf("PyTorch (peer): %s is not here (a source tree's tools/ holds it)\n", script.c_str());
    return std::nullopt;
  }
  std::vector<std::string> pythons;
  if (const char* e = std::getenv("PIXELART_TORCH_PYTHON")) pythons.push_back(e);
  pythons.push_back(src + "/.venv-torch/bin/python");
  pythons.push_back("python3");
  auto quoted = [](const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  const int threads = omp_get_max_threads();
  const bool cpu = dev == Device::CPU;
  for (const std::string& py : pythons) {
    if (py.find('/') != std::string::npos && !std::filesystem::exists(py)) continue;
    const std::string cmd = (cpu ? "OMP_NUM_THREADS=" + std::to_string(threads) + " " : std::string()) + quoted(py) + " " +
                            quoted(script) + (cpu ? " --device cpu --threads " + std::to_string(threads) : std::string(" --device cuda")) +
                            " " + peer_args + " 2>/dev/null";
    std::fflush(stdout);
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) continue;
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    const int rc = pclose(f);
    const size_t k = out.find("\"ms\": ");
    if (rc != 0 || k == std::string::npos) continue;  // no torch there (or no GPU for it): the next one
    const size_t v = out.find("\"torch\": \"");
    const std::string version = v == std::string::npos ? "?" : out.substr(v + 10, out.find('"', v + 10) - v - 10);
    const double ms = std::atof(out.c_str() + k + 6);
    if (cpu)
      std::printf("%-34s %10.2f  (PyTorch %s, %d threads, channels-last fp32, %s)\n", label, ms, version.c_str(), threads, py.c_str());
    else
      std::printf("%-34s %10.2f  (PyTorch %s, channels-last, CUDA events, %s)\n", label, ms, version.c_str(), py.c_str());
    return ms;
  }
  std::printf("%s: not importable%s (tools/setup.sh --peer installs PyTorch in %s/.venv-torch)\n", label,
              cpu ? "" : ", or it sees no GPU", src.c_str());
  return std::nullopt;
}
// The side-by-side of `bench forward` and `bench train`: on the CPU (unless --no-ref) the
// direct-loop reference first, so that the production rows cannot hide their own scratch in pages
// the reference left resident, then (on the CPU with oneDNN) the im2col + OpenBLAS fallback, then
// the production convolution; a row each (`row(name, timed)`) and the speed-ups. Returns the
// production median.
template <class Model, class Run, class Row>
double reference_then_production(Device dev, bool no_ref, Model& model, int ref_runs, int warmup, int runs, Run run, Row row) {
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
  return median(t.ms);
}

// The peer's rows and the ratios, unless --no-peer: on the CPU one, on CUDA PyTorch eager and
// through torch.compile, at the same precision.
void peer_ratio(const Args& a, Device dev, const std::string& peer_args, double production_ms, Precision precision,
                const char* note = "") {
  if (a.has("no-peer")) return;
  if (dev == Device::CPU) {
    if (const auto ms = torch_peer(dev, peer_args, "PyTorch (peer)"))
      std::printf("PyTorch / production: %.2fx (above 1: pixelart is faster)%s\n", *ms / production_ms, note);
    return;
  }
  const std::string p = std::string(" --precision ") + precision_name(precision);
  for (const auto& [compile, label] : {std::pair{"0", "PyTorch eager (peer)"}, std::pair{"1", "PyTorch torch.compile (peer)"}})
    if (const auto ms = torch_peer(dev, peer_args + p + " --compile " + compile, label))
      std::printf("%s / production: %.2fx (above 1: pixelart is faster)%s\n", label, *ms / production_ms, note);
}

int bench_forward(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"device", "size", "runs", "ref-runs", "batch", "precision"},
         {"narrow", "shipped", "upscaler", "no-ref", "no-peer"});
  a.no_positional("bench forward");
  const Device dev = parse_device(a.get("device", "auto"));
  const Precision precision = parse_precision(a.get("precision", "fp32"));
  const int size = int(a.get_int("size", 256, 16, 8192));
  const int runs = int(a.get_int("runs", a.has("upscaler") ? 3 : 20, 1, 100000));
  const int ref_runs = int(a.get_int("ref-runs", 3, 1, 1000));
  PA_CHECK(int(a.has("narrow")) + int(a.has("shipped")) + int(a.has("upscaler")) <= 1,
           "bench forward: one of --narrow, --shipped and --upscaler");
  const bool up = a.has("upscaler");
  const int batch = int(a.get_int("batch", up ? 16 : 1, 1, 4096));
  auto row = [](double gflop) {
    return [gflop](const char* name, const Timed& t) {
      const double med = median(t.ms);
      std::printf("%-34s %10.2f %10.2f %6zu %9.1f %12.1f\n", name, med, *std::min_element(t.ms.begin(), t.ms.end()), t.ms.size(),
                  gflop / med * 1e3, t.tensors_mb);
    };
  };
  const char* header = "%-34s %10s %10s %6s %9s %12s\n";
  NoGradGuard no_grad;
  double production = 0;
  std::string peer;
  if (up) {  // the shipped x2 upscaler on tiles as `upscale` runs it (premultiplied, interpolated)
    double factor = 0;
    Upscaler model = load_upscaler(shipped_upscaler(2.0, &factor), dev);
    model.set_precision(precision);
    const UpscalerConfig& cfg = model.config();
    PA_CHECK(size > 2 * cfg.margin() && size % cfg.unshuffle == 0,
             "--size must exceed " << 2 * cfg.margin() << " and be a multiple of " << cfg.unshuffle);
    std::vector<double> v(size_t(batch) * size * size * 4);
    for (size_t i = 0; i < v.size(); ++i) v[i] = double((i * 2654435761u) % 1000) / 1000.0;
    const Tensor x = Tensor::from_vector(v, {batch, size, size, 4}, DType::F32, dev);
    const int out = size - 2 * cfg.margin();
    const double gflop = cfg.forward_flops(size) * batch / 1e9;
    std::printf("upscaler %s (x%g) forward, %d tiles of %dx%d (%dx%d out), %s, %.1f GFLOP per pass, device %s\n",
                cfg.describe().c_str(), factor, batch, size, size, out, out, precision_name(precision), gflop, to_string(dev));
    std::printf(header, "implementation", "median ms", "min ms", "runs", "GFLOP/s", "tensors MB");
    production = reference_then_production(dev, a.has("no-ref") || !a.has("ref-runs"), model, ref_runs, 1, runs,
                                           [&] { model.forward(x); }, row(gflop));
    peer = "--case forward --batch " + std::to_string(batch) + " --size " + std::to_string(size) + " --upscaler " +
           text::join(cfg.filters) + " --kernels " + text::join(cfg.kernels) + " --unshuffle " + std::to_string(cfg.unshuffle);
  } else {
    // --shipped: the model `restore` uses by default, its shape and its weights
    Restorer model = a.has("shipped") ? load_restorer(default_model_path(), dev)
                                      : Restorer(a.has("narrow") ? RestorerConfig::narrow() : RestorerConfig{}, 1, DType::F32, dev);
    model.set_precision(precision);
    const RestorerConfig cfg = model.config();
    PA_CHECK(size % cfg.scale() == 0, "--size must be a multiple of " << cfg.scale());
    std::vector<Sprite> sprites;
    for (int i = 0; i < batch; ++i) sprites.push_back(generate_sprite(100 + i, size / cfg.scale()));
    Tensor x, target;
    sprites_to_pair(sprites, cfg.scale(), dev, &x, &target);
    const double gflop = double(cfg.forward_flops(size, size)) * batch / 1e9;
    std::printf("restorer %s forward, input %s, %s, %.2f GFLOP per pass, device %s\n", cfg.describe().c_str(),
                x.describe().c_str(), precision_name(precision), gflop, to_string(dev));
    std::printf(header, "implementation", "median ms", "min ms", "runs", "GFLOP/s", "tensors MB");
    production = reference_then_production(dev, a.has("no-ref"), model, ref_runs, 2, runs, [&] { model.forward(x); }, row(gflop));
    peer = "--case forward --batch " + std::to_string(batch) + " --size " + std::to_string(size) + " --restorer " +
           text::join(cfg.widths) + " --context " + std::to_string(cfg.context) + " --runs " + std::to_string(std::min(runs, 50));
  }
  std::printf("tensors MB: the most tensor storage a pass held at once beyond the model and its input (the\n"
              "activations; %s);\nthe whole process peaked at %.0f MB resident\n",
              dev == Device::CPU ? "im2col + OpenBLAS also keeps an im2col buffer of at most ~8 MB"
                                 : "cuDNN's workspace is not a tensor",
              double(host_peak_rss_bytes()) / 1e6);
  peer_ratio(a, dev, peer + (up ? " --runs " + std::to_string(std::min(runs, 5)) : ""), production, precision);
  return kExitOk;
}

// Training throughput: the trainer's own steps, production convolution beside the reference.
int bench_train(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"device", "batch", "steps", "ref-steps", "precision"}, {"narrow", "shipped", "upscaler", "no-ref", "no-peer"});
  a.no_positional("bench train");
  const Device dev = parse_device(a.get("device", "auto"));
  PA_CHECK(int(a.has("narrow")) + int(a.has("shipped")) + int(a.has("upscaler")) <= 1,
           "bench train: one of --narrow, --shipped and --upscaler");
  const bool up = a.has("upscaler");
  TrainConfig cfg;
  if (up) {  // the shipped x2 upscaler's shape
    double factor = 0;
    const UpscalerConfig u = load_upscaler(shipped_upscaler(2.0, &factor), Device::CPU).config();
    cfg.set("task", "upscale");
    cfg.filters = u.filters, cfg.kernels = u.kernels, cfg.unshuffle = u.unshuffle, cfg.factor = factor;
    cfg.patch = 80;
    cfg.loss = LossWeights{{1.0, 0.0, 0.5, 0.0}};
  }
  if (a.has("narrow")) cfg.widths = RestorerConfig::narrow().widths;
  if (a.has("shipped")) {
    const RestorerConfig shipped = load_restorer(default_model_path(), Device::CPU).config();
    cfg.widths = shipped.widths, cfg.context = shipped.context;
  }
  cfg.batch = int(a.get_int("batch", dev == Device::CUDA ? 64 : up ? 32 : 4, 1, 4096));
  cfg.set("precision", a.get("precision", "fp32"));
  cfg.device = to_string(dev);
  cfg.steps = int64_t(1) << 40;  // the schedule's length: timing never reaches it
  cfg.validate();
  const int steps = int(a.get_int("steps", dev == Device::CUDA ? 20 : 5, 1, 100000));
  const int ref_steps = int(a.get_int("ref-steps", 1, 1, 1000));
  std::unique_ptr<Trainer> trainer;
  double gflop = 0;
  int size = 0;
  std::string shape;
  if (up) {  // patches of generated sprites enlarged to 256 px
    std::vector<Sprite> images;
    for (int i = 0; i < 64; ++i) images.push_back(scale_pixel_art(generate_sprite(uint64_t(i), 16), 16, false));
    auto t = std::make_unique<UpscalerTrainer>(cfg, images, dev);
    const UpscalerConfig u = cfg.upscaler();
    size = cfg.patch;
    gflop = 3.0 * u.forward_flops(size) * cfg.batch / 1e9;  // forward + backward (2x)
    shape = "--upscaler " + text::join(u.filters) + " --kernels " + text::join(u.kernels) + " --unshuffle " + std::to_string(u.unshuffle);
    trainer = std::move(t);
  } else {
    std::vector<Sprite> sprites;
    for (int i = 0; i < 512; ++i) sprites.push_back(generate_sprite(uint64_t(i), cfg.canvas));
    trainer = std::make_unique<RestorerTrainer>(cfg, SpriteSet::pack(sprites, cfg.canvas), dev);
    const RestorerConfig mc = cfg.model();
    size = cfg.canvas * mc.scale();
    gflop = 3.0 * double(mc.forward_flops(size, size)) * cfg.batch / 1e9;  // forward + backward (2x)
    shape = "--restorer " + text::join(mc.widths) + " --context " + std::to_string(mc.context);
  }
  std::printf("%s training step, batch %d of %dx%d inputs, %s, %.1f GFLOP per step, device %s\n", trainer->describe().c_str(),
              cfg.batch, size, size, precision_name(cfg.precision), gflop, to_string(dev));
  std::printf("%-34s %10s %10s %6s %10s %9s %12s\n", "implementation", "median ms", "min ms", "steps", "images/s", "GFLOP/s",
              "tensors MB");
  trainer->step(nullptr);  // a first step, so that Adam's moments exist before either row
  synchronize(dev);
  auto row = [&](const char* name, const Timed& t) {
    const double med = median(t.ms);
    std::printf("%-34s %10.1f %10.1f %6zu %10.1f %9.1f %12.1f\n", name, med, *std::min_element(t.ms.begin(), t.ms.end()),
                t.ms.size(), cfg.batch / med * 1e3, gflop / med * 1e3, t.tensors_mb);
  };
  auto run = [&] { trainer->step(nullptr); };
  const double production =
      up ? reference_then_production(dev, a.has("no-ref"), static_cast<UpscalerTrainer&>(*trainer).model(), ref_steps, 1, steps, run, row)
         : reference_then_production(dev, a.has("no-ref"), static_cast<RestorerTrainer&>(*trainer).model(), ref_steps, 1, steps, run, row);
  std::printf("tensors MB: the most tensor storage a step held at once beyond the model and Adam's moments\n"
              "(activations, gradients, the %s batch); the whole process peaked at %.0f MB resident\n",
              up ? "sampled" : "synthesised", double(host_peak_rss_bytes()) / 1e6);
  peer_ratio(a, dev, "--case train --batch " + std::to_string(cfg.batch) + " --size " + std::to_string(size) + " " + shape + " --runs " +
                         std::to_string(std::max(3, steps)),
             production, cfg.precision, up ? "; the peer's step has a plain MSE and no sampling: it does less"
                            : "; the peer's step has a plain MSE and no synthesis: it does less");
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
