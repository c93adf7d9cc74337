// kernels/synth_cpu.cpp — CPU loops over kernels/synth.h. CUDA twin: synth.cu.
#include <cstring>

#include "cpu_ops.h"
#include "synth_ops.h"

namespace pixelart::kernels {

void synth_params_cpu(const DamageParams& d, const SynthDims& g, SampleParams* out) {
  for (int i = 0; i < g.n; ++i) out[i] = draw_sample(d, g.seed, g.first + uint64_t(i), g.nsprites, g.S, g.T);
}

void synth_render_cpu(const uint8_t* sprites, const SampleParams* p, const SynthDims& g, float* out) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < g.n; ++i)
    for (int y = 0; y < g.S; ++y) {
      if (y >= p[i].work) continue;
      for (int x = 0; x < p[i].work; ++x)
        render_pixel(sprites, g.T, p[i], g.seed, g.first + uint64_t(i), p[i].work, x, y,
                     out + ((int64_t(i) * g.S + y) * g.S + x) * 4);
    }
}

void synth_targets_cpu(const uint8_t* sprites, const SampleParams* p, const SynthDims& g, float* out) {
  const int64_t per = int64_t(g.T) * g.T * 4;
  for (int i = 0; i < g.n; ++i)
    for (int64_t k = 0; k < per; ++k) out[i * per + k] = target_value(sprites, g.T, p[i].sprite, k);
}

void synth_resize_cpu(const float* src, float* dst, const SampleParams* p, const SynthDims& g, int k) {
  const int64_t plane = int64_t(g.S) * g.S * 4;
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < g.n; ++i)
    for (int y = 0; y < g.S; ++y) {
      const SampleParams& q = p[i];
      const float* s = src + i * plane;
      float* d = dst + i * plane;
      if (k >= q.nresize) {
        std::memcpy(d + int64_t(y) * g.S * 4, s + int64_t(y) * g.S * 4, sizeof(float) * 4 * size_t(g.S));
        continue;
      }
      const int sh = q.size[k], dh = q.size[k + 1];
      if (y >= dh) continue;
      for (int x = 0; x < dh; ++x) {
        float* o = d + (int64_t(y) * g.S + x) * 4;
        resample_pixel(s, sh, sh, g.S, dh, dh, q.filter[k], x, y, o);
        for (int c = 0; c < 4; ++c) o[c] = to_level(o[c]);
      }
    }
}

void synth_patches_cpu(const uint8_t* pixels, const ImageEntry* table, int nimages, uint64_t seed, uint64_t first, int n,
                       PatchDraw d, int off, int size, float* out) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x)
        patch_pixel(pixels, table, nimages, seed, first + uint64_t(i), d, off, x, y, out + ((int64_t(i) * size + y) * size + x) * 4);
}

void resize_batch_cpu(const float* src, float* dst, int n, int sh, int sw, int dh, int dw, int filter) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < dh; ++y)
      for (int x = 0; x < dw; ++x)
        resample_pixel(src + int64_t(i) * sh * sw * 4, sh, sw, sw, dh, dw, filter, x, y,
                       dst + ((int64_t(i) * dh + y) * dw + x) * 4);
}

void synth_blur_cpu(const float* src, float* dst, const SampleParams* p, const SynthDims& g, int dir) {
  const int64_t plane = int64_t(g.S) * g.S * 4;
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < g.n; ++i)
    for (int y = 0; y < g.S; ++y) {
      const float* s = src + i * plane;
      float* d = dst + i * plane;
      const int n = p[i].work;
      if (y >= n) continue;
      if (p[i].blur_sigma <= 0.f) {
        std::memcpy(d + int64_t(y) * g.S * 4, s + int64_t(y) * g.S * 4, sizeof(float) * 4 * size_t(n));
        continue;
      }
      for (int x = 0; x < n; ++x) blur_pixel(s, g.S, n, p[i].blur_sigma, dir, x, y, d + (int64_t(y) * g.S + x) * 4);
    }
}

