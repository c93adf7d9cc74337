// src/cli/info_cmd.cpp — `pixelart info` (the build, the device, the image backend, the shipped
// models' folder) and `pixelart forward` (one forward pass of a fresh restorer: a smoke test).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "pixelart/autograd.h"
#include "pixelart/image_io.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"

namespace pixelart::cli {
namespace {

constexpr const char* kInfoUsage = R"(usage: pixelart info
  whether the CUDA backend is built in, the GPU it would use (or why none is usable), the
  number of CPU threads, the image file backend, and the folder the shipped models are taken from)";

}  // namespace

int run_info(const std::vector<std::string>& argv) {
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

int run_forward(const std::vector<std::string>& argv) {
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

}  // namespace pixelart::cli
