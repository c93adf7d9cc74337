// src/io/train_run.cpp — a whole training run in its folder (include/pixelart/train_run.h).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "json.h"
#include "pixelart/autograd.h"
#include "pixelart/files.h"
#include "pixelart/holdout.h"
#include "pixelart/image_io.h"
#include "pixelart/metrics.h"
#include "pixelart/ops.h"
#include "pixelart/plot.h"
#include "pixelart/postprocess.h"
#include "pixelart/synth.h"
#include "pixelart/train_run.h"

namespace pixelart {

// Sprite sets named by --data, comma-separated: packed .sprites files (pixelart sprites), folders
// of sprite images, gen:COUNT (procedural sprites) and holes:COUNT (procedural sprites with
// enclosed transparent pockets).
SpriteSet load_sprite_sources(const std::string& spec, int canvas, uint64_t seed) {
  SpriteSet all;
  all.canvas = canvas;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    const bool holes = item.rfind("holes:", 0) == 0;
    if (item.rfind("gen:", 0) == 0 || holes) {
      const std::string prefix = holes ? "holes:" : "gen:";
      long long count = 0;
      try {
        size_t used = 0;
        count = std::stoll(item.substr(prefix.size()), &used);
        if (used != item.size() - prefix.size()) count = 0;
      } catch (...) {
      }
      if (count <= 0) throw Error("--data " + item + ": expected " + prefix + "COUNT", ErrorKind::Usage);
      // holes:COUNT draws other seeds than gen:COUNT, so that both can be trained on together.
      const uint64_t base = seed * 7919 + (holes ? (1ull << 40) : 0);
      std::vector<Sprite> gen;
      for (long long i = 0; i < count; ++i) gen.push_back(generate_sprite(base + uint64_t(i), canvas, holes));
      all.append(SpriteSet::pack(gen, canvas));
    } else if (std::filesystem::is_directory(item)) {  // a folder of sprite images
      FolderLoad fl = load_sprite_folder(item, std::nullopt);
      for (const auto& e : fl.errors) std::fprintf(stderr, "pixelart: skipping %s\n", e.c_str());
      int too_big = 0;
      all.append(SpriteSet::pack(dedupe(std::move(fl.sprites)), canvas, &too_big));
      if (too_big) std::fprintf(stderr, "pixelart: %s: %d sprites larger than %d px skipped\n", item.c_str(), too_big, canvas);
    } else {
      SpriteSet s = SpriteSet::load(item);
      if (s.canvas != canvas)
        throw Error(item + ": sprites on a " + std::to_string(s.canvas) + " px canvas, but --canvas is " +
                    std::to_string(canvas), ErrorKind::Usage);
      all.append(s);
    }
  }
  if (all.size() == 0) throw Error("--data " + spec + ": no sprites", ErrorKind::BadInput);
  return all;
}

std::vector<Sprite> load_images(const std::string& spec, std::vector<std::string>* skipped) {
  std::vector<Sprite> out;
  std::stringstream ss(spec);
  for (std::string item; std::getline(ss, item, ',');) {
    if (std::filesystem::is_directory(item)) {
      FolderLoad fl = load_sprite_folder(item, std::nullopt);
      if (skipped) skipped->insert(skipped->end(), fl.errors.begin(), fl.errors.end());
      for (auto& s : fl.sprites) out.push_back(std::move(s));
    } else {
      out.push_back(read_image(item));
    }
  }
  if (out.empty()) throw Error("--data " + spec + ": no images", ErrorKind::BadInput);
  return out;
}

