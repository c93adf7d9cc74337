// src/cli/eval_cmd.cpp — `pixelart eval`: restoration quality on held-out sprites, per damage
// family, including damage from outside the project (OpenCV's resize and JPEG encoder); the
// evaluation and its reports are the library's (pixelart/eval_run.h).
#include <cstdio>
#include <set>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/eval_run.h"
#include "pixelart/files.h"
#include "pixelart/holdout.h"
#include "pixelart/image_io.h"
#include "pixelart/model_file.h"
#include "pixelart/train_run.h"

namespace pixelart::cli {

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
  FamilyEvalOptions o;
  o.n = int(a.get_int("n", 256, 1, 1 << 20));
  o.batch = int(a.get_int("batch", dev == Device::CUDA ? 256 : 16, 1, 4096));
  o.seed = uint64_t(a.get_int("seed", 20261121, 0, 1LL << 62));
  o.restore.refine = !a.has("no-refine");
  if (a.has("palette")) o.restore.palette = a.get("palette", "") == "auto" ? -1 : int(a.get_int("palette", 0, 1, 256));
  std::string all;
  for (const auto& f : eval_family_names()) all += (all.empty() ? "" : ",") + f;
  const std::vector<std::string> families = split_commas(a.get("families", all));
  Progress progress("eval");
  const std::vector<FamilyEval> r =
      evaluate_families(model, held, families, o, dev, [&](double done, const std::string& fam) { progress.update(done, fam); });
  progress.finish();
  if (a.has("json")) {
    std::printf("%s", families_json(r, model_path, a.get("data", ""), o.n, o.seed).c_str());
  } else {
    std::printf("model %s (%s), %lld held-out sprites, %d samples per family\n", model_path.c_str(),
                model.config().describe().c_str(), (long long)held.size(), o.n);
    std::printf("%s", families_table(r).c_str());
  }
  const Existing existing = a.has("overwrite") ? Existing::Replace : Existing::Keep;
  if (a.has("details")) {
    write_file_whole(a.get("details", ""), families_details_tsv(r), existing);
    std::fprintf(stderr, "wrote %s: one line per image of the users' families\n", a.get("details", "").c_str());
  }
  if (a.has("sheet")) {
    std::vector<Sprite> tiles;
    for (const auto& w : r.back().eval.worst) tiles.insert(tiles.end(), {w.input, w.output, w.truth});
    write_png(a.get("sheet", ""), make_contact_sheet(tiles, 9, 128), existing);
    std::fprintf(stderr, "wrote %s: the %zu worst sprites of '%s' (input, restored, original)\n", a.get("sheet", "").c_str(),
                 r.back().eval.worst.size(), families.back().c_str());
  }
  return kExitOk;
}

}  // namespace pixelart::cli
