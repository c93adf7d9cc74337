// src/cli/bench_train.cpp — `pixelart bench train`: the trainers' own steps per second and the
// tensor memory a step holds, production beside the reference and the peer.
#include <memory>

#include "cli/bench.h"
#include "pixelart/autograd.h"
#include "pixelart/model_file.h"
#include "pixelart/postprocess.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"
#include "pixelart/train.h"
#include "pixelart/upscaler.h"
#include "settings_text.h"

namespace pixelart::cli {

// Training throughput: the trainer's own steps, production convolution beside the reference.
int bench_train(const std::vector<std::string>& argv) {
  Args a(argv, kBenchUsage, {"device", "batch", "steps", "ref-steps", "precision"}, {"narrow", "shipped", "upscaler", "no-ref", "no-peer"});
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

}  // namespace pixelart::cli