namespace {

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

// The data and the held-out split of a run, and its trainer.
struct Prepared {
  std::unique_ptr<Trainer> trainer;
  std::vector<Sprite> held_images, train_images;  // upscale
  std::string held_record;                        // one key per line; empty with nothing held out
  std::function<void()> write_held;               // the held-out list beside the run
  std::string data;
};

Prepared prepare(const TrainConfig& cfg, Device dev, bool overwrite) {
  Prepared p;
  std::optional<std::set<uint64_t>> from;  // --holdout-from: hold out exactly these
  if (!cfg.holdout_from.empty()) from = holdout_keys(cfg.holdout_from);
  // recorded in the model file (metadata "held_out"): with --holdout-from, every key of that
  // record, those absent from --data too (neither this run nor the one it names trained on them,
  // so a chain of runs keeps the whole held-out set even where a run draws other procedural sprites)
  std::vector<uint64_t> held_keys;
  // (with nothing held out, a run started over leaves no held-out list of the run it replaces)
  p.write_held = [overwrite, out = cfg.out] {
    if (!overwrite) return;
    std::error_code ec;
    for (const char* f : {"/holdout.sprites", "/holdout.txt"}) std::filesystem::remove(out + f, ec);
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
      p.write_held = [held, cfg, from] {
        held.save(cfg.out + "/holdout.sprites", "held out of " + cfg.data + (from ? " as " + cfg.holdout_from : " by seed " + std::to_string(cfg.seed)));
      };
    p.data = std::to_string(train.size()) + " training sprites, " + std::to_string(held.size()) + " held out";
    p.trainer = std::make_unique<RestorerTrainer>(cfg, train, dev);
  } else {
    if (cfg.data.empty()) throw Error("train upscale: --data IMAGES|FOLDERS is required", ErrorKind::Usage);
    std::vector<std::string> skipped;
    std::vector<Sprite> images = load_images(cfg.data, &skipped);
    for (const auto& e : skipped) std::fprintf(stderr, "pixelart: skipping %s\n", e.c_str());
    std::vector<Sprite>& train = p.train_images;
    for (const Sprite& img : images)  // held out by a hash of the content, fixed by seed (or as --holdout-from)
      ((from ? from->count(content_key(img)) > 0 : held_out_image(img, cfg.seed, cfg.holdout)) ? p.held_images : train).push_back(img);
    if (train.empty()) throw Error("training: no training images left after the held-out split", ErrorKind::BadInput);
    refuse_init_leak(cfg, [&](const TrainedSplit& split) {
      int64_t n = 0;
      for (const Sprite& img : train) n += split.has_keys ? split.keys.count(content_key(img)) : held_out_image(img, split.seed, split.fraction);
      return n;
    });
    if (from) held_keys.assign(from->begin(), from->end());
    else
      for (const Sprite& img : p.held_images) held_keys.push_back(content_key(img));
    std::string list;
    for (const Sprite& img : p.held_images) list += img.name + "\n";
    p.write_held = [list, out = cfg.out] { write_file_whole(out + "/holdout.txt", list); };
    p.data = std::to_string(train.size()) + " training images, " + std::to_string(p.held_images.size()) + " held out";
    p.trainer = std::make_unique<UpscalerTrainer>(cfg, train, dev);
    const int64_t used = static_cast<UpscalerTrainer&>(*p.trainer).images();
    if (used < int64_t(train.size()))
      p.data += " (" + std::to_string(int64_t(train.size()) - used) + " training images smaller than the " +
                std::to_string(cfg.patch) + " px patch are not used)";
  }
  for (uint64_t k : held_keys) p.held_record += key_hex(k) + "\n";
  return p;
}

// The upscaler on 64 held-out patches against bicubic alone (the centre of its interpolated input),
// the patches degraded as the run trains (its shrink kernels and JPEG; not augmented), so that a
// denoiser's figure is on JPEG'd inputs.
void upscale_eval(const TrainConfig& cfg, Prepared& p, Device dev, TrainRunResult& r) {
  auto& up = static_cast<UpscalerTrainer&>(*p.trainer);
  const int m = cfg.upscaler().margin();
  const PatchOptions degraded{false, false, cfg.shrink, cfg.jpeg_min, cfg.jpeg_max, float(cfg.jpeg_share)};
  PatchSampler held(p.held_images.empty() ? p.train_images : p.held_images, cfg.patch, cfg.factor, m, dev, degraded);
  Tensor x, t;
  held.generate(cfg.seed + 1, 0, 64, &x, &t);
  Tensor y;
  {
    NoGradGuard ng;
    y = up.model().forward(x);
    if (cfg.back_project) y = project_blocks(y, t, int(cfg.factor));  // as `upscale` will
  }
  // bicubic alone: the centre of the interpolated input (zeros plus its centre crop)
  const Tensor xc = add_center_crop(Tensor::zeros(t.shape(), x.dtype(), dev), x);
  r.upscale_eval = true, r.held_out_patches = !p.held_images.empty();
  r.psnr_model = psnr(y.to_vector(), t.to_vector()), r.psnr_bicubic = psnr(xc.to_vector(), t.to_vector());
}

}  // namespace

