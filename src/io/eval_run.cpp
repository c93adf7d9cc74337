// src/io/eval_run.cpp — the evaluations `eval` and `eval-upscale` run, and their reports
// (pixelart/eval_run.h).
#include "pixelart/eval_run.h"

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <numeric>

#include "pixelart/error.h"
#include "pixelart/eval_render.h"
#include "pixelart/safetensors.h"

namespace pixelart {
namespace {

void appendf(std::string& s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& s, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < int(sizeof buf)) {
    s += buf;
    return;
  }
  std::string big(size_t(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  s.append(big.data(), size_t(n));
}

const std::map<std::string, UserFamily>& user_families() {
  static const std::map<std::string, UserFamily> m{
      {"user-clean", UserFamily::Clean}, {"user-jpeg", UserFamily::Jpeg}, {"user-web", UserFamily::Web}};
  return m;
}

double per_sample(double x, int64_t samples) { return x / double(std::max<int64_t>(samples, 1)); }

Sprite crop(const Sprite& s, int x0, int y0, int w, int h) {
  Sprite c;
  c.width = w, c.height = h, c.name = s.name;
  c.rgba.resize(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y) std::copy(s.px(x0, y0 + y), s.px(x0, y0 + y) + size_t(w) * 4, c.px(0, y));
  return c;
}

}  // namespace

const std::vector<std::string>& eval_family_names() {
  static const std::vector<std::string> v{"clean", "original", "hard", "outside", "user-clean", "user-jpeg", "user-web"};
  return v;
}
bool is_user_family(const std::string& family) { return user_families().count(family) > 0; }

std::vector<FamilyEval> evaluate_families(const Restorer& model, const SpriteSet& held, const std::vector<std::string>& families,
                                          const FamilyEvalOptions& o, Device dev,
                                          const std::function<void(double, const std::string&)>& progress) {
  const auto& known = eval_family_names();
  for (const auto& fam : families)
    if (std::find(known.begin(), known.end(), fam) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error("eval: unknown family '" + fam + "' (" + list + ")", ErrorKind::Usage);
    }
  std::vector<FamilyEval> out;
  for (size_t fi = 0; fi < families.size(); ++fi) {
    const std::string& fam = families[fi];
    const int keep = fi + 1 == families.size() ? o.keep_worst : 0;
    auto on_batch = [&](int64_t done, int64_t total) {
      if (progress) progress((double(fi) + double(done) / double(total)) / double(families.size()), fam);
    };
    FamilyEval f{fam, is_user_family(fam), {}};
    if (f.pipeline) {  // the whole pipeline, from an image as a user has it
      const UserFamily uf = user_families().at(fam);
      f.eval = evaluate_restore(
          model, o.n, [&](uint64_t i) { return render_user_sample(held, uf, o.seed, i); }, o.restore, dev, o.batch, keep, on_batch);
    } else {
      f.eval = evaluate_network(model, held, fam, o.n, o.seed, o.batch, o.restore.refine, dev, keep, on_batch);
    }
    out.push_back(std::move(f));
  }
  if (progress) progress(1.0, "");
  return out;
}

std::string families_json(const std::vector<FamilyEval>& r, const std::string& model, const std::string& data, int n, uint64_t seed) {
  std::string s;
  appendf(s, "{\"model\": \"%s\", \"data\": \"%s\", \"samples_per_family\": %d, \"seed\": %llu, \"families\": {",
          json_escape(model).c_str(), json_escape(data).c_str(), n, (unsigned long long)seed);
  for (size_t i = 0; i < r.size(); ++i) {
    const SpriteMetrics& m = r[i].eval.metrics;
    appendf(s,
            "%s\"%s\": {\"pixel_accuracy\": %.5f, \"perfect_sprites\": %.5f, \"alpha_iou\": %.5f, \"rgb_error\": %.3f, "
            "\"palette_ratio\": %.3f, \"alpha_error_pixels\": %.5f, \"colour_error_pixels\": %.5f, \"colour_only_sprites\": %.5f",
            i ? ", " : "", r[i].family.c_str(), m.pixel_accuracy(), m.perfect_rate(), m.alpha_iou(), m.rgb_error(),
            m.palette_ratio(), m.alpha_error_rate(), m.colour_error_rate(), m.colour_only_rate());
    const RestoreEval& ev = r[i].eval;
    if (r[i].pipeline)
      appendf(s, ", \"size_right\": %.5f, \"refused\": %.5f, \"seconds_per_image\": %.4f", ev.size_right_rate(),
              per_sample(double(ev.refused), ev.samples), per_sample(ev.seconds, ev.samples));
    s += "}";
  }
  return s + "}}\n";
}

std::string families_table(const std::vector<FamilyEval>& r) {
  std::string s;
  appendf(s, "%-10s %10s %9s %10s %8s %8s %10s %10s %12s %10s %8s\n", "family", "pixel acc.", "perfect", "alpha IoU", "RGB err",
          "palette", "alpha err", "colour err", "colour-only", "size right", "refused");
  for (const FamilyEval& f : r) {
    const SpriteMetrics& m = f.eval.metrics;
    appendf(s, "%-10s %10.4f %8.1f%% %10.4f %8.2f %8.2f %9.2f%% %9.2f%% %11.1f%%", f.family.c_str(), m.pixel_accuracy(),
            100 * m.perfect_rate(), m.alpha_iou(), m.rgb_error(), m.palette_ratio(), 100 * m.alpha_error_rate(),
            100 * m.colour_error_rate(), 100 * m.colour_only_rate());
    if (f.pipeline)
      appendf(s, " %9.1f%% %7.1f%%\n", 100 * f.eval.size_right_rate(), 100.0 * per_sample(double(f.eval.refused), f.eval.samples));
    else
      appendf(s, " %10s %8s\n", "-", "-");
  }
  return s +
         "(alpha err, colour err: pixels wrong by their alpha class, or only by a colour; colour-only: sprites\n"
         " whose alpha is exact but a colour is off; size right, refused: the users' families, through the\n"
         " whole pipeline: outputs of the true size, and images with no credible grid found)\n";
}

std::string families_details_tsv(const std::vector<FamilyEval>& r) {
  std::string tsv =
      "family\tindex\tpixel_accuracy\talpha_iou\talpha_errors\tcolour_errors\tperfect\tsize_right\trefused"
      "\tbackground\twidth\theight\ttruth_width\ttruth_height\tseconds\tfound\twhat\n";
  for (const FamilyEval& f : r) {
    if (!f.pipeline) continue;
    for (size_t i = 0; i < f.eval.records.size(); ++i) {
      const auto& x = f.eval.records[i];
      appendf(tsv, "%s\t%zu\t%.5f\t%.5f\t%lld\t%lld\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.4f\t", f.family.c_str(), i,
              x.metrics.pixel_accuracy(), x.metrics.alpha_iou(), (long long)x.metrics.alpha_errors, (long long)x.metrics.colour_errors,
              int(x.metrics.perfect_sprites > 0), int(x.size_right), int(x.refused), x.background, x.width, x.height, x.truth_width,
              x.truth_height, x.seconds);
      tsv += x.found + "\t" + x.what + "\n";
    }
  }
  return tsv;
}

// ---- the upscaler ----

const char* to_string(UpscaleMethod m) {
  switch (m) {
    case UpscaleMethod::Bicubic: return "bicubic";
    case UpscaleMethod::Lanczos: return "lanczos";
    case UpscaleMethod::Upscaler: return "upscaler";
    case UpscaleMethod::Ensemble: return "ensemble";
    case UpscaleMethod::Waifu2x: return "waifu2x";
    case UpscaleMethod::Waifu2xBicubicAlpha: return "waifu2x-bic";
  }
  return "?";
}

void UpscaleScores::add(const ImageScore& s) {
  psnr.push_back(s.psnr);
  ssim_sum += s.ssim, alpha_sum += s.alpha_psnr, opaque_sum += s.opaque_y_psnr;
  ++n;
}
double UpscaleScores::mean_psnr() const { return n ? std::accumulate(psnr.begin(), psnr.end(), 0.0) / n : 0; }

Shrink parse_shrink(const std::string& name) {
  const std::map<std::string, Shrink> m{{"area", Shrink::Area},       {"linear", Shrink::Linear},
                                        {"cubic", Shrink::Cubic},     {"lanczos", Shrink::Lanczos},
                                        {"bicubic-aa", Shrink::CubicAntialiased}};
  const auto it = m.find(name);
  if (it == m.end()) throw Error("--shrink is area, linear, cubic, lanczos or bicubic-aa, not '" + name + "'", ErrorKind::Usage);
  return it->second;
}

Sprite shrink_image(const Sprite& img, int width, int height, Shrink s) {
  switch (s) {
    case Shrink::Area: return resize_with(img, width, height, Filter::Area);
    case Shrink::Linear: return resize_with(img, width, height, Filter::Linear);
    case Shrink::Cubic: return resize_with(img, width, height, Filter::Cubic);
    case Shrink::Lanczos: return resize_with(img, width, height, Filter::Lanczos);
    case Shrink::CubicAntialiased: return resize_cubic_antialiased(img, width, height);
  }
  return img;
}

std::vector<Sprite> load_centre_crops(const std::vector<std::string>& paths, int crop_size, std::vector<std::string>* kept,
                                      std::vector<std::string>* errors) {
  std::vector<Sprite> refs;
  for (const auto& p : paths) {
    try {
      const Sprite img = read_image(p);
      const int c = std::min({crop_size, img.width / 12 * 12, img.height / 12 * 12});
      if (c >= 24) refs.push_back(crop(img, (img.width - c) / 2, (img.height - c) / 2, c, c)), kept->push_back(p);
    } catch (const Error& e) {
      errors->push_back(e.what());
    }
  }
  return refs;
}

UpscaleEval evaluate_upscaling(const std::vector<Sprite>& refs, const std::function<const Upscaler&(int)>& model_for,
                               const UpscaleEvalOptions& o, const std::function<void(double, const std::string&)>& progress) {
  UpscaleEval r;
  for (size_t fi = 0; fi < o.factors.size(); ++fi) {
    const int f = o.factors[fi];
    auto& s = r.scores[f];
    std::vector<Sprite> smalls;
    for (const Sprite& ref : refs) {
      Sprite small = shrink_image(ref, ref.width / f, ref.height / f, o.shrink);
      smalls.push_back(o.jpeg ? jpeg_roundtrip(small, o.jpeg) : std::move(small));
    }
    std::optional<PeerOutputs> peer;
    if (o.peer) peer = o.peer(smalls, f);
    for (size_t i = 0; i < refs.size(); ++i) {
      if (progress) {
        char detail[64];
        std::snprintf(detail, sizeof detail, "x%d %zu/%zu", f, i + 1, refs.size());
        progress(double(fi * refs.size() + i) / double(o.factors.size() * refs.size()), detail);
      }
      const Sprite& ref = refs[i];
      const Sprite& small = smalls[i];
      const Sprite bic = resize_with(small, ref.width, ref.height, Filter::Cubic);
      const auto t0 = std::chrono::steady_clock::now();
      const Sprite clean = o.denoiser ? o.denoiser->upscale(small, 1.0) : Sprite{};
      const Sprite& in = o.denoiser ? clean : small;
      const Sprite cnn = model_for(f).upscale(in, double(f), {.back_project = o.back_project});
      r.model_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      r.megapixels += double(cnn.width) * cnn.height / 1e6;
      s[UpscaleMethod::Bicubic].add(score_image(bic, ref));
      s[UpscaleMethod::Lanczos].add(score_image(resize_with(small, ref.width, ref.height, Filter::Lanczos), ref));
      s[UpscaleMethod::Upscaler].add(score_image(cnn, ref));
      if (o.ensemble)
        s[UpscaleMethod::Ensemble].add(
            score_image(model_for(f).upscale(in, double(f), {.ensemble = true, .back_project = o.back_project}), ref));
      if (peer) {
        s[UpscaleMethod::Waifu2x].add(score_image(peer->reference_alpha[i], ref));
        s[UpscaleMethod::Waifu2xBicubicAlpha].add(score_image(peer->bicubic_alpha[i], ref));
      }
      if (i == 0 && o.sheet) {  // crops at each factor: bicubic, upscaler (the original last)
        const int c = std::min(ref.width, 96);
        r.sheet.push_back(crop(bic, 0, 0, c, c));
        r.sheet.push_back(crop(cnn, 0, 0, c, c));
        if (f == o.factors.back()) r.sheet.push_back(crop(ref, 0, 0, c, c));
      }
    }
  }
  if (progress) progress(1.0, "");
  return r;
}

std::string upscale_eval_json(const UpscaleEval& r, const UpscaleEvalOptions& o, const std::string& shrink, int crop_size, size_t images,
                              const std::function<std::string(int)>& model_path, const std::vector<std::string>* image_files) {
  std::string s;
  appendf(s, "{\"images\": %zu, \"crop\": %d, \"shrink\": \"%s\", \"jpeg\": %d, \"back_projection\": %s, \"megapixels_per_s\": %.3f, ",
          images, crop_size, shrink.c_str(), o.jpeg, o.back_project ? "true" : "false", r.megapixels_per_s());
  if (o.denoiser) s += "\"denoiser\": \"" + json_escape(o.denoiser_file) + "\", ";
  if (image_files) {
    s += "\"image_files\": [";
    for (size_t i = 0; i < image_files->size(); ++i) s += (i ? ", \"" : "\"") + json_escape((*image_files)[i]) + "\"";
    s += "], ";
  }
  s += "\"factors\": {";
  bool first_factor = true;
  for (const auto& [f, m] : r.scores) {
    appendf(s, "%s\"%d\": {", first_factor ? "" : ", ", f);
    first_factor = false;
    // by name, as the report has always been ordered
    std::map<std::string, const UpscaleScores*> by_name;
    for (const auto& [method, sc] : m) by_name[to_string(method)] = &sc;
    bool first = true;
    for (const auto& [name, sc] : by_name) {
      appendf(s, "%s\"%s\": {\"psnr\": %.3f, \"ssim\": %.4f, \"alpha_psnr\": %.3f, \"opaque_y_psnr\": %.3f", first ? "" : ", ",
              name.c_str(), sc->mean_psnr(), sc->ssim(), sc->alpha_psnr(), sc->opaque_y_psnr());
      first = false;
      if (name == "upscaler" || name == "ensemble") s += ", \"model\": \"" + json_escape(model_path(f)) + "\"";
      if (image_files) {
        s += ", \"per_image_psnr\": [";
        for (size_t i = 0; i < sc->psnr.size(); ++i) appendf(s, "%s%.3f", i ? ", " : "", sc->psnr[i]);
        s += "]";
      }
      s += "}";
    }
    s += "}";
  }
  return s + "}}\n";
}

std::string upscale_eval_table(const UpscaleEval& r, const std::vector<Sprite>& refs, const std::vector<std::string>* image_files) {
  std::string s;
  appendf(s, "%-7s %-11s %10s %8s %12s %10s\n", "factor", "method", "PSNR dB", "SSIM", "alpha PSNR", "opaque Y");
  for (const auto& [f, m] : r.scores)
    for (const auto& [method, sc] : m)
      appendf(s, "x%-6d %-11s %10.2f %8.4f %12.2f %10.2f\n", f, to_string(method), sc.mean_psnr(), sc.ssim(), sc.alpha_psnr(),
              sc.opaque_y_psnr());
  if (!image_files) return s;
  for (const auto& [f, m] : r.scores) {  // worst gain over bicubic first: where the model needs work
    const UpscaleScores &bic = m.at(UpscaleMethod::Bicubic), &lan = m.at(UpscaleMethod::Lanczos), &up = m.at(UpscaleMethod::Upscaler);
    std::vector<size_t> order(refs.size());
    std::iota(order.begin(), order.end(), size_t(0));
    auto gain = [&](size_t i) { return up.psnr[i] - bic.psnr[i]; };
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return gain(x) < gain(y); });
    appendf(s, "x%d per image (PSNR dB, worst gain first):\n%8s %8s %8s %8s %9s  %s\n", f, "bicubic", "lanczos", "upscaler", "gain",
            "crop", "image");
    for (size_t i : order)
      appendf(s, "%8.2f %8.2f %8.2f %+8.2f %4dx%-4d  %s\n", bic.psnr[i], lan.psnr[i], up.psnr[i], gain(i), refs[i].width,
              refs[i].height, (*image_files)[i].c_str());
    // the median: a mean of per-image PSNR is moved far by a flat crop (99 dB when exact)
    const size_t n = order.size();
    appendf(s, "x%d median gain over bicubic %+.2f dB (%zu images)\n", f,
            n % 2 ? gain(order[n / 2]) : (gain(order[n / 2 - 1]) + gain(order[n / 2])) / 2, n);
  }
  return s;
}

}  // namespace pixelart
