// src/upscale_image.cpp — `upscale`'s pipeline for one image (pixelart/upscale_image.h).
#include "pixelart/upscale_image.h"

#include <cmath>

#include "pixelart/error.h"
#include "pixelart/postprocess.h"

namespace pixelart {

Sprite upscale_image(const Sprite& input, const std::string& name, const UpscaleImageOptions& o, const Upscaler* model,
                     const Restorer* restorer, Device dev) {
  const int passes = o.network.passes;
  const bool network = o.pixel_art == PixelArtMode::Off;
  // the output's size, before any work: -f 8 --passes 8 would be 16.7 million times larger a side
  double side = 1;
  for (int p = 0; p < passes; ++p) side *= network ? o.factor : std::floor(o.factor);
  const double out_w = std::round(double(input.width) * side), out_h = std::round(double(input.height) * side);
  if (o.pixel_art != PixelArtMode::Restore && out_w * out_h > double(o.max_pixels))
    throw Error(name + ": the output would be " + std::to_string(int64_t(out_w)) + "x" + std::to_string(int64_t(out_h)) +
                    " pixels, over the budget of " + std::to_string(o.max_pixels) +
                    " (--max-pixels raises it; a smaller -f or fewer --passes make it smaller)",
                ErrorKind::BadInput);
  if (network) {
    if (o.denoiser && o.factor == 1) return o.denoiser->upscale(input, 1.0, o.network);
    if (o.denoiser) {
      UpscaleOptions d = o.network;
      d.passes = 1;
      // the denoiser's share of the progress line: a factor-squared smaller output than a pass's
      const double share = 1.0 / (1.0 + o.factor * o.factor * passes);
      if (o.network.progress) d.progress = [&](double f) { o.network.progress(share * f); };
      const Sprite clean = o.denoiser->upscale(input, 1.0, d);
      UpscaleOptions u = o.network;
      if (o.network.progress) u.progress = [&](double f) { o.network.progress(share + (1 - share) * f); };
      PA_CHECK(model, "upscale_image: no upscaler model");
      return model->upscale(clean, o.factor, u);
    }
    PA_CHECK(model, "upscale_image: no upscaler model");
    return model->upscale(input, o.factor, o.network);
  }
  Sprite img = input;
  if (o.pixel_art == PixelArtMode::Restore) {  // damaged sprite -> pixel-perfect sprite first, as `restore` does
    PA_CHECK(restorer, "upscale_image: no restorer model");
    const RestoreJob job = restore_image(*restorer, img, o.restore, dev);
    if (!job.ok()) throw Error(name + ": " + job.error, ErrorKind::BadInput);
    img = job.sprite;
  }
  const int64_t total = int64_t(side);  // the whole factor to the passes' power
  if (double(img.width * total) * double(img.height * total) > double(o.max_pixels))
    throw Error(name + ": the output would be " + std::to_string(img.width * total) + "x" + std::to_string(img.height * total) +
                    " pixels, over the budget of " + std::to_string(o.max_pixels) + " (--max-pixels raises it)",
                ErrorKind::BadInput);
  return scale_pixel_art(img, int(total), o.smooth_edges);
}

}  // namespace pixelart
