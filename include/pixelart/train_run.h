// pixelart/train_run.h — a whole training run as `pixelart train` makes it, in the files of its
// folder (cfg.out): the data and the held-out split (by content, fixed by the seed or as
// --holdout-from; refused where --init's model held out what this run would train on), --resume,
// the loop with metrics.jsonl, curves.png and checkpoints, a stop on request or at a time limit
// with the run saved as at its end, and the exported model with its record (command, settings,
// held-out keys; for the upscaler its held-out PSNR beside bicubic). In the pixelart_io library:
// it writes the curves as PNG.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pixelart/sprites.h"
#include "pixelart/train.h"
#include "pixelart/train_config.h"

namespace pixelart {

struct TrainRunOptions {
  std::string resume;         // a checkpoint to go on from; empty: a new run
  bool overwrite = false;     // a new run may replace the one in cfg.out (else refused, Usage)
  double time_limit = 0;      // seconds from the first step; 0: none
  std::string command;        // recorded in the model file ("pixelart train restore ...")
  std::function<bool()> stop;  // polled after each step: true ends the run there (Ctrl-C)
  // each logged step, with the seconds per step since the run (or its resumption) started
  std::function<void(const StepLog&, double seconds_per_step)> on_log;
};

struct TrainRunResult {
  std::string trainer;           // Trainer::describe()
  std::string data;              // "20630 training sprites, 430 held out"
  int64_t first_step = 0;        // where this call started (0, or the checkpoint's step)
  int64_t steps_done = 0;
  bool out_of_time = false;      // ended by the time limit before cfg.steps
  bool stopped = false;          // ended by opt.stop before cfg.steps
  // upscale: PSNR (dB) of the model and of bicubic alone on 64 held-out patches (of training
  // patches where nothing is held out: held_out_patches false)
  bool upscale_eval = false, held_out_patches = false;
  double psnr_model = 0, psnr_bicubic = 0;
  std::string model_file;        // cfg.out + "/model.safetensors"
};

// Sprite sets named by --data, comma-separated: packed .sprites files (`pixelart sprites`),
// folders of sprite images (duplicates removed, those larger than `canvas` skipped with a word on
// stderr), gen:COUNT (procedural sprites drawn from `seed`) and holes:COUNT (procedural sprites
// with enclosed transparent pockets, from other seeds).
SpriteSet load_sprite_sources(const std::string& spec, int canvas, uint64_t seed);
// Images named by `spec` for the upscaler: image files and folders of them, comma-separated;
// unreadable files in folders are skipped, each named in `skipped`.
std::vector<Sprite> load_images(const std::string& spec, std::vector<std::string>* skipped = nullptr);

// Runs `cfg` (validated) to its end, to opt.stop or to opt.time_limit. `on_start` is called once
// the run is sure to start (after --resume is accepted and its files are written).
TrainRunResult run_training(const TrainConfig& cfg, const TrainRunOptions& opt,
                            const std::function<void(const TrainRunResult&)>& on_start = {});

}  // namespace pixelart
