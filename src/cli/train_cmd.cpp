// src/cli/train_cmd.cpp — `pixelart train restore|upscale`: the settings from a JSON file and
// flags, Ctrl-C, and the progress line; the run itself is the library's (pixelart/train_run.h).
#include <unistd.h>

#include <csignal>
#include <cmath>
#include <cstdio>
#include <set>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/train_run.h"

namespace pixelart::cli {
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
  --data D              restore: .sprites files, folders, gen:COUNT, holes:COUNT (procedural
                        sprites with enclosed pockets) (default gen:2000);
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
  --shrink area[,linear,cubic,lanczos,bicubic-aa]  the kernels patches are shrunk by (one per
                             batch, drawn by seed and step; OpenCV's, not antialiased, but area
                             and bicubic-aa, Pillow's antialiased bicubic)
  --back-project off|on      the loss scores the output back-projected as `upscale` does
  --jpeg off|Q|QMIN-QMAX     the shrunk patches JPEG'd (libjpeg's 4:2:0 coding, straight colour)
                             at a quality drawn per sample, so the model takes the artefacts out;
                             at --factor 1, a JPEG denoiser
  --jpeg-share 1             the share of samples JPEG'd (0.5: half clean, half coded)
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
  TrainRunOptions opt;
  opt.resume = a.get("resume", "");
  opt.overwrite = a.has("overwrite");
  opt.time_limit = a.has("time-limit") ? parse_time_limit(a.get("time-limit", "")) : 0;  // seconds; 0: none
  opt.command = "pixelart train";
  for (const auto& s : argv) opt.command += " " + s;
  const StopSignals stop_signals;
  opt.stop = [] { return g_stop_signal != 0; };
  const bool tty = ::isatty(2);
  opt.on_log = [&](const StepLog& log, double per_step) {
    std::fprintf(stderr, "%sstep %lld/%lld %s loss %.5f  %.1f img/s  lr %.2e  %s left%s", tty ? "\r" : "", (long long)log.step,
                 (long long)cfg.steps, bar(double(log.step) / double(cfg.steps)).c_str(), log.loss, cfg.batch / per_step, log.lr,
                 hms(per_step * double(cfg.steps - log.step)).c_str(), tty ? "   " : "\n");
  };
  const TrainRunResult r = run_training(cfg, opt, [&](const TrainRunResult& r) {
    std::fprintf(stderr, "training %s on %s: %s, batch %d, %lld steps%s\n", r.trainer.c_str(), to_string(dev), r.data.c_str(),
                 cfg.batch, (long long)cfg.steps,
                 r.first_step ? (" (resumed at step " + std::to_string(r.first_step) + ")").c_str() : "");
  });
  if (tty) std::fprintf(stderr, "\n");
  const int stopped_by = r.stopped ? int(g_stop_signal) : 0;
  if (r.stopped || r.out_of_time) {
    std::string go_on = "pixelart train";  // this command without its --resume and --time-limit
    for (size_t i = 0; i < argv.size(); ++i) {
      if (argv[i] == "--resume" || argv[i] == "--time-limit") ++i;
      else if (argv[i].rfind("--resume=", 0) != 0 && argv[i].rfind("--time-limit=", 0) != 0) go_on += " " + argv[i];
    }
    const std::string why = stopped_by ? std::string("interrupted (") + (stopped_by == SIGINT ? "Ctrl-C" : "SIGTERM") + ")"
                                       : "the time limit (" + hms(opt.time_limit) + ") reached";
    std::fprintf(stderr, "%s at step %lld of %lld: saving the run; go on with `%s --resume %s/checkpoint.safetensors`\n",
                 why.c_str(), (long long)r.steps_done, (long long)cfg.steps, go_on.c_str(), cfg.out.c_str());
  }
  if (r.upscale_eval)
    std::fprintf(stderr, "held-out patches (64, %s images): PSNR %.2f dB for the upscaler, %.2f dB for bicubic alone\n",
                 r.held_out_patches ? "held-out" : "no held-out images, so training", r.psnr_model, r.psnr_bicubic);
  std::fprintf(stderr, "wrote %s, checkpoint.safetensors, metrics.jsonl, curves.png, config.json; %s\n", r.model_file.c_str(),
               peak_memory(dev).c_str());
  return stopped_by ? 128 + stopped_by : kExitOk;
}

}  // namespace pixelart::cli
