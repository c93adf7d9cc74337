// pixelart/evaluate.h — how well the restore pipeline (restore.h) does on images with a known
// truth, end to end: the grid found, the size, every pixel. `eval` runs it on the users' families
// (eval_render.h); tests on their own renders.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pixelart/metrics.h"
#include "pixelart/restore.h"
#include "pixelart/sprites.h"

namespace pixelart {

// An image and what restoring it should give: the sprite at logical resolution, size included.
struct EvalSample {
  Sprite image, truth;
  std::string what;  // how it was made, for the worst cases' captions
};

struct RestoreEval {
  SpriteMetrics metrics;   // per pixel against the truth; a sprite of the wrong size is compared
                           // after a nearest-neighbour resize to the truth's size, and is never
                           // perfect; an image restore refused counts as fully transparent
  int64_t samples = 0;
  int64_t size_right = 0;  // outputs of exactly the truth's size
  int64_t refused = 0;     // no credible grid found (or too large)
  double seconds = 0;      // the pipeline's own time, summed over the samples (restore_image)
  struct Case {
    double accuracy = 0;
    Sprite input, output, truth;
    std::string what;
  };
  std::vector<Case> worst;  // the lowest pixel accuracies, worst first
  struct Record {           // one per sample, in sample order (eval --details)
    SpriteMetrics metrics;  // this sample's alone
    bool size_right = false, refused = false;
    int background = 0;     // RestoreJob::background
    int width = 0, height = 0, truth_width = 0, truth_height = 0;  // the output's size (0: refused), the truth's
    double seconds = 0;
    std::string found;      // the lattice found (Lattice::describe and the origins), or why none was
    std::string what;       // how the sample was made
  };
  std::vector<Record> records;
  double size_right_rate() const { return samples ? double(size_right) / double(samples) : 0; }
};

// Samples 0 .. n-1 from `sample` (called from several threads at once), restored through the
// pipeline in batches of `batch`, scored. `keep_worst` cases are kept; `progress(done, n)` is called
// after each batch.
RestoreEval evaluate_restore(const Restorer& model, int64_t n, const std::function<EvalSample(uint64_t)>& sample,
                             const RestoreOptions& opt, Device dev, int batch, int keep_worst = 0,
                             const std::function<void(int64_t, int64_t)>& progress = {});

// The sprite resized to w x h by nearest neighbour (pixel centres), to score a wrong size.
Sprite resize_nearest(const Sprite& s, int w, int h);

}  // namespace pixelart
