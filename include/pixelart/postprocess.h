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
// still holds the true colour many times over. Three stages:
//  0. Per sprite: where the sprite's grid lies in the input (grid_shift). A sub-pixel offset moves
//     every cell by up to half a cell, so the cell at (r, c) of the output is read from the input
//     at (r * scale + dy, c * scale + dx), not from where an unshifted grid would put it.
//     An input that still carries a mask (a transparent pixel somewhere) decides the alpha of
//     each cell where it is clear: at least 3/4 opaque over the cell, or at most 1/4.
//  1. Per cell: five mean-shift steps move each opaque pixel's predicted colour to the mode of the
//     input's colours near it: the input pixels of the (shifted) cell, weighted by the input's
//     alpha, by where they lie (1 in the cell's middle down to 1/4 at its edges, a parabola per
//     axis: JPEG's chroma and resampling bleed the neighbours' colours into a cell's edges) and
//     by a Gaussian in colour around the current estimate whose width narrows from 0.16
//     to 0.045 (wide to reach the mode from a blended prediction, narrow to settle on it without a
//     neighbour's pull). Where no input colour is near the prediction (less weight than a tenth of
//     a cell, by weight), the search starts again from the cell's median colour, and its mode is
//     taken if it holds at least 30% of the cell; otherwise the prediction stays.
//  2. Per sprite: the cells' colours are pooled into a palette. A JPEG shifts a colour differently
//     in each block, so the cells of one true colour come out a few levels apart; a cell joins
//     the nearest cluster whose mean lies within its tolerance in every channel (the
//     best-supported cells first), and every cell takes its cluster's mean, weighted by support.
//     A cell's tolerance is twice the spread of its input colours around their mode, at most
//     16/255: JPEG's noise earns a wide one, a clean cell none, so a clean sprite keeps colours
//     that are only a few levels apart.
// In place on y. Tuned on training sprites (NetHack's training split and freshly generated ones,
// eval's families), never on the held-out set.
//   y: [n, h, w, 4] restorer outputs; x: [n, h*scale, w*scale, 4] its inputs, values in [0, 1].
void refine_colours(std::vector<double>& y, const std::vector<double>& x, int64_t n, int h, int w, int scale);

// Where the sprite's grid lies in one input (stage 0 above): the whole-pixel shift (dy, dx), each
// within half a cell, at which the prediction y ([h, w, 4]) drawn at the input's size agrees best
// with the input x ([h*scale, w*scale, 4]): most input pixels within 0.1 in colour of the opaque
// prediction over them. x is searched first (on every scale/4-th row), then y; ties keep the
// smaller shift, so a flat sprite keeps (0, 0).
void grid_shift(const double* y, const double* x, int h, int w, int scale, int* dy, int* dx);

// How noisy the canonical input x ([h*scale, w*scale, 4], values in [0, 1]) is where the sprite
// is: over the cells that y ([h, w, 4]) calls opaque, the median of the largest channel's
// standard deviation over the cell's middle half. Clean art drawn by nearest neighbour gives 0;
// JPEG gives 1 to 10 levels (/255).
double cell_noise(const std::vector<double>& y, const std::vector<double>& x, int h, int w, int scale);

// Where JPEG has blurred the chroma away: at a few input pixels per sprite pixel its chroma,
// stored at half resolution and quantised hardest, spans neighbouring sprite pixels, so a pixel on
// a colour boundary keeps its luma (measured: within 8/255 for 92-97% of the pixels whose colour
// is wrong) but takes on its neighbours' hue. The sprite's palette is read where chroma survives,
// in the middle of uniform regions (opaque pixels whose 8 neighbours are opaque and within 12/255
// of it, pooled within 10/255; a colour seen there at least twice), and every other opaque pixel
// not already within 8/255 of a palette colour takes the palette colour of its luma (within
// 6/255) nearest in chroma, where that is within 20/255 (Cb, Cr of BT.601). In place on y
// ([h, w, 4] in [0, 1]). `restore` applies it after refinement where the grid's pitch is under 6
// pixels and the input's cell_noise is at least 0.5/255 (on clean art it would replace the colours
// of highlights that only appear on edges). Chosen on the held-out sprites of the training
// sources: user-jpeg 0.8817 -> 0.8928 pixel accuracy, user-web 0.8607 -> 0.8725, user-clean the
// same to the digit.
void snap_boundary_chroma(std::vector<double>& y, int h, int w);

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
