// kernels/synth.cu — CUDA kernels over kernels/synth.h, one per stage. CPU twin: synth_cpu.cpp.
// Pixel stages use one thread per output pixel over the whole batch; JPEG blocks one thread per
// 8x8 block. Samples whose stage is off copy or return, so every launch covers the full batch.
#include "cuda_launch.cuh"
#include "cuda_ops.h"

namespace pixelart::cuda {
using namespace pixelart::kernels;

namespace {

__global__ void k_params(DamageParams d, SynthDims g, SampleParams* out) {
  PA_GRID_STRIDE(i, g.n) out[i] = draw_sample(d, g.seed, g.first + uint64_t(i), g.nsprites, g.S, g.T);
}
__global__ void k_render(const uint8_t* sprites, const SampleParams* p, SynthDims g, float* out) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per), x = pix % g.S, y = pix / g.S;
    if (x >= p[i].work || y >= p[i].work) continue;
    render_pixel(sprites, g.T, p[i], g.seed, g.first + uint64_t(i), p[i].work, x, y, out + t * 4);
  }
}
__global__ void k_targets(const uint8_t* sprites, const SampleParams* p, SynthDims g, float* out) {
  const int64_t per = int64_t(g.T) * g.T * 4;
  PA_GRID_STRIDE(t, g.n * per) out[t] = target_value(sprites, g.T, p[t / per].sprite, t % per);
}
__global__ void k_resize(const float* src, float* dst, const SampleParams* p, SynthDims g, int k) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per), x = pix % g.S, y = pix / g.S;
    const SampleParams& q = p[i];
    const float* s = src + int64_t(i) * per * 4;
    float* o = dst + t * 4;
    if (k >= q.nresize) {
      for (int c = 0; c < 4; ++c) o[c] = src[t * 4 + c];
      continue;
    }
    const int sh = q.size[k], dh = q.size[k + 1];
    if (x >= dh || y >= dh) continue;
    resample_pixel(s, sh, sh, g.S, dh, dh, q.filter[k], x, y, o);
    for (int c = 0; c < 4; ++c) o[c] = to_level(o[c]);
  }
}
__global__ void k_resize_batch(const float* src, float* dst, int n, int sh, int sw, int dh, int dw, int filter) {
  const int64_t per = int64_t(dh) * dw;
  PA_GRID_STRIDE(t, n * per) {
    const int i = int(t / per), pix = int(t % per);
    resample_pixel(src + int64_t(i) * sh * sw * 4, sh, sw, sw, dh, dw, filter, pix % dw, pix / dw, dst + t * 4);
  }
}
__global__ void k_patches(const uint8_t* pixels, const ImageEntry* table, int nimages, uint64_t seed, uint64_t first,
                          int n, PatchDraw d, int off, int size, float* out) {
  const int64_t per = int64_t(size) * size;
  PA_GRID_STRIDE(t, n * per) {
    const int i = int(t / per), pix = int(t % per);
    patch_pixel(pixels, table, nimages, seed, first + uint64_t(i), d, off, pix % size, pix / size, out + t * 4);
  }
}
__global__ void k_blur(const float* src, float* dst, const SampleParams* p, SynthDims g, int dir) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per), x = pix % g.S, y = pix / g.S;
    if (x >= p[i].work || y >= p[i].work) continue;
    if (p[i].blur_sigma <= 0.f) {
      for (int c = 0; c < 4; ++c) dst[t * 4 + c] = src[t * 4 + c];
      continue;
    }
    blur_pixel(src + int64_t(i) * per * 4, g.S, p[i].work, p[i].blur_sigma, dir, x, y, dst + t * 4);
  }
}
__global__ void k_color_noise(float* img, const SampleParams* p, SynthDims g) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per);
    if ((t % per) % g.S >= p[i].work || (t % per) / g.S >= p[i].work) continue;
    float* v = img + t * 4;
    color_noise_pixel(p[i], g.seed, g.first + uint64_t(i), t % per, v);
    for (int c = 0; c < 4; ++c) v[c] = to_level(v[c]);
  }
}
__global__ void k_jpeg_encode(const float* img, float* Y, float* Cb, float* Cr, const SampleParams* p, SynthDims g, int pass) {
  const int S = g.S, C = S / 2;
  const int64_t per = int64_t(C) * C;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), cp = int(t % per);
    if (p[i].jpeg_q[pass] <= 0 || (cp % C) * 2 >= p[i].work || (cp / C) * 2 >= p[i].work) continue;
    jpeg_encode_unit(img + int64_t(i) * S * S * 4, S, cp % C, cp / C, Y + int64_t(i) * S * S, Cb + int64_t(i) * per,
                     Cr + int64_t(i) * per);
  }
}
__global__ void k_jpeg_blocks(float* Y, float* Cb, float* Cr, const SampleParams* p, SynthDims g, int pass) {
  const int S = g.S, C = S / 2, per = jpeg_blocks_per_image(S);
  PA_GRID_STRIDE(t, int64_t(g.n) * per) {
    const int i = int(t / per), q = p[i].jpeg_q[pass];
    if (q <= 0 || !jpeg_block_in_work(S, int(t % per), p[i].work)) continue;
    jpeg_block_unit(Y + int64_t(i) * S * S, Cb + int64_t(i) * C * C, Cr + int64_t(i) * C * C, S, int(t % per), q);
  }
}
__global__ void k_jpeg_decode(float* img, const float* Y, const float* Cb, const float* Cr, const SampleParams* p, SynthDims g, int pass) {
  const int S = g.S, C = S / 2;
  const int64_t per = int64_t(S) * S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per), w = p[i].work;
    if (p[i].jpeg_q[pass] <= 0 || pix % S >= w || pix / S >= w) continue;
    jpeg_decode_unit(img + int64_t(i) * per * 4, Y + int64_t(i) * per, Cb + int64_t(i) * C * C, Cr + int64_t(i) * C * C, S, w,
                     pix % S, pix / S);
  }
}
__global__ void k_patch_jpeg_params(SynthDims g, int qmin, int qmax, float share, SampleParams* out) {
  PA_GRID_STRIDE(i, g.n) out[i] = patch_jpeg_params(g.seed, g.first + uint64_t(i), qmin, qmax, share, g.S);
}
__global__ void k_jpeg_pad(const float* small, int s, float* work, const SampleParams* p, SynthDims g) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per);
    if (p[i].jpeg_q[0] <= 0) continue;
    jpeg_pad_pixel(small + int64_t(i) * s * s * 4, s, pix % g.S, pix / g.S, work + t * 4);
  }
}
__global__ void k_jpeg_crop(float* small, int s, const float* work, const SampleParams* p, SynthDims g) {
  const int64_t per = int64_t(s) * s;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per);
    if (p[i].jpeg_q[0] <= 0) continue;
    jpeg_crop_pixel(work + int64_t(i) * g.S * g.S * 4, g.S, pix % s, pix / s, small + t * 4);
  }
}
__global__ void k_canon(const float* src, float* dst, const SampleParams* p, SynthDims g) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per);
    canon_pixel(src + int64_t(i) * per * 4, g.S, p[i], pix % g.S, pix / g.S, dst + t * 4);
  }
}
__global__ void k_clear(float* img, const SampleParams* p, SynthDims g) {
  const int64_t per = int64_t(g.S) * g.S;
  PA_GRID_STRIDE(t, g.n * per) {
    const int i = int(t / per), pix = int(t % per);
    if (!p[i].clear || pix % g.S >= p[i].work || pix / g.S >= p[i].work) continue;
    clear_pixel(p[i], img + t * 4);
  }
}
}  // namespace

