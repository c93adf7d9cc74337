// pixelart/upscaler.h — the SRCNN-style upscaler (docs/design.md, docs/upscale.md).
//
// Interpolate by a float factor f (bicubic), then k valid (unpadded) convolutions with ReLU and a
// last convolution back to the channels: default 64@7, 64@5, 64@3, 4@1. The convolutions predict
// a correction added to the interpolated image's centre (a residual connection) and the last
// convolution starts at zero, so an untrained model is exactly plain bicubic and training only has
// to improve on it. Each valid kxk conv
// trims (k-1)/2 pixels from every side, so the output is the interpolated image less a margin of
// shrink()/2 on each side; kernels are odd so output and target stay centred. RGBA: colour is
// learnt on premultiplied values and alpha as the fourth channel, so transparent pixels never
// bleed colour into edges.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/sprites.h"
#include "pixelart/tensor.h"

namespace pixelart {

struct UpscalerConfig {
  std::vector<int> filters{64, 64, 64};  // widths of the ReLU convolutions
  std::vector<int> kernels{7, 5, 3, 1};  // one per convolution: filters.size() + 1 (the last is linear)
  int channels = 4;
  // Space to depth (--unshuffle S): the convolutions run on S x S blocks of the interpolated image
  // as S*S*channels channels, and the last one predicts the correction of a whole block (pixel
  // shuffle back). A quarter of the positions at S = 2, so twice the width and twice the reach in
  // pixels for the same arithmetic. 1: on pixels, as SRCNN.
  int unshuffle = 1;
  int margin() const;  // pixels lost on each side: S * sum (k - 1) / 2
  // The arithmetic of one forward pass over a size x size input (its valid convolutions, 2 flops
  // a multiply-add), for the benchmarks' GFLOP/s.
  double forward_flops(int size) const;
  // Output pixels see the input up to margin() + unshuffle - 1 away (the rest of their block).
  int reach() const { return margin() + unshuffle - 1; }
  // "64@7-64@5-64@3-4@1"; runs of equal convolutions "32@3x15-4@3"; blocks "2x2:64@3x7-16@3"
  std::string describe() const;
  void validate() const;         // clear usage errors for shapes that cannot align
  std::vector<ParamSpec> param_specs() const;
};

struct UpscaleOptions {
  int passes = 1;
  int tile = 256;            // output pixels per tile side
  bool ensemble = false;     // the mean of the network's outputs over the eight flips and transposes
                             // of the interpolated image (8x the work; a little sharper and
                             // cleaner, as in EDSR's self-ensemble)
  bool back_project = true;  // at whole factors (2, 3, ...): each f x f block of the output is moved
                             // to average to the input pixel it came from (premultiplied; alpha
                             // always, colour where that pixel is opaque or empty), so shrinking
                             // the result by area averaging gives the input back (to 8-bit
                             // rounding); pixels kept flat stay exact. Other factors: no effect.
  // Called after each batch of tiles with the fraction of the image's work done (passes and the
  // ensemble's eight runs included), for a progress line on large images.
  std::function<void(double)> progress = nullptr;
};

class Upscaler {
 public:
  Upscaler(const UpscalerConfig& cfg, uint64_t seed, DType dtype = DType::F32, Device dev = Device::CPU);
  Upscaler(const UpscalerConfig& cfg, ParamArena arena);

  // x: premultiplied RGBA [N, H, W, 4] already interpolated; returns [N, H - 2m, W - 2m, 4]
  // (m = margin), records on the active tape. With unshuffle S, H and W are multiples of S.
  Tensor forward(const Tensor& x) const;

  // One straight-alpha RGBA image, upscaled by `factor` `passes` times (factor 1: a sharpening
  // pass). Runs in tiles of at most `tile` output pixels whose inputs overlap by the margin, so
  // every output pixel sees its whole receptive field and the seams are exact (up to float
  // rounding: at most one 8-bit level, tested); the image's own border is replicated. Where the
  // interpolated alpha is flat over an output pixel's receptive field, that alpha is kept exactly,
  // and where all four channels are, the colour too (the network sees nothing there that could
  // move them). Options: see UpscaleOptions. Returns straight RGBA.
  Sprite upscale(const Sprite& img, double factor, const UpscaleOptions& opt = {}) const;

  // The arithmetic of the convolutions (ops.h, Precision), and their implementation (ConvImpl:
  // the benchmarks' side by side).
  void set_precision(Precision p) { precision_ = p; }
  void set_conv_impl(ConvImpl impl) { impl_ = impl; }

  const UpscalerConfig& config() const { return cfg_; }
  ParamArena& params() { return arena_; }
  const ParamArena& params() const { return arena_; }

 private:
  // on_batch(tiles done, tiles): after each batch of tiles
  Tensor run_tiles(const Tensor& pad, int64_t H, int64_t W, int tile,
                   const std::function<void(size_t, size_t)>& on_batch = {}) const;
  UpscalerConfig cfg_;
  ParamArena arena_;
  Precision precision_ = Precision::FP32;
  ConvImpl impl_ = ConvImpl::Auto;
};

// Training pairs for the upscaler, made on the device: a random P x P patch of a random image
// (counter-based: the same on CPU and GPU), premultiplied, shrunk by the factor (area, or the
// kernels PatchOptions::shrink names) and interpolated back (bicubic) as the input; its premultiplied centre (P - 2 margin) as the target.
struct PatchOptions {
  // Each image equally often (false), or each image in proportion to its patch positions, so that
  // every place in the set is drawn equally often and many small images do not crowd out a few
  // large ones (true).
  bool by_area = false;
  // Each patch also flipped and transposed by one of eight ways (drawn per sample), so the model
  // sees every orientation of the art it learns from.
  bool dihedral = false;
  // The kernels a patch is shrunk by (resize_images'): one per batch, drawn from (seed, first).
  std::vector<ResizeFilter> shrink{ResizeFilter::Area};
  // The shrunk patch JPEG'd (kernels::patch_jpeg_quality): for a share of the samples, at a
  // quality in [jpeg_min, jpeg_max] drawn per sample; jpeg_min 0: never.
  int jpeg_min = 0, jpeg_max = 0;
  float jpeg_share = 1.f;
};
class PatchSampler {
 public:
  // Images smaller than the patch are not used (counted in *skipped).
  PatchSampler(const std::vector<Sprite>& images, int patch, double factor, int margin, Device dev, PatchOptions opts = {},
               int* skipped = nullptr);
  void generate(uint64_t seed, uint64_t first, int n, Tensor* inputs, Tensor* targets);
  int64_t images() const { return nimages_; }

 private:
  Tensor jpeg_patches(Tensor lo, uint64_t seed, uint64_t first);
  int P_, m_;
  double f_;
  PatchOptions opts_;
  int64_t nimages_ = 0;
  Device dev_;
  Tensor pixels_, table_;  // u8 pixels back to back; u8 bytes of kernels::ImageEntry
  // the JPEG stage's per-batch scratch, reused while the batch and the patch size stay the same
  Tensor jpeg_params_, jpeg_work_, jpeg_y_, jpeg_cb_, jpeg_cr_;
  int jpeg_n_ = 0, jpeg_s_ = 0;
};

}  // namespace pixelart
