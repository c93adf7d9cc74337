// src/cli/train_cmd.cpp — `pixelart train restore`: configuration from a JSON file and flags,
// the held-out split, the training loop with a progress bar, metrics as JSON lines, a PNG of the
// curves, checkpoints and --resume, and the exported model.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/args.h"
#include "pixelart/image_io.h"
#include "pixelart/plot.h"
#include "pixelart/train.h"

namespace pixelart::cli {
namespace {

std::string hms(double s) {
  char b[32];
  const int t = int(s);
  if (t >= 3600) std::snprintf(b, sizeof b, "%dh%02dm", t / 3600, t / 60 % 60);
  else std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
  return b;
}

}  // namespace

int run_train(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] != "restore")
    throw Error("usage: pixelart train restore [--config FILE.json] [--resume CHECKPOINT] [--SETTING VALUE ...]\n"
                "settings (also the keys of the JSON file): widths, canvas, batch, steps, lr, final-lr, warmup,\n"
                "  schedule (cosine|constant|plateau), patience, factor, precision (fp32|tf32), weight-decay,\n"
                "  clip, loss (mse,l1,edge,alpha), damage, seed, holdout, log-every,\n"
                "  checkpoint-every, data, out, device   (the upscaler's training is not built yet)",
                ErrorKind::Usage);
  TrainConfig cfg;
  std::set<std::string> keys{"config", "resume"};
  for (const auto& [k, v] : cfg.items()) keys.insert(k);
  Args a(std::vector<std::string>(argv.begin() + 1, argv.end()), keys, {});
  a.no_positional("train restore");
  if (a.has("config")) cfg.load_json_file(a.get("config", ""));
  for (const auto& [k, v] : cfg.items())
    if (a.has(k)) cfg.set(k, a.get(k, ""));
  cfg.validate();
  const Device dev = parse_device(cfg.device);

  // Data and the held-out split (saved beside the run, so evaluation uses exactly those sprites).
  const SpriteSet all = load_sprite_sources(cfg.data, cfg.canvas, cfg.seed);
  SpriteSet train, held;
  split_holdout(all, cfg.holdout, cfg.seed, &train, &held);
  if (train.size() == 0) throw Error("training: no training sprites left after the held-out split", ErrorKind::BadInput);
  std::filesystem::create_directories(cfg.out);
  if (held.size()) held.save(cfg.out + "/holdout.sprites", "held out of " + cfg.data + " by seed " + std::to_string(cfg.seed));
  {
    std::ofstream(cfg.out + "/config.json") << cfg.to_json() << "\n";
  }
  std::string command = "pixelart train restore";
  for (const auto& s : argv) if (s != "restore") command += " " + s;

  Trainer trainer(cfg, train, dev);
  if (a.has("resume")) trainer.resume(a.get("resume", ""));
  std::fprintf(stderr, "training %s on %s: %lld training sprites, %lld held out, %dx%d inputs, batch %d, %lld steps%s\n",
               cfg.model().describe().c_str(), to_string(dev), (long long)train.size(), (long long)held.size(),
               cfg.canvas * cfg.model().scale(), cfg.canvas * cfg.model().scale(), cfg.batch, (long long)cfg.steps,
               a.has("resume") ? (" (resumed at step " + std::to_string(trainer.steps_done()) + ")").c_str() : "");

  const std::string metrics_path = cfg.out + "/metrics.jsonl";
  std::ofstream metrics(metrics_path, a.has("resume") ? std::ios::app : std::ios::trunc);
  std::vector<Series> curves(1 + kNumLossTerms);
  curves[0].name = "loss";
  for (int k = 0; k < kNumLossTerms; ++k) curves[size_t(k + 1)].name = loss_term_name(k);
  const bool tty = ::isatty(2);
  const auto start = std::chrono::steady_clock::now();
  const int64_t first = trainer.steps_done();
  while (trainer.steps_done() < cfg.steps) {
    const int64_t next = trainer.steps_done() + 1;
    const bool log_now = next % cfg.log_every == 0 || next == cfg.steps || next == first + 1;
    StepLog log;
    trainer.step(log_now ? &log : nullptr);
    if (log_now) {
      metrics << "{\"step\": " << log.step << ", \"loss\": " << log.loss;
      for (int k = 0; k < kNumLossTerms; ++k) metrics << ", \"" << loss_term_name(k) << "\": " << log.terms[k];
      metrics << ", \"lr\": " << log.lr << ", \"grad_norm\": " << log.grad_norm << ", \"images_per_s\": " << log.images_per_s << "}\n";
      metrics.flush();
      curves[0].points.emplace_back(double(log.step), log.loss);
      for (int k = 0; k < kNumLossTerms; ++k)
        if (cfg.loss[k] != 0) curves[size_t(k + 1)].points.emplace_back(double(log.step), log.terms[k]);
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double per_step = el / double(log.step - first);
      const int width = 24, filled = int(width * log.step / cfg.steps);
      std::fprintf(stderr, "%sstep %lld/%lld [%s%s] loss %.5f  %.1f img/s  lr %.2e  %s left%s", tty ? "\r" : "",
                   (long long)log.step, (long long)cfg.steps, std::string(size_t(filled), '#').c_str(),
                   std::string(size_t(width - filled), '.').c_str(), log.loss, cfg.batch / per_step, log.lr,
                   hms(per_step * double(cfg.steps - log.step)).c_str(), tty ? "   " : "\n");
    }
    if (trainer.steps_done() % cfg.checkpoint_every == 0 || trainer.steps_done() == cfg.steps) {
      trainer.save_checkpoint(cfg.out + "/checkpoint.safetensors");
      std::vector<Series> shown;
      for (const auto& s : curves)
        if (!s.points.empty()) shown.push_back(s);
      write_png(cfg.out + "/curves.png", plot_series(shown, 900, 450, true));
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  std::map<std::string, std::string> meta{{"command", command}, {"train_config", cfg.to_json()},
                                          {"steps", std::to_string(trainer.steps_done())}};
  save_restorer(cfg.out + "/model.safetensors", trainer.model(), cfg.canvas, meta);
  std::fprintf(stderr, "wrote %s/model.safetensors, checkpoint.safetensors, metrics.jsonl, curves.png, config.json%s\n",
               cfg.out.c_str(), held.size() ? ", holdout.sprites" : "");
  return kExitOk;
}

}  // namespace pixelart::cli
