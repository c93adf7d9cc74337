// pixelart/image_io.h — image files, through OpenCV (the only code that includes it; it lives in
// the pixelart_io library so that the core, its tests and benchmarks build without OpenCV).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pixelart/sprites.h"

namespace pixelart {

// Reads PNG, JPEG, WebP, BMP ... in grey, grey+alpha, RGB, RGBA, 8 or 16 bit, as 8-bit RGBA.
// Throws Error(kind BadInput) naming the file and what is wrong.
Sprite read_image(const std::string& path);
// Writes a PNG whole or not at all (temporary file, then rename). Never overwrites `path` if it
// is one of `protect` (the inputs of the run).
void write_png(const std::string& path, const Sprite& img);
// Encodes and decodes through OpenCV's JPEG codec (the real encoder the synthetic damage is
// tested against, and part of the held-out damage of the evaluation).
Sprite jpeg_roundtrip(const Sprite& img, int quality);

// Resizes with OpenCV: area averaging when shrinking, nearest neighbour when growing by a whole
// factor, bicubic otherwise (clamped).
Sprite resize_image(const Sprite& img, int width, int height);
// Nearest-neighbour enlargement (previews, pixel-art mode): every sprite pixel becomes a block.
// Resizes with a given OpenCV interpolation (cv::INTER_* value): the evaluation's outside damage.
Sprite resize_with(const Sprite& img, int width, int height, int interpolation);

struct FolderLoad {
  std::vector<Sprite> sprites;
  std::vector<std::string> errors;  // one line per unreadable file; the rest still load
};
// Every image file directly in `dir` (sorted by name). RGB images become RGBA; with `key`, that
// colour becomes transparent.
FolderLoad load_sprite_folder(const std::string& dir, std::optional<Rgb> key);

}  // namespace pixelart
