// pixelart/train.h — training the sprite restorer, on the device: each step synthesises a batch
// (synth.h), runs forward, the composite loss and backward, clips and takes an AdamW step. The
// loss is read back only on logging steps. Checkpoints (safetensors) hold the weights, Adam's
// moments, the step and the configuration; the random state is (seed, step) itself, since every
// sample is drawn from the counter-based generator by its index.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/restorer.h"
#include "pixelart/safetensors.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"
#include "pixelart/upscaler.h"

namespace pixelart {

struct TrainConfig {
  std::string task = "restore";  // restore | upscale
  // the restorer
  std::vector<int> widths{64, 128, 256, 512};
  int context = 0;              // context layers at the output resolution (restorer.h)
  int canvas = 16;              // sprite (target) size; inputs are canvas * 2^depth pixels
  // Warm start: a model file of the task's kind whose parameters of the same name and shape replace
  // the initial ones (a trained restorer, to which --context adds layers that start as the
  // identity; or a trained upscaler to train on with a new schedule). A parameter that has no
  // place in the new model is an error.
  std::string init;
  // the upscaler
  std::vector<int> filters{64, 64, 64};
  std::vector<int> kernels{7, 5, 3, 1};
  int unshuffle = 1;            // convolutions on S x S blocks of pixels (upscaler.h)
  double factor = 2.0;          // upscaling factor the model is trained for
  int patch = 64;               // training patch size (input pixels)
  std::string augment = "none";  // none | dihedral: each patch flipped and transposed one of 8 ways
  std::string sampling = "image";  // image: each image equally often | area: each patch position
  // on: the loss scores the output back-projected onto the target's block means (project_blocks,
  // ops.h), as `upscale` back-projects at whole factors; the network learns only what the
  // projection leaves free. Needs a whole factor f that divides the margin (the target's blocks
  // must be the input pixels').
  std::string back_project = "off";
  // both
  int batch = 32;
  int64_t steps = 2000;
  double lr = 2e-3;
  double final_lr = 1e-4;       // cosine decays to this
  int64_t warmup = 100;         // linear warm-up steps
  std::string schedule = "cosine";  // cosine | constant | plateau
  // plateau (as the original project): on a logging step whose smoothed loss has not improved
  // for `patience` logging steps, the learning rate is multiplied by `plateau_factor` (down to
  // final_lr).
  int64_t patience = 10;
  double plateau_factor = 0.5;
  std::string precision = "fp32";  // fp32 | tf32 | bf16 (ops.h, Precision)
  double weight_decay = 1e-4;
  double clip = 1.0;            // global gradient-norm clip (0: off)
  LossWeights loss{{1.0, 0.5, 0.5, 0.05}};  // mse, l1, edge, alpha
  std::string damage = "hard";  // damage preset: hard | original | none
  uint64_t seed = 1;
  double holdout = 0.1;         // fraction of sprites held out (by sprite, fixed by seed)
  // Hold out exactly what another run held out, whatever the seed: a model file (its recorded
  // held-out set, metadata "held_out") or, for the restorer, a .sprites file (its sprites). Makes a
  // split reproducible when the data's packing changes.
  std::string holdout_from;
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
  void load_json(const std::string& text, const std::string& where);  // `where` names it in errors
  RestorerConfig model() const;
  UpscalerConfig upscaler() const;
  void validate() const;
};

// Learning rate at a step: linear warm-up, then cosine to final_lr, or constant (the plateau
// schedule starts from the constant and the trainer lowers it).
double learning_rate(const TrainConfig& c, int64_t step);

// Splits a set by sprite: each sprite goes to the held-out part with probability `fraction`,
// decided by hash(seed, sprite content), so the split survives reordering and re-packing.
void split_holdout(const SpriteSet& all, double fraction, uint64_t seed, SpriteSet* train, SpriteSet* held);
bool held_out_sprite(const SpriteSet& set, int64_t i, uint64_t seed, double fraction);  // sprite i's side of it
// The split --holdout-from gives: exactly the sprites whose sprite_key is in `keys` are held out.
void split_holdout(const SpriteSet& all, const std::set<uint64_t>& keys, SpriteSet* train, SpriteSet* held);

// The upscaler's split, image by image: held out with probability `fraction`, decided by
// hash(seed, a sample of the image's pixels).
bool held_out_image(const Sprite& img, uint64_t seed, double fraction);

// The identity of a sprite or image in held-out records: FNV-1a (64 bit) over its width and height
// (4 bytes each, little-endian) and its RGBA bytes, a transparent pixel counted as (0, 0, 0, 0)
// whatever colour it stores (packers differ there, and nothing shows it). As 16 hex digits in files.
uint64_t content_key(const uint8_t* rgba, int64_t width, int64_t height);
uint64_t content_key(const Sprite& img);
uint64_t sprite_key(const SpriteSet& set, int64_t i);  // sprite i on its canvas
std::string key_hex(uint64_t key);

// The held-out split of the run that trained a model file: --seed and --holdout from the
// train_config in its metadata, and the keys of what it held out (metadata
// "held_out", one key_hex per line; has_keys false for older files). False if it records no
// split. For `train --init MODEL`: a run with another split would train on MODEL's held-out data,
// and figures on them would flatter it.
struct TrainedSplit {
  uint64_t seed = 0;
  double fraction = 0;
  std::string holdout_from;    // the run's own --holdout-from, if any
  bool has_keys = false;
  std::set<uint64_t> keys;
};
bool trained_split(const std::string& model_path, TrainedSplit* split);
// The keys a --holdout-from names: a model file's recorded held-out set, or a .sprites file's sprites.
std::set<uint64_t> holdout_keys(const std::string& path);

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

// The part of training every model shares: the learning-rate schedule, AdamW over the model's
// arena, the step counter, logging reads, checkpoints and resuming.
class TrainLoop {
 public:
  TrainLoop(const TrainConfig& cfg, ParamArena& arena, std::string model_desc);
  // Zero the gradients; under a tape, loss = compute(); backward; AdamW at the scheduled rate.
  // Fills *log (reading the loss back) when `log` is non-null.
  void step(const std::function<LossResult()>& compute, int64_t batch, StepLog* log);
  // `extra`: more metadata (the command line's held-out record, so that a checkpoint read as a
  // model names its split as the model file will)
  void save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra = {}) const;
  // the checkpoint must be of the same model and settings (all but --steps, --log-every,
  // --checkpoint-every, --out, --device, --init and --data); a Usage error lists what differs
  void resume(const std::string& path);
  int64_t steps_done() const { return step_; }

