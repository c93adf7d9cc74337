// pixelart/postprocess.h — from the restorer's output to a sprite file: binary alpha (>= 0.5 is
// opaque; transparent pixels are (0,0,0,0)) and optional palette snapping.
#pragma once
#include "pixelart/sprites.h"
#include "pixelart/tensor.h"

namespace pixelart {

// Sample i of a [n, h, w, 4] tensor of values in [0, 1] as an 8-bit image, as it is (inputs).
Sprite image_from_values(const std::vector<double>& values, int64_t i, int h, int w);
// ... and as a sprite file: binary alpha, fully transparent pixels (0,0,0,0).
Sprite output_sprite(const std::vector<double>& values, int64_t i, int h, int w);

// Snaps the opaque pixels to a palette of at most k colours (k-means in RGB, seeded by the most
// frequent colours). k == 0 leaves the colours; k < 0 ("auto") merges colours closer than
// 24/255 in every channel, the spread that JPEG and resampling leave around one true colour.
void snap_palette(Sprite& s, int k);

}  // namespace pixelart
