// kernels/synth.h — the damage pipeline's per-sample and per-pixel math, shared by the CPU loops
// (synth_cpu.cpp) and the CUDA kernels (synth.cu). Orchestration: src/synth.cpp.
//
// Every random choice is a pure function of (seed, sample, what), through kernels/rng.h, so a
// batch is reproducible from its seed on either device and CPU and CUDA can be compared.
// Images are NHWC float in [0, 1] at the stage boundaries; each sample has its own parameters
// (SampleParams), drawn once per batch by draw_sample().
#pragma once
#include <cmath>

#include "common.h"
#include "elementwise.h"
#include "pixelart/synth.h"
#include "rng.h"

namespace pixelart::kernels {

// A chain visits 1..3 intermediate sizes and returns to the input size: up to 4 resizes.
constexpr int kMaxIntermediate = 3;
constexpr int kMaxResizes = kMaxIntermediate + 1;
// The synthesis draws from the first kNumFilters; kCubicAA only resizes on request (resize_images).
enum Filter : int { kBilinear = 0, kBicubic = 1, kArea = 2, kLanczos = 3, kNumFilters = 4, kCubicAA = 4 };
enum Background : int { kBgPerlin = 0, kBgFlat = 1, kBgGradient = 2, kBgChecker = 3, kNumBackgrounds = 4 };

// Probabilities and ranges: the public plain struct (include/pixelart/synth.h), by value.
using DamageParams = ::pixelart::DamageConfig;

struct SampleParams {
  int sprite;
  float cell;          // input pixels per sprite pixel
  float off_x, off_y;  // offset of the sprite grid, in input pixels
  float warp_amp;      // 0: no warp
  int keep_alpha;
  int bg;
  float bg0[3], bg1[3];
  float bg_freq, bg_angle;
  int checker;         // checkerboard square size (input pixels)
  int nresize;         // resizes in the chain: 0 (none) or 2..kMaxResizes
  int size[kMaxResizes + 1];  // size[0] = size[nresize] = the input size
  int filter[kMaxResizes];
  float blur_sigma;    // 0: none
  float brightness, contrast, saturation;  // colour jitter (identity: 0, 1, 1)
  float noise;         // 0: none
  int jpeg_q[2];       // 0: pass off
  // the working size and the canonical step (DamageConfig::align): canonical pixel (x, y) of the
  // input is the mean of the working image over [x0 + x step, x0 + (x + 1) step) x [y0 + ...)
  int work;            // the stages before canon run on the top-left work x work pixels
  int align;           // 0: no canonical step (the working image is the input)
  float canon_step, canon_x0, canon_y0;
  int clear;           // the background's colours made transparent, as restore does
};

// Random stream of one sample: the i-th draw is uniform01(seed, sample * 64 + what, i).
struct SampleRng {
  uint64_t seed, stream;
  uint64_t n = 0;
  PA_HD float u() { return uniform01(seed, stream, n++); }
  PA_HD float range(float a, float b) { return a + (b - a) * u(); }
  PA_HD int below(int k) { const int v = int(u() * float(k)); return v < k ? v : k - 1; }
  PA_HD bool chance(float p) { return u() < p; }
  template <int K>
  PA_HD int pick(const float (&w)[K]) {
    float total = 0.f;
    for (int i = 0; i < K; ++i) total += w[i];
    float x = u() * total;
    for (int i = 0; i < K; ++i) {
      if (x < w[i]) return i;
      x -= w[i];
    }
    return K - 1;
  }
};

PA_HD SampleParams draw_sample(const DamageParams& d, uint64_t seed, uint64_t sample, int nsprites,
                               int in_size, int target) {
  SampleRng r{seed, sample * 64 + 1};
  SampleParams p{};
  p.sprite = r.below(nsprites);
  const float base = float(in_size) / float(target);
  p.cell = base * (1.f + r.range(-d.scale_jitter, d.scale_jitter));
  p.off_x = r.range(-d.max_offset, d.max_offset) * base;
  p.off_y = r.range(-d.max_offset, d.max_offset) * base;
  p.warp_amp = r.chance(d.p_warp) ? r.range(0.f, d.warp_amp) * base : 0.f;
  p.keep_alpha = r.chance(d.p_keep_alpha) ? 1 : 0;
  p.bg = r.pick(d.p_bg);
  for (int c = 0; c < 3; ++c) p.bg0[c] = r.u();
  for (int c = 0; c < 3; ++c) p.bg1[c] = r.u();
  p.bg_freq = r.range(2.f, 12.f) / float(in_size);  // Perlin cells per pixel
  p.bg_angle = r.range(0.f, 6.2831853f);
  p.checker = r.chance(0.5f) ? 8 : 16;
  if (p.bg == kBgChecker) {  // the grey-white "transparent" pattern of image search results
    for (int c = 0; c < 3; ++c) p.bg0[c] = 1.f, p.bg1[c] = 0.8f;
  }
  // L intermediate sizes (1..max_resizes), then back: nresize = L + 1 resizes, 0 when off.
  const int L = r.chance(d.p_resample) ? 1 + r.below(d.max_resizes) : 0;
  p.nresize = L ? L + 1 : 0;
  for (int k = 0; k <= kMaxResizes; ++k) p.size[k] = in_size;
  for (int k = 1; k <= L; ++k) p.size[k] = int(float(in_size) * r.range(d.min_scale, 1.f));
  for (int k = 0; k < kMaxResizes; ++k) p.filter[k] = r.pick(d.p_filter);
  p.blur_sigma = r.chance(d.p_blur) ? r.range(0.3f, d.max_blur_sigma) : 0.f;
  const bool col = r.chance(d.p_color);
  p.brightness = col ? r.range(-d.color_jitter, d.color_jitter) : 0.f;
  p.contrast = col ? 1.f + r.range(-d.color_jitter, d.color_jitter) : 1.f;
  p.saturation = col ? 1.f + r.range(-2.f * d.color_jitter, 2.f * d.color_jitter) : 1.f;
  p.noise = r.chance(d.p_noise) ? r.range(0.f, d.max_noise) : 0.f;
  const bool jpeg = r.chance(d.p_jpeg);
  p.jpeg_q[0] = jpeg ? d.jpeg_q_min + r.below(d.jpeg_q_max - d.jpeg_q_min + 1) : 0;
  p.jpeg_q[1] = jpeg && r.chance(d.p_jpeg_twice) ? d.jpeg_q_min + r.below(d.jpeg_q_max - d.jpeg_q_min + 1) : 0;
  // The native pitch and the canonical step (the `user` preset), drawn after all of the above so
  // that the other presets' samples stay what they were.
  p.work = in_size, p.align = d.align, p.canon_step = 1.f, p.canon_x0 = p.canon_y0 = 0.f, p.clear = 0;
  if (d.align) {
    const float native = r.chance(d.p_native) ? d.min_native * expf(r.u() * logf(base / d.min_native)) : base;
    const float k = native / base;  // the sample at that pitch: everything drawn in pixels scales
    p.cell *= k, p.off_x *= k, p.off_y *= k, p.warp_amp *= k;
    int w = int(ceilf((float(target) * p.cell + 8.f) / 16.f)) * 16;  // room for the sprite, whole JPEG blocks
    p.work = w < in_size ? w : in_size;
    // intermediate sizes as drawn, relative to the working size, but never below 2.2 pixels per
    // sprite pixel (under that no user's image still shows its sprite)
    const float least = 2.2f / p.cell;
    for (int j = 1; j < kMaxResizes && j < p.nresize; ++j) {
      const float f = float(p.size[j]) / float(in_size);
      const int sz = int(float(p.work) * (f > least ? f : least));
      p.size[j] = sz < 4 ? 4 : (sz > p.work ? p.work : sz);
    }
    p.size[0] = p.work;
    if (p.nresize) p.size[p.nresize] = p.work;
    p.bg_freq *= float(in_size) / float(p.work);
    if (p.bg == kBgChecker && r.chance(d.p_colour_checker))
      for (int c = 0; c < 3; ++c) p.bg0[c] = r.u(), p.bg1[c] = r.u();
    // where the pipeline's lattice lies: the true one, up to the errors of finding it
    const float e = r.chance(d.p_misalign) ? d.max_offset : d.align_error;
    const float ex = r.range(-e, e), ey = r.range(-e, e);
    p.canon_step = p.cell / base * (1.f + r.range(-d.pitch_error, d.pitch_error));
    // canonical pixel centre S/2 lies on the sprite's centre, which render put at work/2 + offset
    p.canon_x0 = 0.5f * float(p.work) + p.off_x + ex * p.cell - 0.5f * float(in_size) * p.canon_step;
    p.canon_y0 = 0.5f * float(p.work) + p.off_y + ey * p.cell - 0.5f * float(in_size) * p.canon_step;
    p.clear = !p.keep_alpha && p.bg != kBgPerlin && r.chance(d.p_clear) ? 1 : 0;
  }
  return p;
}

// The pipeline's background clearing (restore.h): a pixel within 0.1 (in every channel) of the
// background's colour, or for two colours of a blend of them, becomes transparent.
PA_HD void clear_pixel(const SampleParams& p, float v[4]) {
  if (!p.clear) return;
  float d2 = 0.f, t = 0.f;
  for (int c = 0; c < 3; ++c) d2 += (p.bg1[c] - p.bg0[c]) * (p.bg1[c] - p.bg0[c]);
  for (int c = 0; c < 3; ++c) t += (v[c] - p.bg0[c]) * (p.bg1[c] - p.bg0[c]);
  t = (p.bg == kBgFlat || d2 <= 0.f) ? 0.f : t / d2;
  t = t < 0.f ? 0.f : (t > 1.f ? 1.f : t);
  float d = 0.f;
  for (int c = 0; c < 3; ++c) d = fmaxf(d, fabsf(v[c] - (p.bg0[c] + t * (p.bg1[c] - p.bg0[c]))));
  if (d < 0.1f) v[0] = v[1] = v[2] = v[3] = 0.f;
}

// ---- noise fields ------------------------------------------------------------------------------
PA_HD float fade(float t) { return t * t * t * (t * (t * 6.f - 15.f) + 10.f); }
PA_HD float lerpf(float a, float b, float t) { return a + (b - a) * t; }
// Gradient at lattice point (i, j): one of 8 unit directions.
PA_HD float grad_dot(uint64_t seed, int i, int j, float dx, float dy) {
  switch (hash3(seed, uint64_t(uint32_t(i)), uint64_t(uint32_t(j))) & 7u) {
    case 0: return dx;
    case 1: return -dx;
    case 2: return dy;
    case 3: return -dy;
    case 4: return 0.70710678f * (dx + dy);
    case 5: return 0.70710678f * (dx - dy);
    case 6: return 0.70710678f * (-dx + dy);
    default: return -0.70710678f * (dx + dy);
  }
}
// Perlin gradient noise, roughly in [-1, 1].
PA_HD float perlin(uint64_t seed, float x, float y) {
  const float fx = floorf(x), fy = floorf(y);
  const int i = int(fx), j = int(fy);
  const float dx = x - fx, dy = y - fy;
  const float n00 = grad_dot(seed, i, j, dx, dy), n10 = grad_dot(seed, i + 1, j, dx - 1.f, dy);
  const float n01 = grad_dot(seed, i, j + 1, dx, dy - 1.f), n11 = grad_dot(seed, i + 1, j + 1, dx - 1.f, dy - 1.f);
  const float u = fade(dx), v = fade(dy);
  return lerpf(lerpf(n00, n10, u), lerpf(n01, n11, u), v);
}
// Three octaves, mapped to [0, 1].
PA_HD float fractal01(uint64_t seed, float x, float y) {
  const float n = perlin(seed, x, y) + 0.5f * perlin(seed + 1, 2.f * x, 2.f * y) + 0.25f * perlin(seed + 2, 4.f * x, 4.f * y);
  const float v = 0.5f + 0.5f * n / 1.2f;
  return v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
}

PA_HD void background(const SampleParams& p, uint64_t seed, uint64_t sample, int x, int y, float out[3]) {
  float t = 0.f;
  switch (p.bg) {
    case kBgPerlin: t = fractal01(hash3(seed, sample, 0xb9), float(x) * p.bg_freq, float(y) * p.bg_freq); break;
    case kBgFlat: t = 0.f; break;
    case kBgGradient: {
      const float c = cosf(p.bg_angle), s = sinf(p.bg_angle);
      t = 0.5f + (float(x) * c + float(y) * s) * p.bg_freq * 0.08f;
      t = t < 0.f ? 0.f : (t > 1.f ? 1.f : t);
      break;
    }
    default: t = float(((x / p.checker) + (y / p.checker)) & 1); break;
  }
  for (int c = 0; c < 3; ++c) out[c] = lerpf(p.bg0[c], p.bg1[c], t);
}

// ---- stage 1: render (placement, warp, background) ------------------------------------------------
// Output pixel (x, y) of an S x S input samples the sprite (canvas T x T, uint8 RGBA) by nearest
// neighbour at sprite coordinates around the centre, scaled by 1/cell, shifted by the offset,
// displaced by the warp field; outside the sprite is transparent. Without keep_alpha the result
// is composited over the background and alpha becomes 1 (the mask is lost).
// (S is the working size, p.work.)
PA_HD void render_pixel(const uint8_t* sprites, int T, const SampleParams& p, uint64_t seed, uint64_t sample,
                        int S, int x, int y, float out[4]) {
  float sx = (float(x) + 0.5f - 0.5f * float(S) - p.off_x) / p.cell + 0.5f * float(T);
  float sy = (float(y) + 0.5f - 0.5f * float(S) - p.off_y) / p.cell + 0.5f * float(T);
  if (p.warp_amp > 0.f) {
    const float f = 3.f / float(S);
    sx += p.warp_amp / p.cell * perlin(hash3(seed, sample, 0x3a), float(x) * f, float(y) * f);
    sy += p.warp_amp / p.cell * perlin(hash3(seed, sample, 0x3b), float(x) * f, float(y) * f);
  }
  const int ix = int(floorf(sx)), iy = int(floorf(sy));
  float rgba[4] = {0.f, 0.f, 0.f, 0.f};
  if (ix >= 0 && iy >= 0 && ix < T && iy < T) {
    const uint8_t* px = sprites + ((int64_t(p.sprite) * T + iy) * T + ix) * 4;
    for (int c = 0; c < 4; ++c) rgba[c] = float(px[c]) * (1.f / 255.f);
  }
  if (p.keep_alpha) {
    for (int c = 0; c < 4; ++c) out[c] = rgba[c];
    return;
  }
  float bg[3];
  background(p, seed, sample, x, y, bg);
  for (int c = 0; c < 3; ++c) out[c] = rgba[3] * rgba[c] + (1.f - rgba[3]) * bg[c];
  out[3] = 1.f;
}

// The target: the sprite itself, [T, T, 4] in [0, 1].
PA_HD float target_value(const uint8_t* sprites, int T, int sprite, int64_t i) {
  return float(sprites[int64_t(sprite) * T * T * 4 + i]) * (1.f / 255.f);
}

// ---- stage 2: resampling, OpenCV's conventions ---------------------------------------------------
// Source coordinate of destination pixel d: (d + 0.5) * scale - 0.5 (pixel centres aligned),
// borders replicated. Weights for one axis, up to 8 taps: returns the first source index and
// writes the weights (which sum to 1).
PA_HD float cubic_w(float x) {  // Keys cubic, a = -0.75 (OpenCV INTER_CUBIC)
  const float a = -0.75f;
  x = fabsf(x);
  if (x <= 1.f) return ((a + 2.f) * x - (a + 3.f)) * x * x + 1.f;
  if (x < 2.f) return ((a * x - 5.f * a) * x + 8.f * a) * x - 4.f * a;
  return 0.f;
}
PA_HD float lanczos4_w(float x) {
  if (fabsf(x) < 1e-6f) return 1.f;
  if (fabsf(x) >= 4.f) return 0.f;
  const float px = 3.14159265358979f * x;
  return 4.f * sinf(px) * sinf(px * 0.25f) / (px * px);
}
PA_HD float cubic_half_w(float x) {  // Keys cubic, a = -0.5 (Pillow's BICUBIC, MATLAB's imresize)
  x = fabsf(x);
  if (x < 1.f) return (1.5f * x - 2.5f) * x * x + 1.f;
  if (x < 2.f) return ((-0.5f * x + 2.5f) * x - 4.f) * x + 2.f;
  return 0.f;
}
// Taps of one destination pixel, at most kMaxTaps: Lanczos-4's 8, or the antialiased cubic's
// 4 * shrink + 1 (shrinks up to 5x; a longer footprint keeps its central kMaxTaps).
constexpr int kMaxTaps = 21;
// Returns the number of taps; first[0] is the first source index (may be out of range: clamp); w
// holds 8, or kMaxTaps for kCubicAA.
PA_HD int resample_taps(int filter, int src, int dst, int d, int* first, float* w) {
  const float scale = float(src) / float(dst);
  if (filter == kCubicAA) {
    // Pillow's antialiased bicubic: the kernel stretched by the shrink (1 when enlarging), centred
    // at (d + 0.5) * scale, taps outside the image dropped and the rest renormalised
    const float stretch = fmaxf(1.f, scale), support = 2.f * stretch, centre = (float(d) + 0.5f) * scale;
    int lo = int(centre - support + 0.5f), hi = int(centre + support + 0.5f);
    lo = lo < 0 ? 0 : lo, hi = hi > src ? src : hi;
    if (hi - lo > kMaxTaps) {
      const int extra = hi - lo - kMaxTaps;
      lo += extra / 2, hi = lo + kMaxTaps;
    }
    float sum = 0.f;
    for (int i = lo; i < hi; ++i) sum += (w[i - lo] = cubic_half_w((float(i) - centre + 0.5f) / stretch));
    for (int i = lo; i < hi; ++i) w[i - lo] = sum != 0.f ? w[i - lo] / sum : 0.f;
    *first = lo;
    return hi - lo;
  }
  if (filter == kArea && src > dst) {  // box average over the footprint [d*scale, (d+1)*scale)
    const float x0 = float(d) * scale, x1 = float(d + 1) * scale;
    const int i0 = int(floorf(x0));
    int n = 0;
    for (int i = i0; float(i) < x1 && n < 8; ++i, ++n) {
      const float a = fmaxf(x0, float(i)), b = fminf(x1, float(i + 1));
      w[n] = (b - a) / scale;
    }
    *first = i0;
    return n;
  }
  if (filter == kArea) {  // upscaling: OpenCV's INTER_AREA is linear with this fractional part
    const int sx = int(floorf(float(d) * scale));
    float fx = float(d + 1) - float(sx + 1) / scale;
    fx = fx <= 0.f ? 0.f : fx - floorf(fx);
    *first = sx;
    w[0] = 1.f - fx;
    w[1] = fx;
    return 2;
  }
  const float s = (float(d) + 0.5f) * scale - 0.5f;
  const float fl = floorf(s);
  const float f = s - fl;
  const int i = int(fl);
  if (filter == kBilinear) {
    *first = i;
    w[0] = 1.f - f;
    w[1] = f;
    return 2;
  }
  if (filter == kBicubic) {
    *first = i - 1;
    for (int k = 0; k < 4; ++k) w[k] = cubic_w(f - float(k - 1));
    return 4;
  }
  *first = i - 3;  // Lanczos-4: 8 taps, normalised to sum 1 as OpenCV does
  float sum = 0.f;
  for (int k = 0; k < 8; ++k) sum += (w[k] = lanczos4_w(f - float(k - 3)));
  for (int k = 0; k < 8; ++k) w[k] /= sum;
  return 8;
}
PA_HD int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// One destination pixel of a separable resize; src is [sh, sw, 4] with row stride `stride` pixels.
// N: the weights held, 8 for OpenCV's filters (what the synthesis runs, kept in registers on the
// GPU), kMaxTaps for the antialiased cubic.
template <int N>
PA_HD void resample_pixel_n(const float* src, int sh, int sw, int stride, int dh, int dw, int filter, int x, int y,
                            float out[4]) {
  int fx, fy;
  float wx[N], wy[N];  // resample_taps writes at most 8 but for kCubicAA
  const int nx = resample_taps(filter, sw, dw, x, &fx, wx);
  const int ny = resample_taps(filter, sh, dh, y, &fy, wy);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (int j = 0; j < ny; ++j) {
    const int yy = clampi(fy + j, 0, sh - 1);
    float row[4] = {0.f, 0.f, 0.f, 0.f};
    for (int i = 0; i < nx; ++i) {
      const float* p = src + (int64_t(yy) * stride + clampi(fx + i, 0, sw - 1)) * 4;
      for (int c = 0; c < 4; ++c) row[c] += wx[i] * p[c];
    }
    for (int c = 0; c < 4; ++c) acc[c] += wy[j] * row[c];
  }
  for (int c = 0; c < 4; ++c) out[c] = acc[c];
}
PA_HD void resample_pixel(const float* src, int sh, int sw, int stride, int dh, int dw, int filter, int x, int y,
                          float out[4]) {
  if (filter == kCubicAA) resample_pixel_n<kMaxTaps>(src, sh, sw, stride, dh, dw, filter, x, y, out);
  else resample_pixel_n<8>(src, sh, sw, stride, dh, dw, filter, x, y, out);
}

// Saving an image: clamp to [0, 1] and round to 8-bit levels.
PA_HD float to_level(float v) {
  v = v < 0.f ? 0.f : (v > 1.f ? 1.f : v);
  return rintf(v * 255.f) * (1.f / 255.f);
}

// The canonical step: input pixel (x, y) as the mean of the working image (n x n, row stride S)
// over its footprint, the box of resample_to_lattice (src/lattice.cpp), borders replicated.
PA_HD int box_taps(float u0, float step, int n, int* first, float w[4]) {
  const int i0 = int(floorf(u0));
  const float u1 = u0 + step;
  int k = 0;
  for (int i = i0; float(i) < u1 && k < 4; ++i, ++k) w[k] = (fminf(u1, float(i + 1)) - fmaxf(u0, float(i))) / step;
  *first = i0;
  (void)n;
  return k;
}
PA_HD void canon_pixel(const float* src, int S, const SampleParams& p, int x, int y, float out[4]) {
  if (!p.align) {
    for (int c = 0; c < 4; ++c) out[c] = src[(int64_t(y) * S + x) * 4 + c];
    return;
  }
  int fx, fy;
  float wx[4], wy[4];
  const int nx = box_taps(p.canon_x0 + float(x) * p.canon_step, p.canon_step, p.work, &fx, wx);
  const int ny = box_taps(p.canon_y0 + float(y) * p.canon_step, p.canon_step, p.work, &fy, wy);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (int j = 0; j < ny; ++j) {
    const int yy = clampi(fy + j, 0, p.work - 1);
    for (int i = 0; i < nx; ++i) {
      const float* q = src + (int64_t(yy) * S + clampi(fx + i, 0, p.work - 1)) * 4;
      for (int c = 0; c < 4; ++c) acc[c] += wx[i] * wy[j] * q[c];
    }
  }
  for (int c = 0; c < 4; ++c) out[c] = to_level(acc[c]);
}

// ---- stage 3: blur, colour, noise -----------------------------------------------------------------
// Separable Gaussian, radius ceil(3 sigma) <= 6, borders replicated; horizontal (dir 0) or
// vertical (dir 1) pass over an n x n image of row stride S.
PA_HD void blur_pixel(const float* src, int S, int n, float sigma, int dir, int x, int y, float out[4]) {
  int r = int(ceilf(3.f * sigma));
  r = r > 6 ? 6 : r;
  float acc[4] = {0.f, 0.f, 0.f, 0.f}, wsum = 0.f;
  for (int k = -r; k <= r; ++k) {
    const float w = expf(-0.5f * float(k * k) / (sigma * sigma));
    const int xx = dir == 0 ? clampi(x + k, 0, n - 1) : x, yy = dir == 1 ? clampi(y + k, 0, n - 1) : y;
    const float* p = src + (int64_t(yy) * S + xx) * 4;
    for (int c = 0; c < 4; ++c) acc[c] += w * p[c];
    wsum += w;
  }
  for (int c = 0; c < 4; ++c) out[c] = acc[c] / wsum;
}

// Colour jitter and noise on one pixel (RGB only; alpha untouched).
PA_HD void color_noise_pixel(const SampleParams& p, uint64_t seed, uint64_t sample, int64_t pixel, float v[4]) {
  const float grey = 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
  for (int c = 0; c < 3; ++c) {
    float x = grey + p.saturation * (v[c] - grey);
    x = 0.5f + p.contrast * (x - 0.5f) + p.brightness;
    if (p.noise > 0.f) {  // Box-Muller from two counter-based uniforms
      const float u1 = fmaxf(uniform01(seed, sample * 64 + 7, uint64_t(pixel) * 3 + c), 1e-7f);
      const float u2 = uniform01(seed, sample * 64 + 8, uint64_t(pixel) * 3 + c);
      x += p.noise * sqrtf(-2.f * logf(u1)) * cosf(6.2831853f * u2);
    }
    v[c] = x;
  }
}

// ---- stage 4: JPEG (libjpeg's conventions: JFIF YCbCr, 4:2:0, 8x8 DCT, IJG quality tables) -----
// The standard tables (JPEG Annex K), natural order.
PA_HD int jpeg_base_table(int chroma, int i) {
  constexpr unsigned char kLuma[64] = {16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
                                       14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
                                       18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                                       49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
  constexpr unsigned char kChroma[64] = {17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
                                         24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
                                         99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
                                         99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};
  return chroma ? kChroma[i] : kLuma[i];
}
// IJG scaling (jcparam.c): 5000/q below 50, else 200 - 2q; entries clamped to [1, 255].
PA_HD float jpeg_qtable(int chroma, int quality, int i) {
  quality = quality < 1 ? 1 : (quality > 100 ? 100 : quality);
  const int scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  int q = (jpeg_base_table(chroma, i) * scale + 50) / 100;
  q = q < 1 ? 1 : (q > 255 ? 255 : q);
  return float(q);
}
// Colour conversion on 0..255 values (jccolor.c), rounded as libjpeg's fixed point does.
PA_HD void rgb_to_ycc(const float rgb[3], float ycc[3]) {
  const float r = rgb[0], g = rgb[1], b = rgb[2];
  ycc[0] = floorf(0.29900f * r + 0.58700f * g + 0.11400f * b + 0.5f);
  ycc[1] = floorf(-0.16874f * r - 0.33126f * g + 0.50000f * b + 128.f + 0.5f - 1e-3f);
  ycc[2] = floorf(0.50000f * r - 0.41869f * g - 0.08131f * b + 128.f + 0.5f - 1e-3f);
}
PA_HD float clamp255(float v) { return v < 0.f ? 0.f : (v > 255.f ? 255.f : v); }
PA_HD void ycc_to_rgb(const float ycc[3], float rgb[3]) {
  const float y = ycc[0], cb = ycc[1] - 128.f, cr = ycc[2] - 128.f;
  rgb[0] = clamp255(floorf(y + 1.40200f * cr + 0.5f));
  rgb[1] = clamp255(floorf(y - 0.34414f * cb - 0.71414f * cr + 0.5f));
  rgb[2] = clamp255(floorf(y + 1.77200f * cb + 0.5f));
}
// 8-point DCT-II basis with JPEG's normalisation, c(u) cos((2x + 1) u pi / 16) / 2, u major
// (the values of that formula, to 9 digits)
PA_HD float dct_basis(int u, int x) {
  constexpr float kBasis[64] = {
      0.353553391f, 0.353553391f, 0.353553391f, 0.353553391f, 0.353553391f, 0.353553391f, 0.353553391f, 0.353553391f,
      0.490392640f, 0.415734806f, 0.277785117f, 0.097545161f, -0.097545161f, -0.277785117f, -0.415734806f, -0.490392640f,
      0.461939766f, 0.191341716f, -0.191341716f, -0.461939766f, -0.461939766f, -0.191341716f, 0.191341716f, 0.461939766f,
      0.415734806f, -0.097545161f, -0.490392640f, -0.277785117f, 0.277785117f, 0.490392640f, 0.097545161f, -0.415734806f,
      0.353553391f, -0.353553391f, -0.353553391f, 0.353553391f, 0.353553391f, -0.353553391f, -0.353553391f, 0.353553391f,
      0.277785117f, -0.490392640f, 0.097545161f, 0.415734806f, -0.415734806f, -0.097545161f, 0.490392640f, -0.277785117f,
      0.191341716f, -0.461939766f, 0.461939766f, -0.191341716f, -0.191341716f, 0.461939766f, -0.461939766f, 0.191341716f,
      0.097545161f, -0.277785117f, 0.415734806f, -0.490392640f, 0.490392640f, -0.415734806f, 0.277785117f, -0.097545161f,
  };
  return kBasis[u * 8 + x];
}
// One 8x8 block in place (values 0..255): level shift, forward DCT, quantise with the table,
// dequantise, inverse DCT, round and clamp (libjpeg's decoder output is integer samples).
PA_HD void jpeg_block(float blk[64], int chroma, int quality) {
  float tmp[64], coef[64];
  for (int y = 0; y < 8; ++y)  // rows
    for (int u = 0; u < 8; ++u) {
      float s = 0.f;
      for (int x = 0; x < 8; ++x) s += (blk[y * 8 + x] - 128.f) * dct_basis(u, x);
      tmp[y * 8 + u] = s;
    }
  for (int v = 0; v < 8; ++v)  // columns, then quantise
    for (int u = 0; u < 8; ++u) {
      float s = 0.f;
      for (int y = 0; y < 8; ++y) s += tmp[y * 8 + u] * dct_basis(v, y);
      const float q = jpeg_qtable(chroma, quality, v * 8 + u);
      coef[v * 8 + u] = rintf(s / q) * q;
    }
  for (int v = 0; v < 8; ++v)  // inverse: columns
    for (int y = 0; y < 8; ++y) {
      float s = 0.f;
      for (int vv = 0; vv < 8; ++vv) s += coef[vv * 8 + v] * dct_basis(vv, y);
      tmp[y * 8 + v] = s;
    }
  for (int y = 0; y < 8; ++y)  // rows
    for (int x = 0; x < 8; ++x) {
      float s = 0.f;
      for (int u = 0; u < 8; ++u) s += tmp[y * 8 + u] * dct_basis(u, x);
      blk[y * 8 + x] = clamp255(floorf(s + 128.f + 0.5f));
    }
}
// libjpeg's h2v2 downsampling (jcsample.c): the 2x2 average with a bias alternating 1, 2.
PA_HD float chroma_downsample(float a, float b, float c, float d, int cx) {
  return floorf((a + b + c + d + ((cx & 1) ? 2.f : 1.f)) / 4.f);
}
// libjpeg's "fancy" h2v2 upsampling (jdsample.c): a triangle filter, 3/4 nearer + 1/4 further
// sample in each direction, in integer arithmetic with alternating rounding bias.
// The plane has row stride `stride`; its first cw x ch samples are the image's.
PA_HD float chroma_upsample(const float* plane, int stride, int cw, int ch, int x, int y) {
  const int cx = x >> 1, cy = y >> 1;
  const int fy = clampi(cy + ((y & 1) ? 1 : -1), 0, ch - 1);
  const int fx = clampi(cx + ((x & 1) ? 1 : -1), 0, cw - 1);
  const float near_col = 3.f * plane[cy * stride + cx] + plane[fy * stride + cx];
  const float far_col = 3.f * plane[cy * stride + fx] + plane[fy * stride + fx];
  return floorf((3.f * near_col + far_col + ((x & 1) ? 7.f : 8.f)) / 16.f);
}

// ---- upscaler training patches ------------------------------------------------------------------
// An image set on the device: uint8 RGBA pixels back to back, and per image its offset (in
// pixels), width, height and `until`: the share of all patch positions in this image and those
// before it (the last image's is 1).
struct ImageEntry {
  int64_t offset;
  int width, height;
  float until;
};
// How patches are drawn: `by_area` draws the image in proportion to its patch positions (every
// place in the set equally often) instead of each image equally often; `dihedral` flips and
// transposes each patch one of eight ways.
struct PatchDraw {
  int P;  // patch size
  bool by_area, dihedral;
};
// Sample `sample` draws an image and the top-left corner of a P x P patch in it, then with
// `dihedral` one of the eight flips and transposes of the patch (*t: bit 2 transposes, bit 0 flips
// x, bit 1 flips y; 0 without). The image and corner are drawn first, so a sample's patch is the
// same place with or without the augmentation.
PA_HD void patch_origin(uint64_t seed, uint64_t sample, const ImageEntry* table, int nimages, PatchDraw d, int* img,
                        int* x0, int* y0, int* t) {
  SampleRng r{seed, sample * 64 + 9};
  if (d.by_area) {  // the first image whose share reaches the draw (binary search)
    const float u = r.u();
    int lo = 0, hi = nimages - 1;
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (table[mid].until > u) hi = mid;
      else lo = mid + 1;
    }
    *img = lo;
  } else {
    *img = r.below(nimages);
  }
  const ImageEntry e = table[*img];
  *x0 = r.below(e.width - d.P + 1);
  *y0 = r.below(e.height - d.P + 1);
  *t = d.dihedral ? r.below(8) : 0;
}
// Pixel (x, y) of the size x size window at (off, off) of the sample's (transformed) patch, in
// [0, 1]. The input (off 0) and the target (off m) are windows of the same transformed patch.
PA_HD void patch_pixel(const uint8_t* pixels, const ImageEntry* table, int nimages, uint64_t seed, uint64_t sample,
                       PatchDraw d, int off, int x, int y, float out[4]) {
  const int P = d.P;
  int img, x0, y0, t;
  patch_origin(seed, sample, table, nimages, d, &img, &x0, &y0, &t);
  const ImageEntry e = table[img];
  int u = off + x, v = off + y;  // in the transformed patch; back to the patch as it lies in the image
  if (t & 1) u = P - 1 - u;
  if (t & 2) v = P - 1 - v;
  if (t & 4) { const int w = u; u = v; v = w; }
  const uint8_t* p = pixels + (e.offset + int64_t(y0 + v) * e.width + (x0 + u)) * 4;
  for (int c = 0; c < 4; ++c) out[c] = float(p[c]) * (1.f / 255.f);
}

// The upscaler's JPEG'd inputs (PatchOptions::jpeg_min..jpeg_max): sample `sample`'s quality,
// drawn in [qmin, qmax] with probability `share`; 0 (not coded) otherwise, and always where qmin is 0.
PA_HD int patch_jpeg_quality(uint64_t seed, uint64_t sample, int qmin, int qmax, float share) {
  if (qmin <= 0) return 0;
  SampleRng r{seed, sample * 64 + 10};
  if (!r.chance(share)) return 0;
  return qmin + r.below(qmax - qmin + 1);
}
// Sample `sample`'s parameters for synth_patch_jpeg: its quality, over an S x S working image.
PA_HD SampleParams patch_jpeg_params(uint64_t seed, uint64_t sample, int qmin, int qmax, float share, int S) {
  SampleParams p{};
  p.jpeg_q[0] = patch_jpeg_quality(seed, sample, qmin, qmax, share);
  p.work = S;
  return p;
}
// Pixel (x, y) of the S x S image the JPEG codes from a premultiplied s x s patch (s <= S): its
// straight colour, as an image file holds it, the last row and column repeated past s as an encoder
// pads a picture to whole blocks.
PA_HD void jpeg_pad_pixel(const float* src, int s, int x, int y, float out[4]) {
  const float* v = src + (int64_t(y < s ? y : s - 1) * s + (x < s ? x : s - 1)) * 4;
  for (int c = 0; c < 4; ++c) out[c] = v[c];
  unpremultiply_px(out);
}
// Pixel (x, y) of the s x s patch back from the coded S x S image, premultiplied again.
PA_HD void jpeg_crop_pixel(const float* im, int S, int x, int y, float out[4]) {
  const float* v = im + (int64_t(y) * S + x) * 4;
  for (int c = 0; c < 4; ++c) out[c] = v[c];
  premultiply_px(out);
}

// The three JPEG steps on one image (RGBA [S, S, 4] in [0, 1]; planes Y [S, S], Cb and Cr
// [S/2, S/2]), each for one unit of work, called by the CPU loops and the CUDA kernels alike.
// Encode one chroma sample (cx, cy): the 2x2 pixels it covers to YCbCr, chroma averaged (4:2:0).
PA_HD void jpeg_encode_unit(const float* im, int S, int cx, int cy, float* Y, float* Cb, float* Cr) {
  const int C = S / 2;
  float ycc[4][3];
  for (int k = 0; k < 4; ++k) {
    const int x = 2 * cx + (k & 1), y = 2 * cy + (k >> 1);
    const float* v = im + (int64_t(y) * S + x) * 4;
    const float rgb[3] = {rintf(v[0] * 255.f), rintf(v[1] * 255.f), rintf(v[2] * 255.f)};
    rgb_to_ycc(rgb, ycc[k]);
    Y[y * S + x] = ycc[k][0];
  }
  Cb[cy * C + cx] = chroma_downsample(ycc[0][1], ycc[1][1], ycc[2][1], ycc[3][1], cx);
  Cr[cy * C + cx] = chroma_downsample(ycc[0][2], ycc[1][2], ycc[2][2], ycc[3][2], cx);
}
// The number of 8x8 blocks of one image (luma, then Cb, then Cr), and block b of them.
PA_HD int jpeg_blocks_per_image(int S) { return (S / 8) * (S / 8) + 2 * (S / 16) * (S / 16); }
PA_HD void jpeg_block_unit(float* Y, float* Cb, float* Cr, int S, int b, int quality) {
  const int C = S / 2, by = S / 8, bc = C / 8;
  float* plane;
  int w, chroma = 1;
  if (b < by * by) plane = Y, w = S, chroma = 0;
  else if ((b -= by * by) < bc * bc) plane = Cb, w = C;
  else b -= bc * bc, plane = Cr, w = C;
  const int nb = w / 8, x0 = (b % nb) * 8, y0 = (b / nb) * 8;
  float blk[64];
  for (int k = 0; k < 64; ++k) blk[k] = plane[(y0 + k / 8) * w + x0 + k % 8];
  jpeg_block(blk, chroma, quality);
  for (int k = 0; k < 64; ++k) plane[(y0 + k / 8) * w + x0 + k % 8] = blk[k];
}
// Whether block b lies in the top-left w x w pixels (w a multiple of 16).
PA_HD bool jpeg_block_in_work(int S, int b, int w) {
  const int by = S / 8, bc = S / 16;
  if (b < by * by) return (b % by) * 8 < w && (b / by) * 8 < w;
  b = (b - by * by) % (bc * bc);
  return (b % bc) * 8 < w / 2 && (b / bc) * 8 < w / 2;
}
// Decode pixel (x, y) of the top-left w x w pixels: fancy-upsampled chroma (replicated at the
// region's border, as a decoder does at the image's), back to RGB (alpha untouched).
PA_HD void jpeg_decode_unit(float* im, const float* Y, const float* Cb, const float* Cr, int S, int w, int x, int y) {
  const int C = S / 2;
  const float ycc[3] = {Y[y * S + x], chroma_upsample(Cb, C, w / 2, w / 2, x, y), chroma_upsample(Cr, C, w / 2, w / 2, x, y)};
  float rgb[3];
  ycc_to_rgb(ycc, rgb);
  float* v = im + (int64_t(y) * S + x) * 4;
  for (int c = 0; c < 3; ++c) v[c] = rgb[c] * (1.f / 255.f);
}

}  // namespace pixelart::kernels
