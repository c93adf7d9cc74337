// src/sprites.cpp — the procedural sprite generator (include/pixelart/sprites.h).
#include <algorithm>
#include <array>
#include <cmath>

#include "pixelart/sprites.h"
#include "rng.h"

namespace pixelart {

namespace {
struct Rng {  // counter-based: (seed, draw number) -> number, as kernels/rng.h
  uint64_t seed, n = 0;
  float uniform() { return kernels::uniform01(seed, 0x5eed, n++); }
  int below(int k) { return std::min(k - 1, int(uniform() * float(k))); }
};
}  // namespace

Sprite generate_sprite(uint64_t seed, int size) {
  PA_CHECK(size >= 4, "generate_sprite: size " << size << " is too small (at least 4)");
  Rng r{seed};
  Sprite s;
  s.width = s.height = size;
  s.rgba.assign(size_t(size) * size * 4, 0);
  // Palette: 2-7 fill colours plus a dark outline colour.
  const int ncol = 2 + r.below(6);
  std::vector<std::array<uint8_t, 3>> pal(ncol);
  for (auto& c : pal)
    for (auto& ch : c) ch = uint8_t(40 + r.below(216));
  const std::array<uint8_t, 3> outline{uint8_t(r.below(40)), uint8_t(r.below(40)), uint8_t(r.below(40))};
  // Shape: a union of 2-5 ellipses and rectangles, mirrored left-right; colour by region.
  std::vector<int> mask(size_t(size) * size, -1);
  const int nshapes = 2 + r.below(4);
  const int half = (size + 1) / 2;
  for (int k = 0; k < nshapes; ++k) {
    const float cx = 0.2f * size + r.uniform() * 0.35f * size, cy = 0.15f * size + r.uniform() * 0.7f * size;
    const float rx = 1.5f + r.uniform() * 0.3f * size, ry = 1.5f + r.uniform() * 0.35f * size;
    const bool rect = r.uniform() < 0.4f;
    const int col = r.below(ncol);
    for (int y = 1; y < size - 1; ++y)
      for (int x = 1; x < half; ++x) {
        const float dx = (x + 0.5f - cx) / rx, dy = (y + 0.5f - cy) / ry;
        const bool in = rect ? (std::abs(dx) <= 1 && std::abs(dy) <= 1) : (dx * dx + dy * dy <= 1);
        if (in) mask[y * size + x] = mask[y * size + (size - 1 - x)] = col;
      }
  }
  // Speckles of detail inside, then an outline around the filled region.
  for (int i = 0; i < size; ++i) {
    const int x = 1 + r.below(half - 1), y = 1 + r.below(size - 2);
    if (mask[y * size + x] >= 0) mask[y * size + x] = mask[y * size + (size - 1 - x)] = r.below(ncol);
  }
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      uint8_t* px = &s.rgba[(size_t(y) * size + x) * 4];
      const int m = mask[y * size + x];
      if (m >= 0) {
        std::copy(pal[m].begin(), pal[m].end(), px);
        px[3] = 255;
        continue;
      }
      bool edge = false;
      for (int d = 0; d < 4 && !edge; ++d) {
        const int nx = x + (d == 0) - (d == 1), ny = y + (d == 2) - (d == 3);
        edge = nx >= 0 && ny >= 0 && nx < size && ny < size && mask[ny * size + nx] >= 0;
      }
      if (edge) {
        std::copy(outline.begin(), outline.end(), px);
        px[3] = 255;
      }
    }
  return s;
}

void sprites_to_pair(const std::vector<Sprite>& sprites, int scale, Device dev, Tensor* inputs,
                     Tensor* targets) {
  PA_CHECK(!sprites.empty(), "sprites_to_pair: no sprites");
  const int h = sprites[0].height, w = sprites[0].width;
  const int64_t n = int64_t(sprites.size());
  Tensor in = Tensor::empty({n, int64_t(h) * scale, int64_t(w) * scale, 4});
  Tensor tg = Tensor::empty({n, h, w, 4});
  float* ip = in.data<float>();
  float* tp = tg.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const Sprite& s = sprites[i];
    PA_CHECK(s.width == w && s.height == h, "sprites_to_pair: sprites differ in size");
    for (size_t k = 0; k < s.rgba.size(); ++k) tp[i * h * w * 4 + k] = s.rgba[k] / 255.f;
    for (int y = 0; y < h * scale; ++y)
      for (int x = 0; x < w * scale; ++x)
        for (int c = 0; c < 4; ++c)
          ip[((i * h * scale + y) * w * scale + x) * 4 + c] =
              s.rgba[((y / scale) * w + (x / scale)) * 4 + c] / 255.f;
  }
  *inputs = in.to(dev);
  *targets = tg.to(dev);
}

}  // namespace pixelart