TrainRunResult run_training(const TrainConfig& cfg, const TrainRunOptions& opt, const std::function<void(const TrainRunResult&)>& on_start) {
  const Device dev = parse_device(cfg.device);
  const bool resume = !opt.resume.empty();
  // A folder that holds a run is gone on with (--resume) or replaced when asked, never otherwise.
  if (!resume && !opt.overwrite)
    for (const char* f : {"model.safetensors", "checkpoint.safetensors", "config.json", "metrics.jsonl"})
      if (std::filesystem::exists(cfg.out + "/" + f))
        throw Error("--out " + cfg.out + " holds a run (" + f + "): go on with --resume " + cfg.out +
                        "/checkpoint.safetensors, start over with --overwrite, or name another folder",
                    ErrorKind::Usage);
  std::filesystem::create_directories(cfg.out);
  remove_stale_temporaries(cfg.out);  // those of a run killed mid-write

  Prepared p = prepare(cfg, dev, opt.overwrite);
  Trainer& trainer = *p.trainer;
  if (resume) trainer.resume(opt.resume);  // refused before any file of the run changes
  p.write_held();
  write_file_whole(cfg.out + "/config.json", cfg.to_json() + "\n");
  TrainRunResult r;
  r.trainer = trainer.describe(), r.data = p.data, r.first_step = trainer.steps_done();
  r.model_file = cfg.out + "/model.safetensors";
  if (on_start) on_start(r);

  const std::string metrics_path = cfg.out + "/metrics.jsonl";
  std::vector<Series> curves(1 + kNumLossTerms);
  curves[0].name = "loss";
  for (int k = 0; k < kNumLossTerms; ++k) curves[size_t(k + 1)].name = loss_term_name(k);
  auto add_point = [&](double step, double loss, const double* terms) {
    curves[0].points.emplace_back(step, loss);
    for (int k = 0; k < kNumLossTerms; ++k)
      if (cfg.loss[k] != 0) curves[size_t(k + 1)].points.emplace_back(step, terms[k]);
  };
  if (resume) {
    // The run's log up to the checkpoint's step, so that the curves show the whole run; lines of
    // steps after it (logged before the run was stopped, and to be done again) are dropped.
    std::ifstream in(metrics_path);
    std::string kept;
    for (std::string line; std::getline(in, line);) {
      try {
        const json::Value v = json::parse(line, metrics_path);
        const json::Value *step = v.find("step"), *loss = v.find("loss");
        if (!step || !loss || step->kind != json::Value::Num || step->num > double(trainer.steps_done())) continue;
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
  std::ofstream metrics(metrics_path, resume ? std::ios::app : std::ios::trunc);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const int64_t first = r.first_step;
  const std::map<std::string, std::string> held_meta{{"held_out", p.held_record}};
  bool stop = opt.stop && opt.stop();
  while (trainer.steps_done() < cfg.steps && !stop && !r.out_of_time) {
    const int64_t next = trainer.steps_done() + 1;
    const bool log_now = next % cfg.log_every == 0 || next == cfg.steps || next == first + 1;
    StepLog log;
    trainer.step(log_now ? &log : nullptr);
    if (log_now) {
      metrics << "{\"step\": " << log.step << ", \"loss\": " << log.loss;
      for (int k = 0; k < kNumLossTerms; ++k) metrics << ", \"" << loss_term_name(k) << "\": " << log.terms[k];
      metrics << ", \"lr\": " << log.lr << ", \"grad_norm\": " << log.grad_norm << ", \"images_per_s\": " << log.images_per_s << "}\n";
      metrics.flush();
      add_point(double(log.step), log.loss, log.terms);
      if (opt.on_log) opt.on_log(log, elapsed() / double(log.step - first));
    }
    r.out_of_time = opt.time_limit > 0 && elapsed() >= opt.time_limit;
    stop = opt.stop && opt.stop();
    if (trainer.steps_done() % cfg.checkpoint_every == 0 || trainer.steps_done() == cfg.steps || stop || r.out_of_time) {
      trainer.save_checkpoint(cfg.out + "/checkpoint.safetensors", held_meta);
      std::vector<Series> shown;
      for (const auto& s : curves)
        if (!s.points.empty()) shown.push_back(s);
      write_png(cfg.out + "/curves.png", plot_series(shown, 900, 450, true));
    }
  }
  r.steps_done = trainer.steps_done();
  r.out_of_time = r.out_of_time && r.steps_done < cfg.steps;
  r.stopped = stop;
  if ((r.stopped || r.out_of_time) && r.steps_done == first)  // before the first step: the run as it stands
    trainer.save_checkpoint(cfg.out + "/checkpoint.safetensors", held_meta);
  std::map<std::string, std::string> meta{{"command", opt.command}, {"train_config", cfg.to_json()},
                                          {"steps", std::to_string(r.steps_done)}, {"held_out", p.held_record}};
  if (cfg.task == Task::Upscale) {  // held-out figure: the model against its own starting point, bicubic
    upscale_eval(cfg, p, dev, r);
    meta["eval"] = "held-out PSNR " + std::to_string(r.psnr_model) + " dB (bicubic alone " + std::to_string(r.psnr_bicubic) + " dB)";
  }
  trainer.export_model(r.model_file, meta);
  return r;
}

}  // namespace pixelart
