// pixelart/train_config.h — what a training run is told: every setting of `train`, typed, read
// from flags, a JSON file or a checkpoint's metadata through one mechanism (set by name), and
// checked once (validate). The learning-rate schedules it names are here too.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pixelart/ops.h"
#include "pixelart/restorer.h"
#include "pixelart/upscaler.h"

namespace pixelart {

enum class Task { Restore, Upscale };
enum class Schedule { Cosine, Constant, Plateau };
enum class Augment { None, Dihedral };  // dihedral: each patch flipped and transposed one of 8 ways
enum class Sampling { Image, Area };    // each image equally often | each patch position equally often
const char* to_string(Task t);
const char* to_string(Schedule s);
const char* to_string(Augment a);
const char* to_string(Sampling s);

struct TrainConfig {
  Task task = Task::Restore;
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
  Augment augment = Augment::None;
  Sampling sampling = Sampling::Image;
  // How a patch is shrunk to make its low-resolution input, one kernel per batch drawn from the
  // list by (seed, step): area (averaging), linear, cubic, lanczos (resize_images, OpenCV's
  // conventions: not antialiased), bicubic-aa (Pillow's antialiased bicubic). Named as a comma
  // list ("area,cubic,bicubic-aa").
  std::vector<ResizeFilter> shrink{ResizeFilter::Area};
  // on: the loss scores the output back-projected onto the target's block means (project_blocks,
  // ops.h), as `upscale` back-projects at whole factors; the network learns only what the
  // projection leaves free. Needs a whole factor f that divides the margin (the target's blocks
  // must be the input pixels'). Named off | on.
  bool back_project = false;
  // JPEG'd inputs: the shrunk patch coded as libjpeg codes it (4:2:0, straight colour, 8x8 blocks)
  // at a quality drawn per sample from [jpeg_min, jpeg_max], for a share of the samples; so the
  // network learns to take the artefacts out (a denoising model at --factor 1). Named off, Q or
  // QMIN-QMAX; 0: off.
  int jpeg_min = 0, jpeg_max = 0;
  double jpeg_share = 1.0;
  // both
  int batch = 32;
  int64_t steps = 2000;
  double lr = 2e-3;
  double final_lr = 1e-4;       // cosine decays to this
  int64_t warmup = 100;         // linear warm-up steps
  // plateau (as the original project): on a logging step whose smoothed loss has not improved
  // for `patience` logging steps, the learning rate is multiplied by `plateau_factor` (down to
  // final_lr).
  Schedule schedule = Schedule::Cosine;
  int64_t patience = 10;
  double plateau_factor = 0.5;
  Precision precision = Precision::FP32;  // fp32 | tf32 | bf16 (ops.h)
  double weight_decay = 1e-4;
  double clip = 1.0;            // global gradient-norm clip (0: off)
  LossWeights loss{{1.0, 0.5, 0.5, 0.05}};  // mse, l1, edge, alpha
  std::string damage = "hard";  // damage preset (synth.h): hard | original | user | none
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
  std::string device = "auto";  // auto | cpu | cuda (parse_device)

  // One mechanism for flags, JSON config files and checkpoint metadata: every field by name, as
  // its flag is spelt ("final-lr"). A value that is not of the field's kind (a number, a list, one
  // of the names) is a usage error naming the flag.
  void set(const std::string& key, const std::string& value);
  std::vector<std::pair<std::string, std::string>> items() const;
  std::string to_json() const;
  // A file's syntax and keys are bad input naming the file; its values are set() as flags are
  // (usage errors naming the setting), the file named.
  void load_json_file(const std::string& path);
  void load_json(const std::string& text, const std::string& where);  // `where` names it in errors
  RestorerConfig model() const;
  UpscalerConfig upscaler() const;
  // The settings together: ranges, the task's own settings, what the upscaler's convolutions and
  // factor allow. A usage error naming the flag.
  void validate() const;
};

// Learning rate at a step: linear warm-up, then cosine to final_lr, or constant (the plateau
// schedule starts from the constant and the trainer lowers it).
double learning_rate(const TrainConfig& c, int64_t step);

// The plateau rule on a sequence of logged losses: an exponential moving average (0.8); when it
// has not improved by 0.1% for `patience` updates, the scale is multiplied by `factor`.
struct Plateau {
  double scale = 1.0, best = 1e300, smoothed = -1;
  int64_t since_best = 0;
  void update(double loss, int64_t patience, double factor);
};

}  // namespace pixelart
