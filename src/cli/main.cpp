// src/cli/main.cpp — the `pixelart` binary: subcommand dispatch, errors to exit codes.
// Exit codes: include/pixelart/error.h (and the README).
#include <cstdio>

#include "cli/args.h"

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
    if (cmd == "info") return cli::run_info(args);
    if (cmd == "forward") return cli::run_forward(args);
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
