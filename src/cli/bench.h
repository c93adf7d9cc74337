// src/cli/bench.h — what the `pixelart bench` cases share: timing (medians of runs after warm-up,
// with the tensor memory they held), the side-by-side of the reference, fallback and production
// convolutions, and the named peer (PyTorch on this device: tools/torch_peer.py) with its ratio.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.h"
#include "pixelart/ops.h"
#include "pixelart/tensor.h"

namespace pixelart::cli {

extern const char* const kBenchUsage;
int bench_forward(const std::vector<std::string>& argv);
int bench_train(const std::vector<std::string>& argv);
int bench_synth(const std::vector<std::string>& argv);

double median(std::vector<double> v);

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

std::optional<double> torch_peer(Device dev, const std::string& peer_args, const char* label);
// The peer's rows and the ratios, unless --no-peer: on the CPU one, on CUDA PyTorch eager and
// through torch.compile, at the same precision.
void peer_ratio(const Args& a, Device dev, const std::string& peer_args, double production_ms, Precision precision,
                const char* note = "");

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

}  // namespace pixelart::cli
