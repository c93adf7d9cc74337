// pixelart/synth.h — training pairs made on the device at every step: a clean sprite (the
// target) and a damaged rendering of it (the input). The stages and their math: kernels/synth.h.
//
//   render    nearest upscale to the working size, scale jitter, sub-pixel offset, soft warp of
//             the grid; composite over a background (Perlin noise, flat, gradient, checkerboard)
//             unless the sample keeps its alpha mask
//   resample  1-3 resizes through random smaller sizes and back (bilinear, bicubic, area,
//             Lanczos-4, OpenCV's conventions), each saved to 8-bit levels
//   blur, colour jitter, noise
//   JPEG      YCbCr 4:2:0, 8x8 DCT quantised with the IJG tables at quality 20-95; sometimes twice
//   canon     with `align` (the preset `user`): what the restore pipeline does to a user's image
//             (restore.h): the image resampled onto the canonical lattice, every cell exactly
//             input_size / canvas pixels, by the box filter of resample_to_lattice (lattice.h),
//             with the small errors of a lattice found from the image (pitch and phase)
//
// The working size is the input size, except for samples drawn at a native pitch below the
// input's (p_native): those are rendered and damaged at that pitch (3 to 16 pixels per sprite
// pixel, so that JPEG's blocks and the resampling's blur are as large against a cell as in a
// user's image of that scale), and only then brought to the input size by the canonical step.
//
// Every random choice is a pure function of (seed, sample index): the same batch on CPU and GPU.
#pragma once
#include <cstdint>
#include <string>

#include "pixelart/sprites.h"
#include "pixelart/tensor.h"

namespace pixelart {

// Probabilities and ranges. Plain floats and ints: the kernels receive it by value.
// The default member values are the harder default preset (DamageConfig::hard()).
struct DamageConfig {
  float scale_jitter = 0.02f;    // input pixels per sprite pixel vary by +- this fraction
  float max_offset = 0.5f;       // sub-pixel offset, in sprite pixels
  float p_warp = 0.15f;          // soft irregular grid of generated "pixel art"
  float warp_amp = 0.3f;         // its amplitude, in sprite pixels
  float p_keep_alpha = 0.1f;     // the input keeps its alpha mask (else it is lost)
  float p_bg[4] = {0.4f, 0.2f, 0.2f, 0.2f};  // Perlin, flat, gradient, checkerboard
  float p_resample = 0.7f;
  int max_resizes = 3;           // intermediate sizes in a chain (1..3), then back to the input size
  float min_scale = 0.3f;        // smallest intermediate size relative to the input
  float p_filter[4] = {0.3f, 0.3f, 0.2f, 0.2f};  // bilinear, bicubic, area, Lanczos-4
  float p_blur = 0.15f, max_blur_sigma = 1.2f;
  float p_color = 0.3f, color_jitter = 0.06f;
  float p_noise = 0.3f, max_noise = 0.03f;
  float p_jpeg = 0.75f, p_jpeg_twice = 0.2f;
  int jpeg_q_min = 20, jpeg_q_max = 95;
  // The canonical step (off in the presets but `user`): the lattice is aligned as the pipeline
  // aligns it, up to align_error cells of phase and pitch_error of pitch; with p_misalign a sample
  // keeps the whole offset (max_offset), for images whose grid was found poorly.
  int align = 0;
  float align_error = 0.12f, pitch_error = 0.01f, p_misalign = 0.15f;
  float p_native = 0.f, min_native = 3.f;  // native pitch below the input's: how often, how low
  float p_colour_checker = 0.f;            // checkerboards of two random colours, not grey/white
  // The restore pipeline makes a flat or checkerboard background it finds transparent before the
  // network sees it (restore.h, clear_background): with align, a flat, gradient or checkerboard
  // sample has its pixels of the background's colours (or their blends) cleared, as it does.
  float p_clear = 0.f;

  // The original project's four damages: JPEG, Perlin background, sub-pixel offset, lossy
  // upscaling (one downscale and re-upscale).
  static DamageConfig original();
  static DamageConfig hard() { return DamageConfig{}; }
  static DamageConfig none();  // clean nearest upscale with the alpha kept (a control)
  // What the restore pipeline gives the network from users' images: the hard damage at native
  // pitches of 3 to 16 (70% of samples), then the canonical step.
  static DamageConfig user();
  static DamageConfig preset(const std::string& name);  // "original", "hard", "none", "user"
  void validate() const;        // throws a usage Error naming the bad field
};

class Synthesizer {
 public:
  // Uploads the sprite set once. input_size must be a multiple of 16 (JPEG's 4:2:0 blocks) and of
  // the canvas (the target size is the set's canvas).
  Synthesizer(const SpriteSet& set, int input_size, const DamageConfig& cfg, Device dev);

  // A batch of samples first .. first+n-1: inputs [n, S, S, 4], targets [n, T, T, 4], f32 in
  // [0, 1] on the device. No host round trip: parameters are drawn by a kernel.
  void generate(uint64_t seed, uint64_t first, int n, Tensor* inputs, Tensor* targets);
  // What was done to sample `i` of the last batch ("sprite 12, perlin bg, resize 256>97>256 bicubic
  // ..."): reads the parameters back, for people and tests.
  std::string describe(int i) const;
  int64_t sample_sprite(int i) const;  // the sprite index sample i of the last batch shows

  int input_size() const { return S_; }
  int target_size() const { return T_; }
  int64_t sprites() const { return nsprites_; }
  Device device() const { return dev_; }

 private:
  int S_, T_;
  int64_t nsprites_;
  DamageConfig cfg_;
  Device dev_;
  Tensor sprites_;                 // u8 [M, T, T, 4] on dev
  Tensor params_, y_, cb_, cr_;    // per-batch scratch, reused while n stays the same
  int n_ = 0;
};

}  // namespace pixelart
