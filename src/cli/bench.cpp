// src/cli/bench.cpp — `pixelart bench`: whole-model figures on this machine, side by side with a
// named peer in one run. `bench forward` times the restorer's forward pass and `bench train` the
// restorer trainer's steps, each with the production convolution (oneDNN on the CPU where the
// build has it, beside im2col + BLAS; cuDNN on CUDA) and with the direct-loop reference, and the
// tensor memory they hold.
#include "cli/bench.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"

namespace pixelart::cli {

const char* const kBenchUsage = R"(usage: pixelart bench forward [--device D] [--size 256] [--runs 20] [--ref-runs 3] [--batch 1]
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

// Synthesis throughput: samples/s of each damage preset for S x S inputs.
int bench_synth(const std::vector<std::string>& argv) {
  Args a(argv, kBenchUsage, {"device", "size", "batch", "runs"}, {});
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

int run_bench(const std::vector<std::string>& argv) {
  const std::string what = argv.empty() ? "" : argv[0];
  const std::vector<std::string> rest(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
  if (what == "forward") return bench_forward(rest);
  if (what == "train") return bench_train(rest);
  if (what == "synth") return bench_synth(rest);
  if (what == "-h" || what == "--help") throw HelpRequest{kBenchUsage};
  throw Error(kBenchUsage, ErrorKind::Usage);
}

}  // namespace pixelart::cli
