// pixelart/train.h — training the sprite restorer, on the device: each step synthesises a batch
// (synth.h), runs forward, the composite loss and backward, clips and takes an AdamW step. The
// loss is read back only on logging steps. Checkpoints (safetensors) hold the weights, Adam's
// moments, the step and the configuration; the random state is (seed, step) itself, since every
// sample is drawn from the counter-based generator by its index.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"

namespace pixelart {

struct TrainConfig {
  std::vector<int> widths{64, 128, 256, 512};
  int canvas = 16;              // sprite (target) size; inputs are canvas * 2^depth pixels
  int batch = 32;
  int64_t steps = 2000;
  double lr = 2e-3;
  double final_lr = 1e-4;       // cosine decays to this
  int64_t warmup = 100;         // linear warm-up steps
  std::string schedule = "cosine";  // cosine | constant | plateau
  // plateau (as the original project): on a logging step whose smoothed loss has not improved
  // for `patience` logging steps, the learning rate is multiplied by `factor` (down to final_lr).
  int64_t patience = 10;
  double factor = 0.5;
  std::string precision = "fp32";  // fp32 | tf32 (CUDA tensor cores, fp32 storage)
  double weight_decay = 1e-4;
  double clip = 1.0;            // global gradient-norm clip (0: off)
  LossWeights loss{{1.0, 0.5, 0.5, 0.05}};  // mse, l1, edge, alpha
  std::string damage = "hard";  // damage preset: hard | original | none
  uint64_t seed = 1;
  double holdout = 0.1;         // fraction of sprites held out (by sprite, fixed by seed)
  int64_t log_every = 20;
  int64_t checkpoint_every = 250;
  std::string data = "gen:2000";
  std::string out = "runs/restore";
  std::string device = "auto";

  // One mechanism for flags, JSON config files and checkpoint metadata: every field by name.
  void set(const std::string& key, const std::string& value);  // throws a usage Error
  std::vector<std::pair<std::string, std::string>> items() const;
  std::string to_json() const;
  void load_json_file(const std::string& path);
  RestorerConfig model() const;
  void validate() const;
};

// Learning rate at a step: linear warm-up, then cosine to final_lr, or constant (the plateau
// schedule starts from the constant and the trainer lowers it).
double learning_rate(const TrainConfig& c, int64_t step);

// Splits a set by sprite: each sprite goes to the held-out part with probability `fraction`,
// decided by hash(seed, sprite content), so the split survives reordering and re-packing.
void split_holdout(const SpriteSet& all, double fraction, uint64_t seed, SpriteSet* train, SpriteSet* held);

// The plateau rule on a sequence of logged losses: an exponential moving average (0.8); when it
// has not improved by 0.1% for `patience` updates, the scale is multiplied by `factor`.
struct Plateau {
  double scale = 1.0, best = 1e300, smoothed = -1;
  int64_t since_best = 0;
  void update(double loss, int64_t patience, double factor);
};

struct StepLog {
  int64_t step = 0;
  double loss = 0;
  double terms[kNumLossTerms] = {0, 0, 0, 0};
  double lr = 0, grad_norm = 0;
  double images_per_s = 0;
};

class Trainer {
 public:
  Trainer(const TrainConfig& cfg, const SpriteSet& train_set, Device dev);
  // Continues from a checkpoint: weights, Adam's moments and the step (the config must agree on
  // the model's shape).
  void resume(const std::string& checkpoint);
  // One step; fills *log (reading the loss back) when `log` is non-null.
  void step(StepLog* log);
  int64_t steps_done() const { return step_; }
  void save_checkpoint(const std::string& path) const;
  Restorer& model() { return model_; }
  const TrainConfig& config() const { return cfg_; }

 private:
  TrainConfig cfg_;
  Device dev_;
  Restorer model_;
  Adam opt_;
  Synthesizer synth_;
  int64_t step_ = 0;
  Plateau plateau_;  // the plateau schedule's state (saved in checkpoints)
};

// Model files: weights by parameter name (f32) and metadata: format, widths, canvas, and what
// the caller adds (the training command, configuration and evaluation figures).
void save_restorer(const std::string& path, const Restorer& model, int canvas,
                   const std::map<std::string, std::string>& metadata);
Restorer load_restorer(const std::string& path, Device dev, int* canvas = nullptr,
                       std::map<std::string, std::string>* metadata = nullptr);

}  // namespace pixelart
