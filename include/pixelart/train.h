// pixelart/train.h — training the sprite restorer and the upscaler, on the device: each step
// synthesises a batch (synth.h) or samples patches, runs forward, the composite loss and
// backward, clips and takes an AdamW step. The loss is read back only on logging steps.
// Checkpoints (safetensors) hold the weights, Adam's moments, the step and the configuration; the
// random state is (seed, step) itself, since every sample is drawn from the counter-based
// generator by its index. The settings are train_config.h's, the splits holdout.h's, and the
// files the trainers write model_file.h's.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pixelart/holdout.h"
#include "pixelart/model_file.h"
#include "pixelart/ops.h"
#include "pixelart/optim.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/synth.h"
#include "pixelart/train_config.h"
#include "pixelart/upscaler.h"

namespace pixelart {

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

}  // namespace pixelart
