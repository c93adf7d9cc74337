// src/cli/train_cmd.cpp — `pixelart train restore`: configuration from a JSON file and flags,
// the held-out split, the training loop with a progress bar, metrics as JSON lines, a PNG of the
// curves, checkpoints and --resume, and the exported model.
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "cli/args.h"
#include "cli/progress.h"
#include "json.h"
#include "pixelart/autograd.h"
#include "pixelart/files.h"
#include "pixelart/image_io.h"
#include "pixelart/metrics.h"
#include "pixelart/plot.h"
#include "pixelart/train.h"

namespace pixelart::cli {
// Images named by --data for the upscaler: image files and folders of them, comma-separated.
std::vector<Sprite> load_images(const std::string& spec) {
  std::vector<Sprite> out;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (std::filesystem::is_directory(item)) {
      FolderLoad fl = load_sprite_folder(item, std::nullopt);
      for (const auto& e : fl.errors) std::fprintf(stderr, "pixelart: skipping %s\n", e.c_str());
      for (auto& s : fl.sprites) out.push_back(std::move(s));
    } else {
      out.push_back(read_image(item));
    }
  }
  if (out.empty()) throw Error("--data " + spec + ": no images", ErrorKind::BadInput);
  return out;
}

namespace {
// "--time-limit 240", "240s", "4m", "1.5h": seconds.
double parse_time_limit(const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  const std::string unit = end ? std::string(end) : "";
  const double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (v.empty() || end == v.c_str() || mult < 0 || !(x > 0) || !std::isfinite(x))
    throw Error("--time-limit must be a positive time: seconds, or a number with s, m or h (4m), got '" + v + "'", ErrorKind::Usage);
  return x * mult;
}

// `train --init MODEL` with another split than MODEL's run would train on its held-out data:
// refused while this run holds data out (figures on MODEL's held-out set would be flattered),
// a warning with --holdout 0 (training on everything, knowingly). `leaked(split)` counts this
// run's training data that MODEL's split held out (by its recorded keys where it has them).
template <class Count>
void refuse_init_leak(const TrainConfig& cfg, Count leaked) {
  TrainedSplit split;
  if (cfg.init.empty() || !trained_split(cfg.init, &split)) return;
  const int64_t leak = leaked(split);
  if (leak == 0) return;
  const std::string num = (std::ostringstream() << split.fraction).str();
  const std::string how = split.holdout_from.empty() ? "--seed " + std::to_string(split.seed) + " --holdout " + num
                                                     : "--holdout-from " + split.holdout_from;
  const std::string what = cfg.init + " held out " + std::to_string(leak) + " of this run's training " +
                           (cfg.task == Task::Restore ? "sprites" : "images") + " (" + how + ")";
  if (cfg.holdout > 0 || !cfg.holdout_from.empty())
    throw Error(std::string("train ") + to_string(cfg.task) + ": " + what + ": training on them would leak its held-out data into the new model and "
                "flatter every figure on it; train on with " + (split.has_keys ? "--holdout-from " + cfg.init : how) +
                " (the same split), or with --holdout 0 to train on everything knowingly",
                ErrorKind::Usage);
  std::fprintf(stderr, "warning: %s; --holdout 0 trains on them: figures on its held-out data no longer hold\n", what.c_str());
}

// Ctrl-C (SIGINT) or SIGTERM during training: the step under way finishes, the run is saved
// (checkpoint, model, curves) and the command exits with 128 + the signal. The handler resets
// itself, so a second Ctrl-C stops at once.
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
struct StopSignals {
  struct sigaction old_int {}, old_term {};
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};
}  // namespace

