// pixelart/sprites.h — sprite sources: images in memory, XPM files, sprite sheets, atlases split
// by alpha-connected components, procedural sprites, and the packed sprite set that lives on the
// device as one uint8 tensor during training. No OpenCV here (PNG/JPEG files: image_io.h).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pixelart/tensor.h"

namespace pixelart {

// An RGBA image (straight alpha), row-major, 4 bytes per pixel. Sprites are small images.
struct Sprite {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;
  std::string name;  // where it came from ("x11tiles#123"), for messages
  const uint8_t* px(int x, int y) const { return &rgba[(size_t(y) * width + x) * 4]; }
  uint8_t* px(int x, int y) { return &rgba[(size_t(y) * width + x) * 4]; }
  bool empty() const;  // every pixel fully transparent
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};
// "#476c6c" or "476c6c" -> Rgb; throws a usage Error otherwise.
Rgb parse_rgb(const std::string& hex);

// Reads an XPM file (as NetHack's x11tiles): "#rrggbb", "#rgb" and "None" colours, any number of
// characters per pixel. Errors name the file and the line.
Sprite read_xpm(const std::string& path);

// Every pixel of colour `key` becomes fully transparent. Fully transparent pixels are always
// (0,0,0,0) in this project (their colour is meaningless and must not reach a target).
void apply_key(Sprite& s, Rgb key);
void canonicalise_transparent(Sprite& s);

struct SheetSpec {
  int tile_w = 16, tile_h = 16;
  int margin = 0;    // pixels around the whole sheet
  int spacing = 0;   // pixels between tiles
  std::optional<Rgb> key;  // background colour to make transparent (else the sheet's alpha is used)
};
// Cuts a sheet into tiles (row-major), applies the key colour, skips empty tiles. A sheet whose
// size does not divide into whole tiles is an Error naming `source` and the arithmetic.
std::vector<Sprite> slice_sheet(const Sprite& sheet, const SheetSpec& spec, const std::string& source);

// Splits an atlas into its alpha-connected components (8-connectivity), each cropped to its
// bounding box. Components larger than max_size in either dimension are dropped and counted in
// *too_big; components smaller than min_pixels pixels (specks) are dropped too.
std::vector<Sprite> split_components(const Sprite& atlas, int max_size, const std::string& source,
                                     int* too_big = nullptr, int min_pixels = 4);

// Windows of size x size pixels cut from a sprite larger than that (in either dimension), every
// `stride` pixels (and flush with the far edges), keeping those with at least `min_opaque` of
// their pixels opaque; a sprite that fits is returned as it is. Larger art trains a model of a
// smaller canvas this way: the network is fully convolutional, and a window is what it sees of a
// sheet or a scene (cells cut at the border included).
std::vector<Sprite> crop_windows(const Sprite& s, int size, int stride, double min_opaque = 0.125);

// Every `n`-th of the sprites, spread evenly, so that no more than `limit` remain (a source with
// many more sprites than the others would otherwise dominate what is trained on).
std::vector<Sprite> thin_out(std::vector<Sprite> sprites, size_t limit);

// Removes exact duplicates (same size and pixels, transparent pixels canonicalised first),
// keeping the first of each.
std::vector<Sprite> dedupe(std::vector<Sprite> sprites);

// A procedural sprite (seeded, the same on every machine): an outlined, left-right symmetric
// shape of ellipses and rectangles in a palette of 3-16 colours, with detail speckles, on a
// transparent background. With `holes`, the same sprite with 1-4 enclosed transparent pockets
// carved into it where they fit (as a ring, or between an arm and a body).
Sprite generate_sprite(uint64_t seed, int size, bool holes = false);

// A sprite set packed for training: every sprite centred on a transparent canvas x canvas
// square (transparent pixels canonical), all in one [count, canvas, canvas, 4] uint8 buffer
// (one upload to the GPU).
struct SpriteSet {
  int canvas = 16;
  std::vector<uint8_t> pixels;
  std::vector<std::string> names;
  int64_t size() const { return int64_t(names.size()); }

  // Sprites larger than the canvas are not packed; they are counted in *rejected.
  static SpriteSet pack(const std::vector<Sprite>& sprites, int canvas, int* rejected = nullptr);
  void append(const SpriteSet& other);  // same canvas
  Sprite sprite(int64_t i) const;
  Tensor tensor(Device dev) const;      // [count, canvas, canvas, 4] u8

  // Packed files are safetensors: tensor "sprites" (U8) and metadata (canvas, names, source).
  void save(const std::string& path, const std::string& source) const;
  static SpriteSet load(const std::string& path);
};

// A grid of images for a person to look at: each nearest-upscaled by `scale` to a cell of
// cell x cell pixels, over a grey checkerboard where transparent, `cols` cells per row.
Sprite make_contact_sheet(const std::vector<Sprite>& images, int cols, int cell);

// inputs: [N, size*scale, size*scale, 4] nearest-upscaled; targets: [N, size, size, 4]; both f32
// in [0,1], on `dev`. (The damage pipeline, synth.h, makes realistic inputs; this is the clean
// case, used by tests.)
void sprites_to_pair(const std::vector<Sprite>& sprites, int scale, Device dev, Tensor* inputs,
                     Tensor* targets);

}  // namespace pixelart