void synth_color_noise_cpu(float* img, const SampleParams* p, const SynthDims& g) {
  const int64_t pixels = int64_t(g.S) * g.S;
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < g.n; ++i)
    for (int64_t px = 0; px < pixels; ++px) {
      if (px % g.S >= p[i].work || px / g.S >= p[i].work) continue;
      float* v = img + (i * pixels + px) * 4;
      color_noise_pixel(p[i], g.seed, g.first + uint64_t(i), px, v);
      for (int c = 0; c < 4; ++c) v[c] = to_level(v[c]);
    }
}

void synth_jpeg_cpu(float* img, float* yp, float* cbp, float* crp, const SampleParams* p, const SynthDims& g, int pass) {
  const int S = g.S, C = S / 2;
  for (int i = 0; i < g.n; ++i) {
    const int q = p[i].jpeg_q[pass];
    if (q <= 0) continue;
    float* im = img + int64_t(i) * S * S * 4;
    float* Y = yp + int64_t(i) * S * S;
    float* Cb = cbp + int64_t(i) * C * C;
    float* Cr = crp + int64_t(i) * C * C;
    const int w = p[i].work;  // a multiple of 16: whole blocks and chroma samples
#pragma omp parallel for schedule(static)
    for (int cy = 0; cy < w / 2; ++cy)
      for (int cx = 0; cx < w / 2; ++cx) jpeg_encode_unit(im, S, cx, cy, Y, Cb, Cr);
#pragma omp parallel for schedule(static)
    for (int b = 0; b < jpeg_blocks_per_image(S); ++b)
      if (jpeg_block_in_work(S, b, w)) jpeg_block_unit(Y, Cb, Cr, S, b, q);
#pragma omp parallel for schedule(static)
    for (int y = 0; y < w; ++y)
      for (int x = 0; x < w; ++x) jpeg_decode_unit(im, Y, Cb, Cr, S, w, x, y);
  }
}

void synth_canon_cpu(const float* src, float* dst, const SampleParams* p, const SynthDims& g) {
  const int64_t plane = int64_t(g.S) * g.S * 4;
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < g.n; ++i)
    for (int y = 0; y < g.S; ++y)
      for (int x = 0; x < g.S; ++x) canon_pixel(src + i * plane, g.S, p[i], x, y, dst + i * plane + (int64_t(y) * g.S + x) * 4);
}

void synth_clear_cpu(float* img, const SampleParams* p, const SynthDims& g) {
  const int64_t plane = int64_t(g.S) * g.S * 4;
#pragma omp parallel for collapse(2) schedule(static)
  for (int i = 0; i < g.n; ++i)
    for (int y = 0; y < g.S; ++y) {
      if (!p[i].clear || y >= p[i].work) continue;
      for (int x = 0; x < p[i].work; ++x) clear_pixel(p[i], img + i * plane + (int64_t(y) * g.S + x) * 4);
    }
}

void synth_patch_jpeg_cpu(float* small, int s, float* work, float* y, float* cb, float* cr, SampleParams* p,
                          const SynthDims& g, int qmin, int qmax, float share) {
  const int S = g.S;
  for (int i = 0; i < g.n; ++i) {
    p[i] = patch_jpeg_params(g.seed, g.first + uint64_t(i), qmin, qmax, share, S);
    if (p[i].jpeg_q[0] <= 0) continue;
    const float* src = small + int64_t(i) * s * s * 4;
    float* im = work + int64_t(i) * S * S * 4;
    for (int yy = 0; yy < S; ++yy)
      for (int xx = 0; xx < S; ++xx) jpeg_pad_pixel(src, s, xx, yy, im + (int64_t(yy) * S + xx) * 4);
  }
  synth_jpeg_cpu(work, y, cb, cr, p, g, 0);
  for (int i = 0; i < g.n; ++i) {
    if (p[i].jpeg_q[0] <= 0) continue;
    float* dst = small + int64_t(i) * s * s * 4;
    const float* im = work + int64_t(i) * S * S * 4;
    for (int yy = 0; yy < s; ++yy)
      for (int xx = 0; xx < s; ++xx) jpeg_crop_pixel(im, S, xx, yy, dst + (int64_t(yy) * s + xx) * 4);
  }
}

}  // namespace pixelart::kernels
