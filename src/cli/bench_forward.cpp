// src/cli/bench_forward.cpp — `pixelart bench forward`: the median time and tensor memory of the
// restorer's (or the x2 upscaler's) forward pass, production beside the reference and the peer.
#include "cli/bench.h"
#include "pixelart/autograd.h"
#include "pixelart/model_file.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"
#include "pixelart/train.h"
#include "pixelart/upscaler.h"
#include "settings_text.h"

namespace pixelart::cli {

int bench_forward(const std::vector<std::string>& argv) {
  Args a(argv, kBenchUsage, {"device", "size", "runs", "ref-runs", "batch", "precision"},
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

}  // namespace pixelart::cli
