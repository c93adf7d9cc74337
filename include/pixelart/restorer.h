// pixelart/restorer.h — the sprite restorer (docs/design.md, docs/restore.md).
//
// A fully convolutional encoder that downsamples by 2^depth:
//   depth x [conv 3x3 pad 1 + bias + ReLU, max-pool 2x2], widths in -> w0 -> w1 ..., then a 1x1
//   projection to the output channels and a sigmoid. Default: 4 -> 64 -> 128 -> 256 -> 512 -> 4,
//   a 256x256 RGBA input gives a 16x16 RGBA sprite; a larger input gives a larger output.
// Optional context layers (an extension of the design, off by default): `context` more conv 3x3
// pad 1 + bias + ReLU at the output resolution, as wide as the last block, before the projection.
// The encoder alone sees about 3x3 sprite pixels around each output pixel (receptive field 46
// input pixels), too little to tell a sprite's flat interior from a flat background; each context
// layer widens that by 2 sprite pixels for 1/16 of a block's cost. They start as the identity
// (centre tap 1 on the diagonal, since their inputs are >= 0 after ReLU and max-pool), so adding
// them to a trained model (TrainConfig::init) changes nothing until training does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/tensor.h"

namespace pixelart {

struct RestorerConfig {
  int in_channels = 4;
  int out_channels = 4;
  std::vector<int> widths{64, 128, 256, 512};  // one conv block + pool per entry
  int context = 0;                             // conv 3x3 + ReLU layers at the output resolution
  int depth() const { return static_cast<int>(widths.size()); }
  int scale() const { return 1 << depth(); }   // input pixels per sprite pixel
  std::string describe() const;                // "4-64-128-256-512-4"; with context "4-...-512+2ctx-4"
  static RestorerConfig narrow();              // 4-8-16-32-32-4, a CPU-friendly model
  // Parameter names and shapes in arena order (weights first, then biases):
  //   conv{i}.weight [w_i, 3, 3, c_in], ctx{j}.weight [w_last, 3, 3, w_last], proj.weight
  //   [out, w_last], conv{i}.bias, ctx{j}.bias, proj.bias
  std::vector<ParamSpec> param_specs() const;
  int64_t forward_flops(int64_t height, int64_t width) const;  // multiply-adds x 2
};

class Restorer {
 public:
  // Kaiming-uniform weights and zero biases, from a seed (same numbers on every machine).
  Restorer(const RestorerConfig& cfg, uint64_t seed, DType dtype = DType::F32,
           Device dev = Device::CPU);
  Restorer(const RestorerConfig& cfg, ParamArena arena);

  // x: [N, H, W, in_channels] in [0,1], H and W multiples of scale(); returns
  // [N, H/scale, W/scale, out_channels] in (0,1). Records on the active tape if any.
  Tensor forward(const Tensor& x) const;

  // Which CPU convolution forward() uses: the fast path (default) or the direct-loop reference.
  void set_conv_impl(ConvImpl impl) { impl_ = impl; }
  // The arithmetic of the convolutions and the projection (ops.h, Precision).
  void set_precision(Precision p) { precision_ = p; }

  const RestorerConfig& config() const { return cfg_; }
  ParamArena& params() { return arena_; }
  const ParamArena& params() const { return arena_; }

 private:
  RestorerConfig cfg_;
  ParamArena arena_;
  ConvImpl impl_ = ConvImpl::Auto;
  Precision precision_ = Precision::FP32;
};

}  // namespace pixelart
