// pixelart/lattice.h — where the sprite's pixel grid lies in an image, found from the image itself.
//
// An image of pixel art is a lattice of cells, each one sprite pixel: per axis a pitch (input pixels
// per sprite pixel, not necessarily whole: 2 to 32) and a phase (where the cell boundaries fall).
// The user rarely knows either: the image was enlarged by some factor, cropped with margins,
// resampled, JPEG-compressed, put on a background. find_lattice() recovers them per axis:
//
//  1. Edge profile. Along x, for every gap between columns, the sum over rows of how much the
//     (premultiplied) colour changes across it, less a noise floor of 0.03 (JPEG ringing and noise
//     fall under it). Cell boundaries are where this energy sits. Edges between two background
//     pixels are left out (find_background below: a flat background, a gradient, or a
//     checkerboard, whose own grid is not the sprite's; its blends to 0.15 of the line between
//     its two colours, which a resampled and JPEG'd checkerboard's square edges need; and its
//     holes of up to 2 pixels, closed by a 3x3 square, the pixels JPEG pushed past that).
//  2. Spectrum. The profile, divided by its own mean over a sliding window of twice the longest
//     pitch (where sprites lie and where background does modulates the density of edges slowly,
//     and that envelope alone is coherent with long periods), is Hann-windowed and transformed
//     (FFT, zero-padded so the phase drifts by at most a quarter cycle between frequency samples).
//     Coherence with a comb of period P: R(P) = |sum D(x) e^{-2 pi i x/P}| / sum D(x), refined at
//     each peak. R is near 1 at the true pitch and at every whole fraction of it (a comb of period
//     P/2 also meets every boundary), so the strongest peak may be a fraction: the pitch is the
//     longest whole multiple k P (k <= 16) of the strongest period that is still 60% as coherent
//     and leaves the k - 1 teeth between its own empty (else it is only an envelope over P).
//  3. Refinement. The boundaries near the comb's teeth are located (energy centroids) and a weighted
//     least-squares line through them gives the pitch and phase to a fraction of a pixel over the
//     whole image. Then the period is tested for subdivision: where the midpoints (or thirds)
//     between its teeth hold edges of their own, above what lies between, it was a multiple of the
//     pitch (a subharmonic: a comb of 2P meets every other boundary).
//  4. Cells: every cell that covers at least half its pitch of the image counts, so a margin of
//     background becomes transparent cells and a cell cut in half at the border is kept or dropped
//     by how much of it is there.
//  5. A grid under the grid. An image enlarged, shrunk, then enlarged by a whole factor again has
//     a perfect fine lattice (the last enlargement's) whose cells hold the intermediate image. A
//     fine grid (at most 4.5 pixels a cell, at least 32 cells each way) is read at one pixel per
//     cell and searched again; where that finds a grid with confidence 0.5 or more, the two
//     compose (a sheet's sprites, 16 cells apart, score 0.2 to 0.3 there and are not one).
//
// Pixels are square: where one axis's period is a multiple of the other's and that axis is nearly
// as coherent at the shorter one, both take the shorter (art of tall or wide pixels comes out as
// square cells, each pixel two or more equal ones, unless --scale SxT says otherwise).
//
// Confidence is the smaller of the two axes' coherence. An image with no credible grid (a photo, a
// painting, a gradient whose only edges are JPEG's 8x8 blocks) has low coherence (under 0.2, or
// under 0.15 where both axes found the same pitch of 2.5 to 6 pixels over 16 cells or more) or too few strong
// edges on its lattice (at least 4 pitches' worth of pixels per axis whose change is 0.12 or more:
// between two neighbours, or from 6 pixels a cell, where resampling spreads an edge over a few
// pixels, across the four around the boundary); `found` is then false and `why` says what was
// found instead. A background that would be the whole image is the art's own colours, and its
// edges count.
// Cost: linear in the pixels plus an FFT per axis (bench: cpu/lattice_search).
#pragma once
#include <string>
#include <vector>

#include "pixelart/sprites.h"

