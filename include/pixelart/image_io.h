// pixelart/image_io.h — image files and resampling, in the pixelart_io library (the core, its
// tests and benchmarks build without it). Behind it, one of two backends chosen when the project
// is built (CMake option PIXELART_IMAGE_IO, src/io/image_backend.h): OpenCV (PNG, JPEG, WebP, BMP,
// TIFF), or libpng and libjpeg linked statically with the project's own resamplers (PNG and JPEG),
// for machines without OpenCV.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pixelart/files.h"
#include "pixelart/sprites.h"

namespace pixelart {

// Which backend this build has: "OpenCV 4.6.0", "libpng 1.6.39 + libjpeg".
const char* image_io_backend();

// Reads PNG, JPEG (and with OpenCV WebP, BMP, TIFF) in grey, grey+alpha, RGB, RGBA, 8 or 16 bit, as 8-bit RGBA;
// a JPEG with its EXIF orientation applied. Throws Error(kind BadInput) naming the file and what
// is wrong: not a regular file, GIF (no decoder), a file cut short (a PNG without IEND, a JPEG
// without EOI, a BMP or WebP shorter than its header says), more than `max_pixels` pixels (checked
// from the header, before decoding; 0: no budget), or not decodable.
constexpr int64_t kDefaultMaxPixels = 100'000'000;  // about 1.2 GB to decode and search
Sprite read_image(const std::string& path, int64_t max_pixels = kDefaultMaxPixels);
// What a file's first bytes say: its format ("PNG", "JPEG", "BMP", "WebP", "GIF", "TIFF" or
// empty), its size where the header gives it (else 0), and whether its end marker is there.
struct ImageHeader {
  std::string format;
  int64_t width = 0, height = 0;
  bool complete = true;
};
ImageHeader read_image_header(const std::string& path);
// Writes a PNG whole or not at all (write_file_whole); with Existing::Keep an existing `path` is
// kept and the write fails (Error kind Exists).
void write_png(const std::string& path, const Sprite& img, Existing existing = Existing::Replace);
// Encodes and decodes through libjpeg at `quality` (4:2:0, the library's defaults), directly or as
// OpenCV calls it: the real encoder the synthetic damage is tested against, and part of the
// held-out damage of the evaluation.
Sprite jpeg_roundtrip(const Sprite& img, int quality);

// Resizes: area averaging when shrinking, nearest neighbour when growing by a whole
// factor, bicubic otherwise (clamped).
Sprite resize_image(const Sprite& img, int width, int height);
// Resizes with one of the filters other programs resample what users find with (cv::resize's
// INTER_NEAREST, _LINEAR, _CUBIC, _AREA, _LANCZOS4, or the builtin backend's versions of them, to
// within a level): the evaluation's damage, the upscaler's baselines.
enum class Filter { Nearest, Linear, Cubic, Area, Lanczos };
Sprite resize_with(const Sprite& img, int width, int height, Filter filter);
// Antialiased bicubic, as Pillow's Image.resize(BICUBIC) and MATLAB's imresize shrink (and the
// usual super-resolution benchmarks make their inputs): Keys' cubic with a = -0.5, stretched by
// the shrink factor (support 2 x in/out input pixels, so every input pixel counts), normalised
// weights, on premultiplied colour, rounded to 8 bits once at the end. Growing, the plain cubic.
Sprite resize_cubic_antialiased(const Sprite& img, int width, int height);

struct FolderLoad {
  std::vector<Sprite> sprites;
  std::vector<std::string> errors;  // one line per unreadable file; the rest still load
};
// Every image file directly in `dir` (sorted by name). RGB images become RGBA; with `key`, that
// colour becomes transparent.
FolderLoad load_sprite_folder(const std::string& dir, std::optional<Rgb> key);

}  // namespace pixelart
