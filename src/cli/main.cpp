// src/cli/main.cpp — the `pixelart` binary: subcommand dispatch, errors to exit codes.
// Exit codes: include/pixelart/error.h (and the README).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/args.h"
#include "pixelart/autograd.h"
#include "pixelart/image_io.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"

namespace pixelart::cli {
namespace {

constexpr const char* kUsage = R"(pixelart — restore damaged pixel art (C++/CUDA, runs on CPU too)

usage: pixelart <command> [options]

commands:
  restore   restore damaged images to pixel-perfect RGBA sprites (IMAGE|DIR|GLOB... -o OUT)
  upscale   SRCNN-style upscaling of art, RGBA included (IMAGE|DIR... -o OUT -f 2 --passes 1);
            --pixel-art nearest|restore for small sprites
  eval-upscale  the upscaler on held-out images at x2/x3/x4 against bicubic and Lanczos (PSNR, SSIM)
  eval      restoration quality on held-out sprites per damage family (--model M --data SPRITES)
  forward   one forward pass of the sprite restorer on a generated sprite: prints the output
            shape and the time (a fresh, untrained model, full size or --narrow: a smoke test)
  bench     benchmarks; `pixelart bench forward --device cpu` times the full-size forward pass
            against the direct-loop reference in one run
  sprites   build a packed sprite set (.sprites, safetensors) from sheets, XPM files, atlases,
            folders of images or the procedural generator; prints what it found
  train     train restore|upscale: train a model (checkpoints, --resume, metrics, curves)
  plot      training curves of one or more runs as a PNG (RUN/metrics.jsonl ... -o curves.png)
  synth     damaged/clean training pairs and a contact sheet, from sprite sets (--data)
  info      build and device information

common options:
  --device auto|cpu|cuda   where to run (default auto: CUDA when a GPU is usable)
  -h, --help               this text; `pixelart COMMAND --help`: the command's options
  --version                the version, and whether the CUDA backend is built in
  --                       the words after it are file names, even those that begin with -

exit codes: 0 ok, 1 runtime error, 2 usage error, 3 no usable GPU for --device cuda,
            4 bad input file, 5 batch finished with some failed inputs, 6 an output could not
            be written (nothing was replaced),
            130 train stopped by Ctrl-C (143: SIGTERM) after saving the run
)";

constexpr const char* kInfoUsage = R"(usage: pixelart info
  whether the CUDA backend is built in, the GPU it would use (or why none is usable), the
  number of CPU threads, the image file backend, and the folder the shipped models are taken from)";

int cmd_info(const std::vector<std::string>& argv) {
  Args a(argv, kInfoUsage, {}, {});
  a.no_positional("info");
  std::printf("pixelart: CUDA backend %s\n",
#if defined(PIXELART_WITH_CUDA)
              "built in"
#else
              "not built (no CUDA toolkit at configure time)"
#endif
  );
  if (cuda_available()) {
    std::printf("gpu: %s\n", cuda_device_name().c_str());
  } else {
    std::printf("gpu: none (%s)\n", cuda_unavailable_reason().c_str());
  }
  std::printf("cpu threads: %d (OpenMP)\n", omp_get_max_threads());
  std::printf("image files: %s\n", image_io_backend());
  try {
    std::printf("shipped models: %s\n", std::filesystem::path(default_model_path()).parent_path().c_str());
  } catch (const Error& e) {
    std::printf("shipped models: none (%s)\n", e.what());
  }
  return kExitOk;
}

constexpr const char* kForwardUsage = R"(usage: pixelart forward [--device auto|cpu|cuda] [--size 16] [--batch 1] [--seed 1] [--narrow]
  one forward pass of a fresh (untrained) restorer on --batch generated sprites of --size
  sprite pixels (each input 16 times larger, 256 x 256 for 16): prints the input and output
  shapes, the median time of 5 passes and GFLOP/s. --narrow: the CPU-friendly narrow widths
  (4-8-16-32-32-4) instead of the full-size model. A smoke test of the build and the device;
  `pixelart bench forward` is the benchmark)";