namespace pixelart {

struct AxisLattice {
  double pitch = 0;       // input pixels per cell
  double origin = 0;      // input coordinate of cell 0's leading edge (pixel i spans [i, i + 1))
  int cells = 0;          // cells of the output along this axis
  double coherence = 0;   // R at the pitch, in [0, 1]
};

struct Lattice {
  AxisLattice x, y;
  bool found = false;     // a credible grid (or one given by hints)
  double confidence = 0;  // min(x.coherence, y.coherence)
  std::string why;        // when not found: what was found and why it is not credible
  std::string describe() const;  // "pitch 7.31 x 7.29 px, 18 x 20 cells, confidence 0.84"
};

// What the user knows (restore --size / --scale). Zero fields are unknown.
struct LatticeHints {
  int cells_x = 0, cells_y = 0;  // --size WxH: exactly this many cells
  int cells_long = 0;            // --size N: the longer side has N cells, the other follows
  double pitch_x = 0, pitch_y = 0;  // --scale S or SxT: input pixels per sprite pixel
};

// Smallest and largest pitch searched without a hint.
constexpr double kMinPitch = 1.8, kMaxPitch = 32.5;
// Below this coherence (either axis) a grid is not credible. Measured: the true lattice of clean or
// JPEG'd art scores 0.5 to 1, of art resampled and JPEG'd at 3 to 4 pixels a cell 0.2 to 0.4;
// 80 of Wesnoth's painted portraits and a dozen JPEG photos of drawings at most 0.14.
constexpr double kMinCoherence = 0.2;

// The background around the art, where the image has one it can be sure of: the border's one or
// two dominant colours (a flat background, a checkerboard's two squares, the two ends of a linear
// gradient) and the blends of the two, when those cover at least 40% of a 2-pixel ring along the
// border. A second colour counts only if
//  - it takes turns with the first along the border (at least 8 changes, no run of it longer than
//    a quarter of the border) and covers at least 40% of what the first covers there (a
//    checkerboard's two squares show about equally; an outline that meets the border at many
//    places covers far less than the background beside it), or
//  - the border's blends of the two spread over the whole way between them (a gradient);
// else it is the art's own outline, laid along the border by a sprite that fills its canvas. A
// background lies behind the art: where its colours hold a tenth of the ring's side on fewer than
// three sides, they are the art's own backdrop (a tile drawn on a square of one colour, spanning
// the image one way), not a background (one side may be all art: a sheet's last sprite, filling
// its canvas up to the border). Every pixel of that colour (or blend) is then background,
// the pockets the art encloses too, as the training synthesis clears it; restore's network
// decides which cleared pixels were the art's. Nothing where the image has transparency (its
// background is already transparent) or the border has no dominant colour (noise).
//
// A background that covers this share of the image or more is the art's own colours.
constexpr double kWholeImage = 0.995;
struct Background {
  std::vector<uint8_t> mask;  // 1 per background pixel, row-major; empty where none was found
  int colours = 0;            // 1 or 2
  double spread = 0;          // RMS distance of the border's background pixels from their colour
  double share = 0;           // of the image's pixels
  bool smooth = false;        // found by find_smooth_background
  double lattice_ratio = 0;   // smooth: mean change across cell boundaries / inside cells
  // Flat enough (JPEG's noise on one or two colours, not a texture of the art's own) and not the
  // whole image (an opaque tile): safe to take for transparent. A small sprite on a large canvas
  // leaves the background 96 to 99% of the image (Blob Wars' 32 px sprites, 8 to 20 px wide).
  bool clear() const { return !mask.empty() && spread < 0.045 && share < kWholeImage; }
};
// blend_fill: how far from the line between two colours a blend may lie and be background (0.1
// for clearing; the lattice's edge profile leaves out a little more, 0.15). noise_scale > 0: the
// mask takes only the pixels within noise_scale times the border's spread of the background's
// colour (or blends), at least kBackgroundMinTol and at most the 0.1 (or blend_fill) the border
// is read with: on clean art the background is one colour exactly, and a sprite's own colours
// within 0.1 of it (a dark robe on a dark backdrop) were cleared with it.
constexpr double kBackgroundMinTol = 0.05;
Background find_background(const Sprite& img, double blend_fill = 0.1, double noise_scale = 0);

// A smooth background of any colours (a noise field, a vignette, a photo's out-of-focus
// backdrop), where find_background finds none: the region reached from the border through
// pixels whose colour changes by less than 0.12 across the four pixels around them, along either
// axis (an outline, even one resampling has spread over a few pixels, stops it; a smooth field's
// drift, its grain and JPEG's noise do not), of which only the regions that meet at least two
// sides of the border are kept (art the edge cuts, a figure standing on the bottom edge, meets
// one), then grown by up to three pixels into the band a blurred outline leaves (a pixel within
// 0.1 of the fill's colour beside it). It is a background only if it
//  - reaches at least 40% of the 2-pixel ring along the border and a tenth of three of its sides;
//  - does not know the lattice: colour changes across cell boundaries at most 1.5 times as much
//    as inside cells (gaps at least 1.5 pixels from a boundary, so none under 3 pixels a cell:
//    there nothing is cleared), where art, however faint, changes at its boundaries and is flat
//    between them;
//  - changes at all (else it is flat: find_background's, or the art's) and is not the whole image;
//  - lies under a lattice of confidence 0.75 or more (resampling that weakened the grid has
//    softened the art's own edges too, and the fill would cross whole tiles), or of 0.4 or more
//    where it is at least 70% of the image (a small sprite in a wide margin).
// Else the mask is empty. Unlike find_background's, the fill never reaches pockets the art
// encloses. restore clears it as it clears a flat one.
Background find_smooth_background(const Sprite& img, const Lattice& lattice);

// The image's lattice. With hints the pitch or the cell count is the user's, and the rest is found
// from the image around it; found is then true whatever the coherence.
Lattice find_lattice(const Sprite& img, const LatticeHints& hints = {});

// The image resampled onto the canonical lattice: (cells_x * cell) x (cells_y * cell) pixels, each
// cell exactly `cell` pixels, its boundaries on the lattice's. Each output pixel is the mean of the
// input over its footprint (a box of pitch / cell input pixels: an average when shrinking, the
// nearest pixel blended at pixel boundaries when enlarging); outside the image the border pixel
// repeats. Fully transparent pixels count as (0, 0, 0, 0), whatever colour they store.
Sprite resample_to_lattice(const Sprite& img, const Lattice& lattice, int cell);

// The per-axis search on an edge profile, exposed for tests: profile[i] is the energy of the gap
// between input pixels i and i + 1 (boundary coordinate i + 1), for an axis of `length` pixels.
AxisLattice fit_axis(const std::vector<double>& profile, int length, double min_pitch = kMinPitch,
                     double max_pitch = kMaxPitch);

}  // namespace pixelart