 private:
  TrainConfig cfg_;
  ParamArena& arena_;
  std::string desc_;
  Adam opt_;
  int64_t step_ = 0;
  Plateau plateau_;  // the plateau schedule's state (saved in checkpoints)
};

// What the command line drives: one model's training.
class Trainer {
 public:
  virtual ~Trainer() = default;
  virtual void step(StepLog* log) = 0;
  virtual int64_t steps_done() const = 0;
  virtual void save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra = {}) const = 0;
  virtual void resume(const std::string& path) = 0;
  virtual void export_model(const std::string& path, const std::map<std::string, std::string>& meta) const = 0;
  virtual std::string describe() const = 0;
};

// The restorer on synthesised pairs (synth.h) of a sprite set.
class RestorerTrainer : public Trainer {
 public:
  RestorerTrainer(const TrainConfig& cfg, const SpriteSet& train_set, Device dev);
  void step(StepLog* log) override;
  int64_t steps_done() const override { return loop_.steps_done(); }
  void save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra = {}) const override {
    loop_.save_checkpoint(path, extra);
  }
  void resume(const std::string& path) override { loop_.resume(path); }
  void export_model(const std::string& path, const std::map<std::string, std::string>& meta) const override;
  std::string describe() const override { return "restorer " + model_.config().describe(); }
  Restorer& model() { return model_; }

 private:
  TrainConfig cfg_;
  Restorer model_;
  TrainLoop loop_;
  Synthesizer synth_;
};

// The upscaler on patches of images (PatchSampler).
class UpscalerTrainer : public Trainer {
 public:
  UpscalerTrainer(const TrainConfig& cfg, const std::vector<Sprite>& images, Device dev);
  void step(StepLog* log) override;
  int64_t steps_done() const override { return loop_.steps_done(); }
  void save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra = {}) const override {
    loop_.save_checkpoint(path, extra);
  }
  void resume(const std::string& path) override { loop_.resume(path); }
  void export_model(const std::string& path, const std::map<std::string, std::string>& meta) const override;
  std::string describe() const override { return "upscaler " + model_.config().describe(); }
  Upscaler& model() { return model_; }
  int64_t images() const { return sampler_.images(); }

 private:
  TrainConfig cfg_;
  Upscaler model_;
  TrainLoop loop_;
  PatchSampler sampler_;
};

// `train upscale --init` from a smaller upscaler: deeper (the same first layers, then more of the
// last hidden width, the same last kernel) and/or wider (at least as many filters in each of its
// layers, the same kernels). Its convolutions keep their places, its last one becomes the new
// last, and the layers between start as the identity (centre tap 1, bias 0: on ReLU features they
// pass everything through, and a valid convolution only crops). Widened layers keep the old
// filters in their first channels; the new filters start random and every old filter and the
// last convolution weigh them by zero. So the grown model computes exactly what `from` did (on a
// centre crop when deeper). False where `from` is not such a model (or has the same shape).
bool grow_upscaler(ParamArena& to, const UpscalerConfig& to_config, const Upscaler& from, const std::string& path);

// Model files: weights by parameter name (f32) and metadata: format, widths, canvas, and what
// the caller adds (the training command, configuration and evaluation figures).
void save_restorer(const std::string& path, const Restorer& model, int canvas,
                   const std::map<std::string, std::string>& metadata);
Restorer load_restorer(const std::string& path, Device dev, int* canvas = nullptr,
                       std::map<std::string, std::string>* metadata = nullptr);
// The upscaler's files: the same layout, metadata filters, kernels, channels and its factor.
void save_upscaler(const std::string& path, const Upscaler& model, double factor,
                   const std::map<std::string, std::string>& metadata);
Upscaler load_upscaler(const std::string& path, Device dev, double* factor = nullptr,
                       std::map<std::string, std::string>* metadata = nullptr);
// Every reader above (and --init, --holdout-from) takes a trainer's checkpoint too: read as the
// model it holds, its parameters and the metadata a model file of its configuration has
// (train_config, steps, and the held-out record). A model file comes back as is.
SafeTensors load_model_file(const std::string& path);

}  // namespace pixelart