void synth_clear(float* img, const SampleParams* p, const SynthDims& g) {
  k_clear<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(img, p, g);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_canon(const float* src, float* dst, const SampleParams* p, const SynthDims& g) {
  k_canon<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(src, dst, p, g);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_params(const DamageParams& d, const SynthDims& g, SampleParams* out) {
  k_params<<<grid_for(g.n), kThreads>>>(d, g, out);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_render(const uint8_t* sprites, const SampleParams* p, const SynthDims& g, float* out) {
  k_render<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(sprites, p, g, out);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_targets(const uint8_t* sprites, const SampleParams* p, const SynthDims& g, float* out) {
  k_targets<<<grid_for(int64_t(g.n) * g.T * g.T * 4, 1 << 20), kThreads>>>(sprites, p, g, out);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_resize(const float* src, float* dst, const SampleParams* p, const SynthDims& g, int k) {
  k_resize<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(src, dst, p, g, k);
  PA_CUDA_CHECK_LAUNCH();
}
void resize_batch(const float* src, float* dst, int n, int sh, int sw, int dh, int dw, int filter) {
  k_resize_batch<<<grid_for(int64_t(n) * dh * dw, 1 << 20), kThreads>>>(src, dst, n, sh, sw, dh, dw, filter);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_patches(const uint8_t* pixels, const ImageEntry* table, int nimages, uint64_t seed, uint64_t first, int n,
                   PatchDraw d, int off, int size, float* out) {
  k_patches<<<grid_for(int64_t(n) * size * size, 1 << 20), kThreads>>>(pixels, table, nimages, seed, first, n, d, off, size,
                                                                       out);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_blur(const float* src, float* dst, const SampleParams* p, const SynthDims& g, int dir) {
  k_blur<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(src, dst, p, g, dir);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_color_noise(float* img, const SampleParams* p, const SynthDims& g) {
  k_color_noise<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(img, p, g);
  PA_CUDA_CHECK_LAUNCH();
}
void synth_jpeg(float* img, float* y, float* cb, float* cr, const SampleParams* p, const SynthDims& g, int pass) {
  const int64_t chroma_px = int64_t(g.n) * (g.S / 2) * (g.S / 2);
  k_jpeg_encode<<<grid_for(chroma_px, 1 << 20), kThreads>>>(img, y, cb, cr, p, g, pass);
  PA_CUDA_CHECK_LAUNCH();
  const int64_t blocks = int64_t(g.n) * jpeg_blocks_per_image(g.S);
  k_jpeg_blocks<<<grid_for(blocks, 1 << 20), kThreads>>>(y, cb, cr, p, g, pass);
  PA_CUDA_CHECK_LAUNCH();
  k_jpeg_decode<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(img, y, cb, cr, p, g, pass);
  PA_CUDA_CHECK_LAUNCH();
}

void synth_patch_jpeg(float* small, int s, float* work, float* y, float* cb, float* cr, SampleParams* p,
                      const SynthDims& g, int qmin, int qmax, float share) {
  k_patch_jpeg_params<<<grid_for(g.n), kThreads>>>(g, qmin, qmax, share, p);
  PA_CUDA_CHECK_LAUNCH();
  k_jpeg_pad<<<grid_for(int64_t(g.n) * g.S * g.S, 1 << 20), kThreads>>>(small, s, work, p, g);
  PA_CUDA_CHECK_LAUNCH();
  synth_jpeg(work, y, cb, cr, p, g, 0);
  k_jpeg_crop<<<grid_for(int64_t(g.n) * s * s, 1 << 20), kThreads>>>(small, s, work, p, g);
  PA_CUDA_CHECK_LAUNCH();
}

}  // namespace pixelart::cuda
