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

// Colour refinement, a step between the restorer and the sprite file. The restorer decides which
// pixels are opaque and roughly their colour, but a regression blends colours (its RGB error is a
// dozen levels even on clean input); the input, where one sprite pixel covers scale x scale pixels,
// still holds the true colour many times over. Two stages:
//  1. Per cell: five mean-shift steps move each opaque pixel's predicted colour to the mode of the
//     input's colours near it: input pixels in the cell and an eighth of a cell around it
//     (sub-pixel offsets), weighted by the input's alpha and by a Gaussian in colour around the
//     current estimate whose width narrows from 0.16 to 0.045 (wide to reach the mode from a
//     blended prediction, narrow to settle on it without a neighbour's pull). Where no input colour
//     is near the prediction (less weight than a tenth of a cell), the prediction stays.
//  2. Per sprite: the cells' colours are pooled into a palette. A JPEG shifts a colour differently
//     in each block, so the cells of one true colour come out a few levels apart; cells whose
//     colours lie within 12/255 in every channel of a cluster's mean join it (the best-supported
//     cells first), and every cell takes its cluster's mean, weighted by support.
// In place on y. Tuned on training sprites (NetHack's training split and freshly generated ones,
// eval's families), never on the held-out set.
//   y: [n, h, w, 4] restorer outputs; x: [n, h*scale, w*scale, 4] its inputs, values in [0, 1].
void refine_colours(std::vector<double>& y, const std::vector<double>& x, int64_t n, int h, int w, int scale);

// Enlarges a sprite by a whole factor keeping its hard edges and its palette. smooth: Scale2x and
// Scale3x (AdvanceMAME's rules: a corner of a pixel takes its neighbours' colour where two of
// them agree and the other two differ, which turns staircases into diagonals and adds no colour),
// applied for each factor 2 and 3 of `factor`, nearest neighbour for what remains (5, 7, ...);
// otherwise nearest neighbour alone (square blocks).
Sprite scale_pixel_art(const Sprite& s, int factor, bool smooth = true);

// Snaps the opaque pixels to a palette of at most k colours (k-means in RGB, seeded by the most
// frequent colours). k == 0 leaves the colours; k < 0 ("auto") merges colours closer than
// 24/255 in every channel, the spread that JPEG and resampling leave around one true colour.
void snap_palette(Sprite& s, int k);

}  // namespace pixelart
