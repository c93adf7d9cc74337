// src/cli/eval_upscale_cmd.cpp — `pixelart eval-upscale`: the upscaler on held-out images at
// several factors against bicubic and Lanczos: PSNR and SSIM of the colour (premultiplied, i.e.
// composited on black), PSNR of alpha, throughput, and a sheet of crops at each factor.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/image_io.h"
#include "pixelart/metrics.h"
#include "pixelart/model_file.h"
#include "pixelart/safetensors.h"

namespace pixelart::cli {
namespace {

struct Score {
  std::vector<double> psnr;  // per image, in the order of the images
  double ssim_sum = 0, alpha_sum = 0, opaque_sum = 0;
  int n = 0;
  double mean_psnr() const { return std::accumulate(psnr.begin(), psnr.end(), 0.0) / n; }
};
void score(Score& s, const Sprite& out, const Sprite& ref) {
  const ImageScore i = score_image(out, ref);
  s.psnr.push_back(i.psnr);
  s.ssim_sum += i.ssim;
  s.alpha_sum += i.alpha_psnr;
  s.opaque_sum += i.opaque_y_psnr;
  ++s.n;
}
Sprite crop(const Sprite& s, int x0, int y0, int w, int h) {
  Sprite c;
  c.width = w, c.height = h, c.name = s.name;
  c.rgba.resize(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y) std::copy(s.px(x0, y0 + y), s.px(x0, y0 + y) + size_t(w) * 4, c.px(0, y));
  return c;
}

constexpr const char* kUsage = R"(usage: pixelart eval-upscale --data HOLDOUT.txt|IMAGES|DIRS [--model M] [--factors 2,3,4] [--crop 240]
       [--shrink area|linear|cubic|lanczos] [--jpeg Q] [--ensemble] [--per-image] [--no-back-projection]
       [--sheet PNG] [--json] [--device D] [--overwrite]
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
                         linear, cubic or lanczos (cv::resize's, not antialiased)
  --jpeg Q               and then JPEG-compressed at quality Q (1-100; default: not)
  --ensemble             also the self-ensemble's row (the mean over 8 flips and transposes)
  --per-image            each image's PSNR by method, worst gain first
  --no-back-projection   the upscaler without back-projection, as `upscale --no-back-projection`
  --sheet PNG            crops of the first image at each factor: bicubic, upscaler, original
  --json                 the figures as JSON on stdout instead of the table
  --device D             auto (default), cpu or cuda
  --overwrite            replace an existing --sheet (default: refused before any work))";
}  // namespace

int run_eval_upscale(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"model", "data", "factors", "crop", "device", "sheet", "shrink", "jpeg"},
         {"json", "ensemble", "per-image", "no-back-projection", "overwrite"});
  a.no_positional("eval-upscale");
  if (!a.has("data")) throw Error(kUsage, ErrorKind::Usage);
  if (a.has("sheet")) {
    std::vector<std::string> inputs = split_commas(a.get("data", ""));
    inputs.push_back(a.get("model", ""));
    refuse_replacing({a.get("sheet", "")}, inputs, a.has("overwrite"));
  }
  const Device dev = parse_device(a.get("device", "auto"));
  std::vector<int> factors;
  {
    std::stringstream ss(a.get("factors", "2,3,4"));
    for (std::string f; std::getline(ss, f, ',');) {
      int v = 0;
      try {
        v = std::stoi(f);
      } catch (...) {
      }
      if (v < 2 || v > 8) throw Error("--factors takes whole factors in 2..8, got '" + f + "'", ErrorKind::Usage);
      factors.push_back(v);
    }
  }
  // --model for every factor, or per factor the shipped model trained for it (or the nearest)
  std::map<int, std::string> model_path;
  std::map<std::string, Upscaler> models;
  std::map<std::string, double> trained_for;
  for (int f : factors) {
    double trained = 0;
    model_path[f] = a.has("model") ? a.get("model", "") : shipped_upscaler(f, &trained);
    if (!models.count(model_path[f])) models.emplace(model_path[f], load_upscaler(model_path[f], dev, &trained_for[model_path[f]]));
  }
  auto model_for = [&](int f) -> const Upscaler& { return models.at(model_path.at(f)); };
  const int crop_size = int(a.get_int("crop", 240, 24, 4096)) / 12 * 12;  // divisible by 2, 3 and 4
  const std::string shrink_name = a.get("shrink", "area");
  const std::map<std::string, Filter> shrinks{{"area", Filter::Area}, {"linear", Filter::Linear}, {"cubic", Filter::Cubic},
                                              {"lanczos", Filter::Lanczos}};
  if (!shrinks.count(shrink_name)) throw Error("--shrink is area, linear, cubic or lanczos, not '" + shrink_name + "'", ErrorKind::Usage);
  const Filter shrink = shrinks.at(shrink_name);
  const int jpeg = a.has("jpeg") ? int(a.get_int("jpeg", 90, 1, 100)) : 0;
  std::vector<std::string> paths;
  const std::string data = a.get("data", "");
  std::vector<std::string> errors;
  if (data.size() > 4 && data.substr(data.size() - 4) == ".txt") {
    std::ifstream f(data);
    for (std::string l; std::getline(f, l);)
      if (!l.empty()) paths.push_back(l);
  } else {
    std::vector<std::string> parts;
    std::stringstream ss(data);
    for (std::string p; std::getline(ss, p, ',');) parts.push_back(p);
    paths = expand_inputs(parts, &errors);
  }
  std::vector<Sprite> refs;
  std::vector<std::string> ref_paths;
  for (const auto& p : paths) {
    try {
      const Sprite img = read_image(p);
      const int c = std::min({crop_size, img.width / 12 * 12, img.height / 12 * 12});
      if (c >= 24) refs.push_back(crop(img, (img.width - c) / 2, (img.height - c) / 2, c, c)), ref_paths.push_back(p);
    } catch (const Error& e) {
      errors.push_back(e.what());
    }
  }
  for (const auto& e : errors) std::fprintf(stderr, "pixelart eval-upscale: skipping: %s\n", e.c_str());
  if (refs.empty()) throw Error("eval-upscale: no usable images in " + data, ErrorKind::BadInput);

  std::map<int, std::map<std::string, Score>> scores;
  double model_seconds = 0, megapixels = 0;
  std::vector<Sprite> sheet;
  Progress progress("eval-upscale");
  for (size_t fi = 0; fi < factors.size(); ++fi) {
    const int f = factors[fi];
    for (size_t i = 0; i < refs.size(); ++i) {
      char detail[64];
      std::snprintf(detail, sizeof detail, "x%d %zu/%zu", f, i + 1, refs.size());
      progress.update(double(fi * refs.size() + i) / double(factors.size() * refs.size()), detail);
      const Sprite& ref = refs[i];
      Sprite small = resize_with(ref, ref.width / f, ref.height / f, shrink);
      if (jpeg) small = jpeg_roundtrip(small, jpeg);
      const Sprite bic = resize_with(small, ref.width, ref.height, Filter::Cubic);
      const Sprite lan = resize_with(small, ref.width, ref.height, Filter::Lanczos);
      const auto t0 = std::chrono::steady_clock::now();
      const UpscaleOptions opt{.back_project = !a.has("no-back-projection")};
      const Sprite cnn = model_for(f).upscale(small, double(f), opt);
      model_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      megapixels += double(cnn.width) * cnn.height / 1e6;
      score(scores[f]["bicubic"], bic, ref);
      score(scores[f]["lanczos"], lan, ref);
      score(scores[f]["upscaler"], cnn, ref);
      if (a.has("ensemble")) score(scores[f]["ensemble"], model_for(f).upscale(small, double(f), {.ensemble = true, .back_project = opt.back_project}), ref);
      if (i == 0 && a.has("sheet")) {  // crops at each factor: bicubic, upscaler (the original last)
        const int c = std::min(ref.width, 96);
        sheet.push_back(crop(bic, 0, 0, c, c));
        sheet.push_back(crop(cnn, 0, 0, c, c));
        if (f == factors.back()) sheet.push_back(crop(ref, 0, 0, c, c));
      }
    }
  }
  progress.update(1.0);
  progress.finish();
  if (a.has("json")) {
    std::printf("{\"images\": %zu, \"crop\": %d, \"shrink\": \"%s\", \"jpeg\": %d, \"back_projection\": %s, \"megapixels_per_s\": %.3f, ",
                refs.size(), crop_size, shrink_name.c_str(), jpeg, a.has("no-back-projection") ? "false" : "true",
                megapixels / model_seconds);
    if (a.has("per-image")) {
      std::printf("\"image_files\": [");
      for (size_t i = 0; i < ref_paths.size(); ++i) std::printf("%s\"%s\"", i ? ", " : "", json_escape(ref_paths[i]).c_str());
      std::printf("], ");
    }
    std::printf("\"factors\": {");
    bool firstf = true;
    for (auto& [f, m] : scores) {
      std::printf("%s\"%d\": {", firstf ? "" : ", ", f);
      bool first = true;
      for (auto& [name, s] : m) {
        std::printf("%s\"%s\": {\"psnr\": %.3f, \"ssim\": %.4f, \"alpha_psnr\": %.3f, \"opaque_y_psnr\": %.3f", first ? "" : ", ",
                    name.c_str(), s.mean_psnr(), s.ssim_sum / s.n, s.alpha_sum / s.n, s.opaque_sum / s.n), first = false;
        if (name == "upscaler" || name == "ensemble") std::printf(", \"model\": \"%s\"", json_escape(model_path[f]).c_str());
        if (a.has("per-image")) {
          std::printf(", \"per_image_psnr\": [");
          for (size_t i = 0; i < s.psnr.size(); ++i) std::printf("%s%.3f", i ? ", " : "", s.psnr[i]);
          std::printf("]");
        }
        std::printf("}");
      }
      std::printf("}");
      firstf = false;
    }
    std::printf("}}\n");
  } else {
    std::printf("%zu held-out images (centre crops up to %dx%d), shrunk by f (%s%s); upscaler %s\n", refs.size(), crop_size,
                crop_size, shrink_name.c_str(), jpeg ? (", then JPEG q" + std::to_string(jpeg)).c_str() : "",
                a.has("no-back-projection") ? "without back-projection (--no-back-projection)" : "with back-projection");
    for (int f : factors)
      std::printf("x%d: upscaler %s, trained for x%g (%s)\n", f, model_for(f).config().describe().c_str(),
                  trained_for[model_path[f]], std::filesystem::path(model_path[f]).filename().c_str());
    std::printf("%-7s %-9s %10s %8s %12s %10s\n", "factor", "method", "PSNR dB", "SSIM", "alpha PSNR", "opaque Y");
    for (auto& [f, m] : scores)
      for (const char* name : {"bicubic", "lanczos", "upscaler", "ensemble"}) {
        if (!m.count(name)) continue;
        const Score& s = m[name];
        std::printf("x%-6d %-9s %10.2f %8.4f %12.2f %10.2f\n", f, name, s.mean_psnr(), s.ssim_sum / s.n, s.alpha_sum / s.n,
                    s.opaque_sum / s.n);
      }
    if (a.has("per-image"))
      for (auto& [f, m] : scores) {  // worst gain over bicubic first: where the model needs work
        std::vector<size_t> order(refs.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        auto gain = [&](size_t i) { return m["upscaler"].psnr[i] - m["bicubic"].psnr[i]; };
        std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return gain(x) < gain(y); });
        std::printf("x%d per image (PSNR dB, worst gain first):\n%8s %8s %8s %8s %9s  %s\n", f, "bicubic", "lanczos",
                    "upscaler", "gain", "crop", "image");
        for (size_t i : order)
          std::printf("%8.2f %8.2f %8.2f %+8.2f %4dx%-4d  %s\n", m["bicubic"].psnr[i], m["lanczos"].psnr[i],
                      m["upscaler"].psnr[i], gain(i), refs[i].width, refs[i].height, ref_paths[i].c_str());
        // the median: a mean of per-image PSNR is moved far by a flat crop (99 dB when exact)
        const size_t n = order.size();
        std::printf("x%d median gain over bicubic %+.2f dB (%zu images)\n", f,
                    n % 2 ? gain(order[n / 2]) : (gain(order[n / 2 - 1]) + gain(order[n / 2])) / 2, n);
      }
    std::printf("throughput: %.3f megapixels/s of output on %s\n", megapixels / model_seconds, to_string(dev));
  }
  if (a.has("sheet") && !sheet.empty()) {
    write_png(a.get("sheet", ""), make_contact_sheet(sheet, int(sheet.size()), 192), a.has("overwrite") ? Existing::Replace : Existing::Keep);
    std::fprintf(stderr, "wrote %s: bicubic and upscaler crops at x%s, then the original\n", a.get("sheet", "").c_str(),
                 a.get("factors", "2,3,4").c_str());
  }
  return kExitOk;
}

}  // namespace pixelart::cli
