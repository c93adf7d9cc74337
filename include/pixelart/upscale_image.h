// pixelart/upscale_image.h — `upscale`'s pipeline for one image: the network upscaler
// (upscaler.h), or the pixel-art mode (the sprite as it is, or restored first as `restore` does,
// then enlarged keeping its hard edges and palette: scale_pixel_art), the output's size checked
// against a pixel budget before any work. Implemented in src/upscale_image.cpp.
#pragma once
#include <cstdint>
#include <string>

#include "pixelart/restore.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/upscaler.h"

namespace pixelart {

enum class PixelArtMode {
  Off,      // the network upscaler, at any factor in [1, 8]
  Nearest,  // the sprite as it is, enlarged by the whole factor per pass
  Restore,  // the damaged sprite restored first (the pixel grid found unless the hints say)
};

struct UpscaleImageOptions {
  double factor = 2;
  UpscaleOptions network;      // passes (also the pixel-art mode's), tile, ensemble, back-projection, progress
  PixelArtMode pixel_art = PixelArtMode::Off;
  bool smooth_edges = true;    // the pixel-art mode's Scale2x/Scale3x, else square blocks
  RestoreOptions restore;      // PixelArtMode::Restore's
  int64_t max_pixels = 100'000'000;  // an output of more pixels is refused before any work
  // The network upscaler's input first passes through this model trained at factor 1 (a JPEG
  // denoiser, `upscale --denoiser M`); at factor 1 that pass is all that is done.
  const Upscaler* denoiser = nullptr;
};

// The upscaled image. `model` is used when pixel_art is Off, `restorer` when it is Restore.
// Errors (an output over the budget, a sprite with no credible grid) are Error(BadInput) naming
// `name`, the input's file.
Sprite upscale_image(const Sprite& img, const std::string& name, const UpscaleImageOptions& o, const Upscaler* model,
                     const Restorer* restorer, Device dev);

}  // namespace pixelart
