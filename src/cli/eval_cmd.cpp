// src/cli/eval_cmd.cpp — `pixelart eval`: restoration quality on held-out sprites, per damage
// family, including damage from outside the project (OpenCV's resize and JPEG encoder).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/autograd.h"
#include "pixelart/eval_render.h"
#include "pixelart/evaluate.h"
#include "pixelart/files.h"
#include "pixelart/holdout.h"
#include "pixelart/image_io.h"
#include "pixelart/metrics.h"
#include "pixelart/model_file.h"
#include "pixelart/postprocess.h"
#include "pixelart/safetensors.h"
#include "pixelart/synth.h"
#include "pixelart/train_run.h"

namespace pixelart::cli {
namespace {

struct Worst {
  double accuracy;
  Sprite input, output, target;
};

}  // namespace

constexpr const char* kUsage = R"(usage: pixelart eval --data SPRITES [--model M] [--holdout-from M|HOLDOUT.sprites] [--canvas C] [-n 256]
       [--families clean,...,user-web] [--seed 20261121] [--batch B] [--device D]
       [--no-refine] [--palette K|auto] [--json] [--details TSV] [--sheet PNG] [--overwrite]
  restoration quality per damage family: pixel accuracy (alpha right and, where opaque, every
  channel within 8/255), perfect-sprite rate, alpha IoU, RGB error, palette size ratio, and for
  the users' families the share of outputs of the right size and of images refused
  --data SPRITES     held-out sprites: RUN/holdout.sprites, .sprites files, folders, gen:COUNT
  --model M          a restorer model or checkpoint (default: the shipped restorer16)
  --holdout-from M   only the sprites of --data that M's training run held out (its record)
  -n N               damaged renders per family (default 256)
  --families LIST    the network on 16x16 sprites enlarged 16 times: clean, original, hard (our
                     synthesis) and outside (OpenCV's resize and JPEG over a noisy background);
                     the whole restore pipeline on images as users have them (eval_render.h,
                     rendered by OpenCV): user-clean (any scale 3-24, axes up to 5% apart,
                     offsets, margins, sheets, four backgrounds), user-jpeg (and OpenCV's JPEG,
                     once or twice), user-web (resampling round trips, then JPEG); default all
  --seed S           the damage drawn (default 20261121: the figures in the README)
  --batch B          renders per forward pass (default 256 on CUDA, 16 on the CPU)
  --device D         auto (default), cpu or cuda
  --no-refine        score the network's output without the colour refinement
  --palette K|auto   the users' families with restore's --palette (the sprite's colours snapped
                     to a palette of at most K; auto: its size chosen per sprite)
  --json             the figures as JSON on stdout instead of the table
  --details TSV      one line per image of the users' families: its figures, the size and the
                     lattice found, the background cleared, and how the image was made
  --sheet PNG        a contact sheet of the last family's worst sprites: input, restored, original
  --overwrite        replace an existing --sheet or --details (default: refused before any work))";

int run_eval(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"model", "data", "n", "device", "seed", "batch", "sheet", "details", "families", "holdout-from", "canvas", "palette"}, {"json", "no-refine", "overwrite"});
  a.no_positional("eval");
  {
    std::vector<std::string> outputs, inputs = split_commas(a.get("data", ""));
    inputs.push_back(a.get("model", ""));
    for (const char* o : {"sheet", "details"})
      if (a.has(o)) outputs.push_back(a.get(o, ""));
    if (!outputs.empty()) refuse_replacing(outputs, inputs, a.has("overwrite"));
  }
  const Device dev = parse_device(a.get("device", "auto"));
  const std::string model_path = a.has("model") ? a.get("model", "") : default_model_path();
  int canvas = 16;
  std::map<std::string, std::string> meta;
  Restorer model = load_restorer(model_path, dev, &canvas, &meta);
  canvas = int(a.get_int("canvas", canvas, 4, 256));  // the sprites' canvas (the network takes any size)
  if (!a.has("data")) throw Error(std::string("--data is required (held-out sprites, e.g. RUN/holdout.sprites)\n") + kUsage, ErrorKind::Usage);
  const SpriteSet held = [&] {
    SpriteSet all = load_sprite_sources(a.get("data", ""), canvas, 1);
    if (!a.has("holdout-from")) return all;
    // only what a run held out (a model file's record or a .sprites file), found in --data by content
    const std::string from = a.get("holdout-from", "");
    const std::set<uint64_t> keys = holdout_keys(from);
    SpriteSet rest, out;
    split_holdout(all, keys, &rest, &out);
    if (out.size() == 0)
      throw Error("eval: none of the " + std::to_string(keys.size()) + " sprites " + from + " held out are in --data " + a.get("data", ""),
                  ErrorKind::BadInput);
    std::fprintf(stderr, "eval: %lld of --data's %lld sprites, those %s held out (%zu recorded)\n", (long long)out.size(),
                 (long long)all.size(), from.c_str(), keys.size());
    return out;
  }();
  const int n = int(a.get_int("n", 256, 1, 1 << 20));
  const int batch = int(a.get_int("batch", dev == Device::CUDA ? 256 : 16, 1, 4096));
  const uint64_t seed = uint64_t(a.get_int("seed", 20261121, 0, 1LL << 62));
  std::vector<std::string> families;
  {
    std::stringstream ss(a.get("families", "clean,original,hard,outside,user-clean,user-jpeg,user-web"));
    for (std::string f; std::getline(ss, f, ',');) families.push_back(f);
  }
  std::map<std::string, SpriteMetrics> results;
  std::map<std::string, RestoreEval> pipeline;  // the users' families: size right, refused, time
  std::vector<Worst> worst;
  Progress progress("eval");
  const std::map<std::string, UserFamily> user = {{"user-clean", UserFamily::Clean}, {"user-jpeg", UserFamily::Jpeg}, {"user-web", UserFamily::Web}};
  for (const auto& fam : families)
    if (fam != "clean" && fam != "original" && fam != "hard" && fam != "outside" && !user.count(fam))
      throw Error("eval: unknown family '" + fam + "' (clean, original, hard, outside, user-clean, user-jpeg, user-web)", ErrorKind::Usage);
  for (size_t fi = 0; fi < families.size(); ++fi) {
    const std::string& fam = families[fi];
    if (user.count(fam)) {  // the whole pipeline, from an image as a user has it
      RestoreOptions opt;
      opt.refine = !a.has("no-refine");
      if (a.has("palette")) opt.palette = a.get("palette", "") == "auto" ? -1 : int(a.get_int("palette", 0, 1, 256));
      const UserFamily uf = user.at(fam);
      const bool last = fi + 1 == families.size();
      RestoreEval ev = evaluate_restore(
          model, n, [&](uint64_t i) { return render_user_sample(held, uf, seed, i); }, opt, dev, batch, last ? 16 : 0,
          [&](int64_t done, int64_t total) { progress.update((double(fi) + double(done) / double(total)) / double(families.size()), fam); });
      results[fam] = ev.metrics;
      if (last)
        for (auto& c : ev.worst) worst.push_back({c.accuracy, std::move(c.input), std::move(c.output), std::move(c.truth)});
      ev.worst.clear();
      pipeline[fam] = std::move(ev);
      continue;
    }
    const bool last = fi + 1 == families.size();
    RestoreEval ev = evaluate_network(model, held, fam, n, seed, batch, !a.has("no-refine"), dev, last ? 16 : 0, [&](int64_t done, int64_t total) {
      progress.update((double(fi) + double(done) / double(total)) / double(families.size()), fam);
    });
    results[fam] = ev.metrics;
    for (auto& c : ev.worst) worst.push_back({c.accuracy, std::move(c.input), std::move(c.output), std::move(c.truth)});
  }
  progress.update(1.0);
  progress.finish();
  if (a.has("json")) {
    std::printf("{\"model\": \"%s\", \"data\": \"%s\", \"samples_per_family\": %d, \"seed\": %llu, \"families\": {",
                json_escape(model_path).c_str(), json_escape(a.get("data", "")).c_str(), n, (unsigned long long)seed);
    for (size_t i = 0; i < families.size(); ++i) {
      const SpriteMetrics& m = results[families[i]];
      std::printf("%s\"%s\": {\"pixel_accuracy\": %.5f, \"perfect_sprites\": %.5f, \"alpha_iou\": %.5f, \"rgb_error\": %.3f, "
                  "\"palette_ratio\": %.3f, \"alpha_error_pixels\": %.5f, \"colour_error_pixels\": %.5f, "
                  "\"colour_only_sprites\": %.5f",
                  i ? ", " : "", families[i].c_str(), m.pixel_accuracy(), m.perfect_rate(), m.alpha_iou(), m.rgb_error(),
                  m.palette_ratio(), m.alpha_error_rate(), m.colour_error_rate(), m.colour_only_rate());
      if (pipeline.count(families[i])) {
        const RestoreEval& ev = pipeline[families[i]];
        std::printf(", \"size_right\": %.5f, \"refused\": %.5f, \"seconds_per_image\": %.4f}", ev.size_right_rate(),
                    double(ev.refused) / double(std::max<int64_t>(ev.samples, 1)), ev.seconds / double(std::max<int64_t>(ev.samples, 1)));
      } else {
        std::printf("}");
      }
    }
    std::printf("}}\n");
  } else {
    std::printf("model %s (%s), %lld held-out sprites, %d samples per family\n", model_path.c_str(),
                model.config().describe().c_str(), (long long)held.size(), n);
    std::printf("%-10s %10s %9s %10s %8s %8s %10s %10s %12s %10s %8s\n", "family", "pixel acc.", "perfect", "alpha IoU", "RGB err",
                "palette", "alpha err", "colour err", "colour-only", "size right", "refused");
    for (const auto& f : families) {
      const SpriteMetrics& m = results[f];
      std::printf("%-10s %10.4f %8.1f%% %10.4f %8.2f %8.2f %9.2f%% %9.2f%% %11.1f%%", f.c_str(), m.pixel_accuracy(),
                  100 * m.perfect_rate(), m.alpha_iou(), m.rgb_error(), m.palette_ratio(), 100 * m.alpha_error_rate(),
                  100 * m.colour_error_rate(), 100 * m.colour_only_rate());
      if (pipeline.count(f)) {
        const RestoreEval& ev = pipeline[f];
        std::printf(" %9.1f%% %7.1f%%\n", 100 * ev.size_right_rate(), 100.0 * double(ev.refused) / double(std::max<int64_t>(ev.samples, 1)));
      } else {
        std::printf(" %10s %8s\n", "-", "-");
      }
    }
    std::printf("(alpha err, colour err: pixels wrong by their alpha class, or only by a colour; colour-only: sprites\n"
                " whose alpha is exact but a colour is off; size right, refused: the users' families, through the\n"
                " whole pipeline: outputs of the true size, and images with no credible grid found)\n");
  }
  if (a.has("details")) {
    std::string tsv = "family\tindex\tpixel_accuracy\talpha_iou\talpha_errors\tcolour_errors\tperfect\tsize_right\trefused"
                      "\tbackground\twidth\theight\ttruth_width\ttruth_height\tseconds\tfound\twhat\n";
    for (const auto& f : families) {
      if (!pipeline.count(f)) continue;
      const auto& recs = pipeline[f].records;
      for (size_t i = 0; i < recs.size(); ++i) {
        const auto& r = recs[i];
        char row[256];
        std::snprintf(row, sizeof row, "%s\t%zu\t%.5f\t%.5f\t%lld\t%lld\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.4f\t", f.c_str(), i,
                      r.metrics.pixel_accuracy(), r.metrics.alpha_iou(), (long long)r.metrics.alpha_errors,
                      (long long)r.metrics.colour_errors, int(r.metrics.perfect_sprites > 0), int(r.size_right), int(r.refused),
                      r.background, r.width, r.height, r.truth_width, r.truth_height, r.seconds);
        tsv += row + r.found + "\t" + r.what + "\n";
      }
    }
    write_file_whole(a.get("details", ""), tsv, a.has("overwrite") ? Existing::Replace : Existing::Keep);
    std::fprintf(stderr, "wrote %s: one line per image of the users' families\n", a.get("details", "").c_str());
  }
  if (a.has("sheet")) {
    std::vector<Sprite> tiles;
    for (const auto& w : worst) {
      tiles.push_back(w.input);
      tiles.push_back(w.output);
      tiles.push_back(w.target);
    }
    write_png(a.get("sheet", ""), make_contact_sheet(tiles, 9, 128), a.has("overwrite") ? Existing::Replace : Existing::Keep);
    std::fprintf(stderr, "wrote %s: the %zu worst sprites of '%s' (input, restored, original)\n", a.get("sheet", "").c_str(),
                 worst.size(), families.back().c_str());
  }
  return kExitOk;
}

}  // namespace pixelart::cli