int cmd_forward(const std::vector<std::string>& argv) {
  Args a(argv, kForwardUsage, {"device", "size", "batch", "seed"}, {"narrow"});
  a.no_positional("forward");
  const Device dev = parse_device(a.get("device", "auto"));
  const int size = int(a.get_int("size", 16, 1, 4096));
  const int batch = int(a.get_int("batch", 1, 1, 4096));
  const uint64_t seed = uint64_t(a.get_int("seed", 1, 0, 1LL << 62));
  RestorerConfig cfg = a.has("narrow") ? RestorerConfig::narrow() : RestorerConfig{};
  Restorer model(cfg, seed, DType::F32, dev);
  std::vector<Sprite> sprites;
  for (int i = 0; i < batch; ++i) sprites.push_back(generate_sprite(seed * 1000 + i, size));
  Tensor x, target;
  sprites_to_pair(sprites, cfg.scale(), dev, &x, &target);
  NoGradGuard no_grad;
  Tensor y = model.forward(x);  // warm-up (cuDNN plans, allocator, page faults)
  synchronize(dev);
  std::vector<double> times;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    y = model.forward(x);
    synchronize(dev);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  const double ms = times[times.size() / 2];
  const auto v = y.to_vector();
  double mean = 0;
  for (double e : v) mean += e;
  mean /= double(v.size());
  std::printf("restorer %s (untrained, seed %llu) on %s: input %s -> output %s in %.2f ms (median of 5) "
              "(%.1f GFLOP/s), output mean %.4f\n",
              cfg.describe().c_str(), (unsigned long long)seed, to_string(dev),
              x.describe().c_str(), y.describe().c_str(), ms,
              double(cfg.forward_flops(x.size(1), x.size(2))) * batch / ms / 1e6, mean);
  return kExitOk;
}

}  // namespace
}  // namespace pixelart::cli

int main(int argc, char** argv) {
  using namespace pixelart;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || (args[0] == "help" && args.size() == 1)) {
    std::fputs(cli::kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("pixelart %s (CUDA backend %s)\n", PIXELART_VERSION,
#if defined(PIXELART_WITH_CUDA)
                "built in"
#else
                "not built"
#endif
    );
    return kExitOk;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "help") {  // `pixelart help CMD` is `pixelart CMD --help`
    cmd = args[0];
    args = {"--help"};
  }
  try {
    if (cmd == "info") return cli::cmd_info(args);
    if (cmd == "forward") return cli::cmd_forward(args);
    if (cmd == "bench") return cli::run_bench(args);
    if (cmd == "sprites") return cli::run_sprites(args);
    if (cmd == "synth") return cli::run_synth(args);
    if (cmd == "train") return cli::run_train(args);
    if (cmd == "restore") return cli::run_restore(args);
    if (cmd == "eval") return cli::run_eval(args);
    if (cmd == "upscale") return cli::run_upscale(args);
    if (cmd == "plot") return cli::run_plot(args);
    if (cmd == "eval-upscale") return cli::run_eval_upscale(args);
    std::fprintf(stderr, "pixelart: unknown command '%s' (see pixelart --help)\n", cmd.c_str());
    return kExitUsage;
  } catch (const cli::HelpRequest& h) {
    std::printf("%s\n", h.text.c_str());
    return kExitOk;
  } catch (const Error& e) {
    std::fprintf(stderr, "pixelart %s: error: %s\n", cmd.c_str(), e.what());
    switch (e.kind()) {
      case ErrorKind::Usage: return kExitUsage;
      case ErrorKind::NoDevice: return kExitNoDevice;
      case ErrorKind::BadInput: return kExitBadInput;
      case ErrorKind::Output:
      case ErrorKind::Exists: return kExitOutput;
      default: return kExitFailure;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pixelart %s: error: %s\n", cmd.c_str(), e.what());
    return kExitFailure;
  }
}
