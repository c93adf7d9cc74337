// pixelart/eval_render.h — images as users bring them, for `eval`: rendered by other code than the
// training synthesis (OpenCV's warpAffine, resize and its libjpeg codec; in a build without
// OpenCV, libjpeg and the builtin resamplers: src/io/image_backend.h), so that a figure does not
// only say how well the network learnt our own damage.
//
// A sample is a held-out sprite, or a sheet of 2 to 16 of them (16 to 70 sprite pixels a side),
// with 0 to 3 cells of margin per axis, enlarged by a non-integer pitch of 3 to 24 input pixels per
// sprite pixel (log-uniform; the two axes differ by up to 5%) at a sub-pixel offset by nearest
// neighbour (cv::warpAffine), cropped within less than half a cell of the canvas's edges (the
// first and last cells cut, or a sliver beyond kept), over one of four backgrounds (flat, gradient, smooth noise with
// grain, or a checkerboard of 8 to 16 pixel squares aligned with the image; some clean samples
// keep their transparency), then damaged by family:
//   user-clean   nothing more
//   user-jpeg    OpenCV's JPEG encoder at quality 30 to 95, once or twice
//   user-web     one or two resampling round trips through 50-95% of the size (OpenCV's linear,
//                cubic, area and Lanczos filters, drawn independently), then JPEG once or twice
// The truth is the sprite canvas with its margin cells (transparent), at logical resolution: what
// `restore` should give, size included. Implemented in src/io/eval_render.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "pixelart/evaluate.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"

namespace pixelart {

enum class UserFamily { Clean, Jpeg, Web };
const char* to_string(UserFamily f);  // "user-clean", "user-jpeg", "user-web"

// Sample `index` of a family: a pure function of (set, family, seed, index). `what` says how it was
// made ("2x3 sheet of 16 px + 1,0 margin, pitch 7.31 x 7.20, offset ..., checker 12 background,
// jpeg q41"); *pitch_x etc. (optional) get where the truth's cells lie in the image.
EvalSample render_user_sample(const SpriteSet& set, UserFamily family, uint64_t seed, uint64_t index,
                              double* pitch_x = nullptr, double* pitch_y = nullptr,
                              double* origin_x = nullptr, double* origin_y = nullptr);

// The network-level family `outside`: a 16x16 sprite enlarged 16 times over a noisy background
// (the mask lost) by our synthesis (outside_synthesis()), then resampled down to 35-95% and back
// up and JPEG-compressed by OpenCV (render_outside(): linear, cubic, area or Lanczos each way,
// quality 20 to 95), drawn from (seed, index).
DamageConfig outside_synthesis();
Sprite render_outside(const Sprite& img, uint64_t seed, uint64_t index);

// The network alone on `n` of `held`'s sprites under a network-level family: "clean",
// "original", "hard" (the synthesis's presets) or "outside" (outside_synthesis(), then
// render_outside), enlarged to the model's input (canvas x scale) and drawn from (seed, index), in
// batches of `batch`; the colours refined unless `refine` is false. The metrics (samples = n), and
// in `worst` the `keep_worst` worst cases (input, restored, truth). `progress(done, n)` per batch.
RestoreEval evaluate_network(const Restorer& model, const SpriteSet& held, const std::string& family, int n, uint64_t seed,
                             int batch, bool refine, Device dev, int keep_worst = 0,
                             const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace pixelart
