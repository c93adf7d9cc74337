// kernels/synth_ops.h — the damage pipeline's stages, each once as a CPU loop (synth_cpu.cpp)
// and once as a CUDA kernel (synth.cu) over the math of synth.h. Images: [n, S, S, 4] float;
// sample i of a batch uses params[i] and the random streams of sample first + i.
#pragma once
#include "synth.h"

namespace pixelart::kernels {

struct SynthDims {
  int n;              // samples in the batch
  int S;              // input size (square)
  int T;              // sprite canvas = target size
  int nsprites;
  uint64_t seed, first;
};

void synth_params_cpu(const DamageParams& d, const SynthDims& g, SampleParams* out);
void synth_render_cpu(const uint8_t* sprites, const SampleParams* p, const SynthDims& g, float* out);
void synth_targets_cpu(const uint8_t* sprites, const SampleParams* p, const SynthDims& g, float* out);
// Resize stage k: size[k] -> size[k+1] (a copy once k >= nresize), then 8-bit levels.
void synth_resize_cpu(const float* src, float* dst, const SampleParams* p, const SynthDims& g, int k);
// Gaussian pass (dir 0 horizontal, 1 vertical); a copy where blur_sigma == 0. Stages before the
// canonical one cover each sample's working size (the top-left work x work pixels of S x S).
void synth_blur_cpu(const float* src, float* dst, const SampleParams* p, const SynthDims& g, int dir);
// Colour jitter and noise in place, then 8-bit levels.
void synth_color_noise_cpu(float* img, const SampleParams* p, const SynthDims& g);
// Patches for the upscaler: out [n, size, size, 4], the window at offset `off` inside each
// sample's P x P patch (off 0, size P: the patch; off m, size P - 2m: the target crop), drawn
// as `d` says (synth.h, PatchDraw).
void synth_patches_cpu(const uint8_t* pixels, const ImageEntry* table, int nimages, uint64_t seed, uint64_t first, int n,
                       PatchDraw d, int off, int size, float* out);
// The background clearing (synth.h, clear_pixel) in place on the working image.
void synth_clear_cpu(float* img, const SampleParams* p, const SynthDims& g);
// The canonical step (synth.h, canon_pixel): dst is the input; a copy where the sample has none.
void synth_canon_cpu(const float* src, float* dst, const SampleParams* p, const SynthDims& g);
// JPEG pass (0 or 1) in place: RGB -> YCbCr 4:2:0 planes, 8x8 blocks, back (alpha untouched).
// y: [n, S, S], cb and cr: [n, S/2, S/2] scratch planes.
void synth_jpeg_cpu(float* img, float* y, float* cb, float* cr, const SampleParams* p, const SynthDims& g, int pass);

// The upscaler's JPEG'd inputs, in place on small [n, s, s, 4] (premultiplied): each sample's
// parameters drawn into p [n] (patch_jpeg_params from g.seed and g.first + i), and each sample
// with a quality padded into work [n, S, S, 4] (g.S: s rounded up to 16), coded as synth_jpeg_cpu
// codes (y, cb, cr: its scratch planes) and cropped back; the others untouched.
void synth_patch_jpeg_cpu(float* small, int s, float* work, float* y, float* cb, float* cr, SampleParams* p,
                          const SynthDims& g, int qmin, int qmax, float share);

}  // namespace pixelart::kernels
