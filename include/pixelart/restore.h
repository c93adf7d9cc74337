// pixelart/restore.h — the restore pipeline: an image as a user has it in, a pixel-perfect sprite
// out. `restore`, `eval` and `upscale --pixel-art restore` all run it.
//
//   image (any size, any scale, a sprite or a sheet, maybe JPEG'd, resampled, on a background)
//     -> lattice (lattice.h): per axis the pitch and phase, hence the size in cells; hints override
//     -> resample onto the canonical lattice: every cell exactly scale() input pixels, aligned
//     -> the restorer (batched by size on the device; tiles where the image is large)
//     -> colour refinement from the canonical input's own pixels (postprocess.h), palette
//     -> RGBA sprite at logical resolution
//
// Three stages, so that a caller can overlap them (restore decodes and prepares batch b+1 on CPU
// threads while the device runs batch b and other threads finish batch b-1): prepare (CPU, any
// thread), run (the device), finish (CPU, any thread).
#pragma once
#include <string>
#include <vector>

#include "pixelart/lattice.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"

namespace pixelart {

// The largest grid restore takes, cells per axis (RestoreOptions::max_cells' default).
constexpr int kMaxCells = 512;

struct RestoreOptions {
  LatticeHints hints;       // --size / --scale
  bool refine = true;       // colour refinement (postprocess.h)
  int palette = 0;          // snap_palette's k: 0 off, < 0 auto
  int max_cells = kMaxCells;  // per axis; a larger lattice is refused before any work (its canonical
                            // input alone would be 8192 pixels a side)
  // A flat or checkerboard background found around the art (lattice.h, find_background) is made
  // transparent before the network sees it.
  bool clear_background = true;
  // ... and where there is none, a smooth one (a noise field: find_smooth_background).
  bool clear_smooth_background = true;
};

// restore's flat or checkerboard background takes the pixels within this many times the
// border's spread of its colour (find_background's noise_scale; at least kBackgroundMinTol, at
// most 0.1). Chosen on the training sources' held-out sprites (eval's users' families,
// 2026-12-03): 3 did best on clean renders there but lost on JPEG'd ones of the held-out sources;
// 10 against the fixed 0.1: user-clean 0.9918 / 71.5% / 0.9851 -> 0.9919 / 72.3% / 0.9853, JPEG and
// web within 0.0003 (data/models/README.md has the held-out sources).
constexpr double kRestoreNoiseScale = 10;

// One image on its way through the pipeline.
struct RestoreJob {
  Lattice lattice;
  Sprite canonical;          // the image on the canonical lattice: cells * scale pixels per axis
  Sprite colours;            // where a background was cleared: the image before clearing, on the
                             // same lattice (refinement's colours come from it); empty otherwise
  std::vector<double> y;     // the restorer's output, [cells_y, cells_x, 4] in [0, 1]
  Sprite sprite;             // the result: binary alpha, transparent pixels (0, 0, 0, 0)
  std::string error;         // why it failed (no credible grid, too large); the other fields unset
  int background = 0;        // colours of the background cleared (0: none was; -1: a smooth one)
  double seconds = 0;        // time spent on this image in the three stages
  bool ok() const { return error.empty(); }
};

// Stage 1: the lattice (with the hints) and the canonical input. Failures go to job.error.
RestoreJob prepare_restore(const Sprite& img, const RestoreOptions& o, int scale);
// Stage 2: the restorer over the jobs that have no error, one forward pass per size present, in
// tiles of at most `tile_cells` cells per axis where an image is larger (the tiles overlap by the
// network's reach, so the result is the same as in one pass).
void run_restorer(const Restorer& model, const std::vector<RestoreJob*>& jobs, Device dev, int tile_cells = 80);
// Stage 3: refinement (with the options' palette) and the sprite. Frees the canonical input unless
// `keep_input`.
void finish_restore(RestoreJob& job, const RestoreOptions& o, int scale, bool keep_input = false);
// The host memory a job's stages 2 and 3 need at most, from its lattice: about 20 KB a cell
// (measured on the CPU: 4.9 GB peak for a 500 x 500-cell sheet, 2.1 GB for 250 x 250, the process
// and the decoded image included): the canonical input and the colours (1 KB each), the network's
// float copy (4 KB) and refinement's doubles (8 KB).
int64_t restore_memory_bytes(const RestoreJob& job);
// All three for one image.
RestoreJob restore_image(const Restorer& model, const Sprite& img, const RestoreOptions& o, Device dev);

// How far (in output cells) a change in the restorer's input reaches: its encoder's receptive
// field plus one cell per context layer. Tiles overlap by this.
int restorer_reach_cells(const RestorerConfig& cfg);

}  // namespace pixelart
