// pixelart/metrics.h — how good a restored sprite is, against its clean original.
//   alpha class     opaque where alpha >= 0.5
//   pixel correct   the alpha class is right and, where the original is opaque, every colour
//                   channel is within 8/255
//   perfect sprite  every pixel correct
//   alpha IoU       |opaque in both| / |opaque in either|
//   rgb error       mean |difference| (0-255) over the original's opaque pixels
//   palette ratio   distinct colours of the restored opaque pixels / of the original's
//   where the errors are: a wrong pixel has its alpha class wrong (alpha errors) or, opaque in
//   both, a colour channel off by more than 8/255 (colour errors); and how many sprites miss
//   perfection only by their colours (alpha exact, some colour wrong)
//
// And how close an image is to a reference (the upscaler's figures): ImageScore.
#pragma once
#include <cstdint>
#include <vector>

#include "pixelart/sprites.h"

namespace pixelart {

struct SpriteMetrics {
  int64_t sprites = 0, pixels = 0;
  int64_t correct_pixels = 0, perfect_sprites = 0;
  int64_t alpha_errors = 0, colour_errors = 0, colour_only_sprites = 0;
  int64_t alpha_inter = 0, alpha_union = 0;
  double rgb_abs_sum = 0;
  int64_t rgb_count = 0;
  double palette_ratio_sum = 0;

  // pred and target: [n, h, w, 4] values in [0, 1] (as Tensor::to_vector gives them).
  void add(const std::vector<double>& pred, const std::vector<double>& target, int64_t n, int64_t h, int64_t w);
  void merge(const SpriteMetrics& o);
  double pixel_accuracy() const { return pixels ? double(correct_pixels) / double(pixels) : 0; }
  double perfect_rate() const { return sprites ? double(perfect_sprites) / double(sprites) : 0; }
  double alpha_iou() const { return alpha_union ? double(alpha_inter) / double(alpha_union) : 1.0; }
  double rgb_error() const { return rgb_count ? rgb_abs_sum / double(rgb_count) : 0; }
  double alpha_error_rate() const { return pixels ? double(alpha_errors) / double(pixels) : 0; }
  double colour_error_rate() const { return pixels ? double(colour_errors) / double(pixels) : 0; }
  double colour_only_rate() const { return sprites ? double(colour_only_sprites) / double(sprites) : 0; }
  double palette_ratio() const { return sprites ? palette_ratio_sum / double(sprites) : 0; }
};

// `out` against `ref` (the same size): PSNR of the premultiplied colour (composited on black, in
// [0, 1]), SSIM of its luminance (0.299 R + 0.587 G + 0.114 B; Gaussian window 11 x 11, sigma 1.5,
// reflected borders, C1 = 0.01^2, C2 = 0.03^2: Wang et al. 2004) and PSNR of alpha. Identical
// planes score 99 dB.
// opaque_y_psnr: PSNR of luma where `ref` is opaque only, the colour that is there to restore:
// Y of ITU-R BT.601 as the super-resolution benchmarks compute it (MATLAB's rgb2ycbcr, 16 to 235,
// peak 255), `out` composited on white first; 99 dB where they agree or nothing is opaque.
struct ImageScore {
  double psnr = 0, ssim = 0, alpha_psnr = 0, opaque_y_psnr = 0;
};
ImageScore score_image(const Sprite& out, const Sprite& ref);
// PSNR of two equal-length vectors of values in [0, 1]; 99 dB where they are equal.
double psnr(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace pixelart