constexpr const char* kUsage = R"(usage: pixelart train restore|upscale [--config FILE.json] [--resume CHECKPOINT] [--SETTING VALUE ...]
  trains a model: RUN/model.safetensors, checkpoint.safetensors (also a model: evaluate it while
  it trains), metrics.jsonl, curves.png, config.json and the held-out list (holdout.sprites or
  holdout.txt). Every setting is also a key of the JSON file of --config; flags override it.
  Ctrl-C saves the run at the step under way (exit code 130) and prints the --resume line.
  --config F.json       settings from a JSON object
  --resume CKPT         continue a run where its checkpoint stopped (bit-exact on the CPU), with
                        its settings (--steps may grow; a setting that differs is refused)
  --time-limit T        stop after the step under way once T has passed (seconds, or 90s, 4m,
                        1.5h): the run is saved as at its end (checkpoint, model, curves), exit
                        code 0, and the --resume line is printed
  --overwrite           start a new run in a folder that holds one (default: refused)
 both:
  --data D              restore: .sprites files, folders, gen:COUNT (default gen:2000);
                        upscale: images and folders of images; comma-separated
  --out DIR             the run's folder (default runs/restore, runs/upscale)
  --device D            auto (default: CUDA when a GPU is usable), cpu or cuda
  --batch 32  --steps 2000  --lr 2e-3  --final-lr 1e-4  --warmup 100 (linear warm-up steps)
  --schedule cosine|constant|plateau   (plateau: --patience 10 logging steps without improvement,
                        then the rate times --plateau-factor 0.5, down to --final-lr)
  --precision fp32|tf32|bf16  --weight-decay 1e-4  --clip 1 (global gradient norm; 0: off)
  --loss MSE,L1,EDGE,ALPHA   loss weights (restore 1,0.5,0.5,0.05; upscale 1,0,0.5,0)
  --seed 1              the data order, the split and the initial weights
  --holdout 0.1         the fraction held out, by sprite or by image, fixed by the seed
  --holdout-from M      hold out what model M's run held out (its record; for restore also a
                        .sprites file), whatever the seed; the new model records all of it
  --init M              start from a trained model of the task's kind (or a checkpoint): its
                        parameters replace those of the same name and shape; added --context
                        layers, or an upscaler's added layers of its last width, start as the
                        identity; an upscaler with more --filters per layer keeps M's filters
                        and ignores its new ones until trained. Refused if M held out images
                        this run would train on
  --log-every 20  --checkpoint-every 250
 restore:
  --widths 64,128,256,512   encoder widths (--device cpu: try 8,16,32,32)
  --context 0           context layers at the sprite resolution
  --canvas 16|32        the sprite size; inputs are canvas x 2^depth pixels
  --damage hard|original|none|user   the damage preset of the synthesis (user: at native
                        pitches, then aligned as the restore pipeline aligns a user's image)
 upscale:
  --factor 2            the factor the model is trained for, whole or not (1.5, 1.75, 2, 3 ...)
  --filters 64,64,64    the widths of the ReLU convolutions
  --kernels 7,5,3,1     their kernel sizes, then the last convolution's (all valid, unpadded)
  --unshuffle 1|2|3|4   the convolutions on S x S blocks of pixels
  --patch 64            training patch side in pixels (checked against the convolutions' margin)
  --augment none|dihedral    patches also flipped and transposed
  --sampling image|area      each image equally often, or each place of the set
  --back-project off|on      the loss scores the output back-projected as `upscale` does
lists (widths, filters, kernels, loss) as words or with commas: --kernels 7 5 3 1, --kernels 7,5,3,1)";

int run_train(const std::vector<std::string>& argv) {
  if (!argv.empty() && (argv[0] == "-h" || argv[0] == "--help")) throw HelpRequest{kUsage};
  if (argv.empty() || (argv[0] != "restore" && argv[0] != "upscale")) throw Error(kUsage, ErrorKind::Usage);
  TrainConfig cfg;
  cfg.set("task", argv[0]);
  if (cfg.task == Task::Upscale) cfg.out = "runs/upscale", cfg.data = "", cfg.loss = LossWeights{{1.0, 0.0, 0.5, 0.0}};
  std::set<std::string> keys{"config", "resume", "time-limit"};
  for (const auto& [k, v] : cfg.items())
    if (k != "task") keys.insert(k);  // the task is the first word
  Args a(std::vector<std::string>(argv.begin() + 1, argv.end()), kUsage, keys, {"overwrite"}, {"widths", "filters", "kernels", "loss"});
  a.no_positional("train");
  try {
    if (a.has("config")) cfg.load_json_file(a.get("config", ""));
    for (const auto& [k, v] : cfg.items())
      if (a.has(k)) cfg.set(k, a.get(k, ""));
    cfg.set("task", argv[0]);
    cfg.validate();
  } catch (const Error& e) {  // a setting may come from the file: say where to look
    if (!a.has("config") || e.kind() != ErrorKind::Usage) throw;
    throw Error(std::string(e.what()) + " (settings from --config " + a.get("config", "") + " and the flags)", e.kind());
  }
  const Device dev = parse_device(cfg.device);
  const double time_limit = a.has("time-limit") ? parse_time_limit(a.get("time-limit", "")) : 0;  // seconds; 0: none
  // A folder that holds a run is gone on with (--resume) or replaced when asked, never otherwise.
  if (!a.has("resume") && !a.has("overwrite"))
    for (const char* f : {"model.safetensors", "checkpoint.safetensors", "config.json", "metrics.jsonl"})
      if (std::filesystem::exists(cfg.out + "/" + f))
        throw Error("--out " + cfg.out + " holds a run (" + f + "): go on with --resume " + cfg.out +
                        "/checkpoint.safetensors, start over with --overwrite, or name another folder",
                    ErrorKind::Usage);
  std::filesystem::create_directories(cfg.out);
  remove_stale_temporaries(cfg.out);  // those of a run killed mid-write
  std::string command = "pixelart train";
  for (const auto& s : argv) command += " " + s;

  // Data and the held-out split (by content, fixed by seed; saved beside the run).
  std::unique_ptr<Trainer> trainer;
  std::vector<Sprite> held_images, train_images;
  std::string data_desc;
  std::optional<std::set<uint64_t>> from;  // --holdout-from: hold out exactly these
  if (!cfg.holdout_from.empty()) from = holdout_keys(cfg.holdout_from);
  // recorded in the model file (metadata "held_out"): with --holdout-from, every key of that
  // record, those absent from --data too (neither this run nor the one it names trained on them,
  // so a chain of runs keeps the whole held-out set even where a run draws other procedural sprites)
  std::vector<uint64_t> held_keys;
  // (with nothing held out, a run started over leaves no held-out list of the run it replaces)
  std::function<void()> write_held = [&] {
    if (!a.has("overwrite")) return;
    std::error_code ec;
    for (const char* f : {"/holdout.sprites", "/holdout.txt"}) std::filesystem::remove(cfg.out + f, ec);
  };
  if (cfg.task == Task::Restore) {
    const SpriteSet all = load_sprite_sources(cfg.data, cfg.canvas, cfg.seed);
    SpriteSet train, held;
    if (from) split_holdout(all, *from, &train, &held);
    else split_holdout(all, cfg.holdout, cfg.seed, &train, &held);
    if (train.size() == 0) throw Error("training: no training sprites left after the held-out split", ErrorKind::BadInput);
    refuse_init_leak(cfg, [&](const TrainedSplit& split) {
      int64_t n = 0;  // procedural sprites are drawn from the seed: another seed draws others
      for (int64_t i = 0; i < train.size(); ++i)
        n += split.has_keys ? split.keys.count(sprite_key(train, i))
                            : train.names[size_t(i)].rfind("generated#", 0) != 0 && held_out_sprite(train, i, split.seed, split.fraction);
      return n;
    });
    if (from) held_keys.assign(from->begin(), from->end());
    else
      for (int64_t i = 0; i < held.size(); ++i) held_keys.push_back(sprite_key(held, i));
    if (held.size())  // written once the run is sure to start (after --resume is accepted)
      write_held = [held, &cfg, &from] {
        held.save(cfg.out + "/holdout.sprites", "held out of " + cfg.data + (from ? " as " + cfg.holdout_from : " by seed " + std::to_string(cfg.seed)));
      };
    data_desc = std::to_string(train.size()) + " training sprites, " + std::to_string(held.size()) + " held out";
    trainer = std::make_unique<RestorerTrainer>(cfg, train, dev);
  } else {
    if (cfg.data.empty()) throw Error("train upscale: --data IMAGES|FOLDERS is required", ErrorKind::Usage);
    std::vector<Sprite> images = load_images(cfg.data);
    std::vector<Sprite>& train = train_images;
    for (const Sprite& img : images)  // held out by a hash of the content, fixed by seed (or as --holdout-from)
      ((from ? from->count(content_key(img)) > 0 : held_out_image(img, cfg.seed, cfg.holdout)) ? held_images : train).push_back(img);
    if (train.empty()) throw Error("training: no training images left after the held-out split", ErrorKind::BadInput);
    refuse_init_leak(cfg, [&](const TrainedSplit& split) {
      int64_t n = 0;
      for (const Sprite& img : train) n += split.has_keys ? split.keys.count(content_key(img)) : held_out_image(img, split.seed, split.fraction);
      return n;
    });
    if (from) held_keys.assign(from->begin(), from->end());
    else
      for (const Sprite& img : held_images) held_keys.push_back(content_key(img));
    std::string list;
    for (const Sprite& img : held_images) list += img.name + "\n";
    write_held = [list, &cfg] { write_file_whole(cfg.out + "/holdout.txt", list); };
    data_desc = std::to_string(train.size()) + " training images, " + std::to_string(held_images.size()) + " held out";
    trainer = std::make_unique<UpscalerTrainer>(cfg, train, dev);
    const int64_t used = static_cast<UpscalerTrainer&>(*trainer).images();
    if (used < int64_t(train.size()))
      data_desc += " (" + std::to_string(int64_t(train.size()) - used) + " training images smaller than the " +
                   std::to_string(cfg.patch) + " px patch are not used)";
  }
  std::string held_record;  // empty with --holdout 0: nothing held out
  for (uint64_t k : held_keys) held_record += key_hex(k) + "\n";
  if (a.has("resume")) trainer->resume(a.get("resume", ""));  // refused before any file of the run changes
  write_held();
  write_file_whole(cfg.out + "/config.json", cfg.to_json() + "\n");
  std::fprintf(stderr, "training %s on %s: %s, batch %d, %lld steps%s\n", trainer->describe().c_str(), to_string(dev),
               data_desc.c_str(), cfg.batch, (long long)cfg.steps,
               a.has("resume") ? (" (resumed at step " + std::to_string(trainer->steps_done()) + ")").c_str() : "");

  const std::string metrics_path = cfg.out + "/metrics.jsonl";
  std::vector<Series> curves(1 + kNumLossTerms);
  curves[0].name = "loss";
  for (int k = 0; k < kNumLossTerms; ++k) curves[size_t(k + 1)].name = loss_term_name(k);
  auto add_point = [&](double step, double loss, const double* terms) {
    curves[0].points.emplace_back(step, loss);
    for (int k = 0; k < kNumLossTerms; ++k)
      if (cfg.loss[k] != 0) curves[size_t(k + 1)].points.emplace_back(step, terms[k]);
  };
  if (a.has("resume")) {
    // The run's log up to the checkpoint's step, so that the curves show the whole run; lines of
    // steps after it (logged before the run was stopped, and to be done again) are dropped.
    std::ifstream in(metrics_path);
    std::string kept;
    for (std::string line; std::getline(in, line);) {
      try {
        const json::Value v = json::parse(line, metrics_path);
        const json::Value *step = v.find("step"), *loss = v.find("loss");
        if (!step || !loss || step->kind != json::Value::Num || step->num > double(trainer->steps_done())) continue;
        double terms[kNumLossTerms] = {};
        for (int k = 0; k < kNumLossTerms; ++k)
          if (const json::Value* t = v.find(loss_term_name(k)); t && t->kind == json::Value::Num) terms[k] = t->num;
        add_point(step->num, loss->num, terms);
        kept += line + "\n";
      } catch (const Error&) {  // a line cut by a kill: dropped
      }
    }
    write_file_whole(metrics_path, kept);
  }
  std::ofstream metrics(metrics_path, a.has("resume") ? std::ios::app : std::ios::trunc);
  const bool tty = ::isatty(2);
  const auto start = std::chrono::steady_clock::now();
  const int64_t first = trainer->steps_done();
  bool out_of_time = false;
  const StopSignals stop_signals;
  while (trainer->steps_done() < cfg.steps && !g_stop_signal && !out_of_time) {
    const int64_t next = trainer->steps_done() + 1;
    const bool log_now = next % cfg.log_every == 0 || next == cfg.steps || next == first + 1;
    StepLog log;
    trainer->step(log_now ? &log : nullptr);
    if (log_now) {
      metrics << "{\"step\": " << log.step << ", \"loss\": " << log.loss;
      for (int k = 0; k < kNumLossTerms; ++k) metrics << ", \"" << loss_term_name(k) << "\": " << log.terms[k];
      metrics << ", \"lr\": " << log.lr << ", \"grad_norm\": " << log.grad_norm << ", \"images_per_s\": " << log.images_per_s << "}\n";
      metrics.flush();
      double terms[kNumLossTerms];
      for (int k = 0; k < kNumLossTerms; ++k) terms[k] = log.terms[k];
      add_point(double(log.step), log.loss, terms);
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double per_step = el / double(log.step - first);
      std::fprintf(stderr, "%sstep %lld/%lld %s loss %.5f  %.1f img/s  lr %.2e  %s left%s", tty ? "\r" : "",
                   (long long)log.step, (long long)cfg.steps, bar(double(log.step) / double(cfg.steps)).c_str(), log.loss,
                   cfg.batch / per_step, log.lr,
                   hms(per_step * double(cfg.steps - log.step)).c_str(), tty ? "   " : "\n");
    }
    out_of_time = time_limit > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= time_limit;
    if (trainer->steps_done() % cfg.checkpoint_every == 0 || trainer->steps_done() == cfg.steps || g_stop_signal || out_of_time) {
      trainer->save_checkpoint(cfg.out + "/checkpoint.safetensors", {{"held_out", held_record}});
      std::vector<Series> shown;
      for (const auto& s : curves)
        if (!s.points.empty()) shown.push_back(s);
      write_png(cfg.out + "/curves.png", plot_series(shown, 900, 450, true));
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  const int stopped_by = g_stop_signal;
  if (stopped_by || (out_of_time && trainer->steps_done() < cfg.steps)) {
    std::string go_on = "pixelart train";  // this command without its --resume and --time-limit
    for (size_t i = 0; i < argv.size(); ++i) {
      if (argv[i] == "--resume" || argv[i] == "--time-limit") ++i;
      else if (argv[i].rfind("--resume=", 0) != 0 && argv[i].rfind("--time-limit=", 0) != 0) go_on += " " + argv[i];
    }
    if (trainer->steps_done() == first)  // before the first step: the run as it stands
      trainer->save_checkpoint(cfg.out + "/checkpoint.safetensors", {{"held_out", held_record}});
    const std::string why = stopped_by ? std::string("interrupted (") + (stopped_by == SIGINT ? "Ctrl-C" : "SIGTERM") + ")"
                                       : "the time limit (" + hms(time_limit) + ") reached";
    std::fprintf(stderr, "%s at step %lld of %lld: saving the run; go on with `%s --resume %s/checkpoint.safetensors`\n",
                 why.c_str(), (long long)trainer->steps_done(), (long long)cfg.steps, go_on.c_str(), cfg.out.c_str());
  }
  std::map<std::string, std::string> meta{{"command", command}, {"train_config", cfg.to_json()},
                                          {"steps", std::to_string(trainer->steps_done())}, {"held_out", held_record}};
  if (cfg.task == Task::Upscale) {  // held-out figure: the model against its own starting point, bicubic
    auto& up = static_cast<UpscalerTrainer&>(*trainer);
    const int m = cfg.upscaler().margin();
    PatchSampler held(held_images.empty() ? train_images : held_images, cfg.patch, cfg.factor, m, dev);
    Tensor x, t;
    held.generate(cfg.seed + 1, 0, 64, &x, &t);
    Tensor y;
    {
      NoGradGuard ng;
      y = up.model().forward(x);
      if (cfg.back_project) y = project_blocks(y, t, int(cfg.factor));  // as `upscale` will
    }
    // bicubic alone: the centre of the interpolated input
    const Tensor xc = [&] {
      const Tensor host = x.to(Device::CPU);
      const int64_t P = host.size(1), T = P - 2 * m;
      Tensor c = Tensor::empty({host.size(0), T, T, 4});
      for (int64_t i = 0; i < host.size(0); ++i)
        for (int64_t r = 0; r < T; ++r)
          std::copy(host.data<float>() + ((i * P + r + m) * P + m) * 4, host.data<float>() + ((i * P + r + m) * P + m + T) * 4,
                    c.data<float>() + ((i * T + r) * T) * 4);
      return c;
    }();
    const double p_model = psnr(y.to_vector(), t.to_vector()), p_bicubic = psnr(xc.to_vector(), t.to_vector());
    std::fprintf(stderr, "held-out patches (64, %s images): PSNR %.2f dB for the upscaler, %.2f dB for bicubic alone\n",
                 held_images.empty() ? "no held-out images, so training" : "held-out", p_model, p_bicubic);
    meta["eval"] = "held-out PSNR " + std::to_string(p_model) + " dB (bicubic alone " + std::to_string(p_bicubic) + " dB)";
  }
  const std::string model_file = cfg.out + "/model.safetensors";
  trainer->export_model(model_file, meta);
  std::fprintf(stderr, "wrote %s, checkpoint.safetensors, metrics.jsonl, curves.png, config.json; %s\n", model_file.c_str(),
               peak_memory(dev).c_str());
  return stopped_by ? 128 + stopped_by : kExitOk;
}

}  // namespace pixelart::cli
