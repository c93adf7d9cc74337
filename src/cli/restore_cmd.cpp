// src/cli/restore_cmd.cpp — `pixelart restore`: damaged images in, pixel-perfect RGBA sprites out.
// Inputs are decoded and resized on a CPU thread while the previous batch runs on the device.
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include "cli/args.h"
#include "pixelart/autograd.h"
#include "pixelart/image_io.h"
#include "pixelart/postprocess.h"
#include "pixelart/train.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

namespace {

struct Decoded {
  std::string path, out;
  Sprite original;
  Sprite input;  // resized so that a sprite pixel spans `scale` pixels
  int w = 0, h = 0;
  std::string error;
};

// Output sprite size for an input: --size N makes the longer side N sprite pixels (the shorter
// follows the aspect); --size WxH is exact.
std::pair<int, int> sprite_dims(const Sprite& img, int n, int fixed_w, int fixed_h) {
  if (fixed_w > 0) return {fixed_w, fixed_h};
  const int big = std::max(img.width, img.height);
  return {std::max(1, int(std::lround(double(n) * img.width / big))), std::max(1, int(std::lround(double(n) * img.height / big)))};
}

}  // namespace

int run_restore(const std::vector<std::string>& argv) {
  Args a(argv, {"output", "model", "size", "device", "preview", "sheet", "palette", "batch"}, {"overwrite", "no-refine"});
  if (a.positional().empty() || !a.has("output"))
    throw Error("usage: pixelart restore IMAGE|DIR|GLOB... -o OUT [--model M] [--size 16|32|WxH] [--device D]\n"
                "       [--palette K|auto] [--no-refine] [--preview N] [--sheet PNG] [--overwrite] [--batch B]",
                ErrorKind::Usage);
  const Device dev = parse_device(a.get("device", "auto"));
  const std::string model_path = a.has("model") ? a.get("model", "") : default_model_path();
  int canvas = 16;
  std::map<std::string, std::string> meta;
  Restorer model = load_restorer(model_path, dev, &canvas, &meta);
  const int scale = model.config().scale();
  int n = canvas, fw = 0, fh = 0;
  if (a.has("size")) {
    const std::string s = a.get("size", "");
    const size_t x = s.find('x');
    try {
      if (x == std::string::npos) n = std::stoi(s);
      else fw = std::stoi(s.substr(0, x)), fh = std::stoi(s.substr(x + 1));
    } catch (...) {
      n = -1;
    }
    if (n <= 0 || n > 1024 || fw < 0 || fh < 0 || fw > 1024 || fh > 1024 || (x != std::string::npos && (fw == 0 || fh == 0)))
      throw Error("--size must be N or WxH sprite pixels (at most 1024), got '" + s + "'", ErrorKind::Usage);
  }
  int palette = 0;
  if (a.has("palette")) palette = a.get("palette", "") == "auto" ? -1 : int(a.get_int("palette", 0, 1, 256));
  const int preview = int(a.get_int("preview", 0, 0, 64));
  const int batch = int(a.get_int("batch", dev == Device::CUDA ? 256 : 8, 1, 4096));

  std::vector<std::string> errors;
  const OutputPlan plan = plan_outputs(expand_inputs(a.positional(), &errors), a.get("output", ""), a.has("overwrite"));
  errors.insert(errors.end(), plan.errors.begin(), plan.errors.end());
  const int skipped = plan.skipped;
  std::vector<Decoded> jobs;
  for (const auto& [in, out] : plan.jobs) {
    Decoded d;
    d.path = in;
    d.out = out;
    jobs.push_back(d);
  }

  auto decode = [&](size_t begin, size_t end) {
    std::vector<Decoded> v(jobs.begin() + long(begin), jobs.begin() + long(end));
    for (Decoded& d : v) {
      try {
        d.original = read_image(d.path);
        std::tie(d.w, d.h) = sprite_dims(d.original, n, fw, fh);
        d.input = resize_image(d.original, d.w * scale, d.h * scale);
      } catch (const Error& e) {
        d.error = e.what();
      }
    }
    return v;
  };
  int restored = 0;
  std::vector<Sprite> sheet;
  const bool progress = ::isatty(2) && jobs.size() > size_t(batch);  // a progress line on terminals only
  const auto t0 = std::chrono::steady_clock::now();
  std::future<std::vector<Decoded>> next;
  if (!jobs.empty()) next = std::async(std::launch::async, decode, 0, std::min(jobs.size(), size_t(batch)));
  for (size_t b = 0; b < jobs.size(); b += size_t(batch)) {
    std::vector<Decoded> cur = next.get();
    const size_t nb = b + size_t(batch);
    if (nb < jobs.size()) next = std::async(std::launch::async, decode, nb, std::min(jobs.size(), nb + size_t(batch)));
    // Group by sprite size: one forward pass per size present in the batch.
    std::map<std::pair<int, int>, std::vector<Decoded*>> groups;
    for (Decoded& d : cur) {
      if (!d.error.empty()) errors.push_back(d.error);
      else groups[{d.w, d.h}].push_back(&d);
    }
    for (auto& [dims, items] : groups) {
      const auto [w, h] = dims;
      std::vector<double> x(items.size() * size_t(w * scale) * size_t(h * scale) * 4);
      for (size_t i = 0; i < items.size(); ++i)
        for (size_t k = 0; k < items[i]->input.rgba.size(); ++k) x[i * items[i]->input.rgba.size() + k] = items[i]->input.rgba[k] / 255.0;
      Tensor y;
      {
        NoGradGuard ng;
        y = model.forward(Tensor::from_vector(x, {int64_t(items.size()), h * scale, w * scale, 4}, DType::F32, dev));
      }
      auto yv = y.to_vector();
      if (!a.has("no-refine")) refine_colours(yv, x, int64_t(items.size()), h, w, scale);
      for (size_t i = 0; i < items.size(); ++i) {
        Sprite s = output_sprite(yv, int64_t(i), h, w);
        snap_palette(s, palette);
        try {
          write_png(items[i]->out, s);
          if (preview > 0) {
            const std::string p = items[i]->out.substr(0, items[i]->out.size() - 4) + "_x" + std::to_string(preview) + ".png";
            write_png(p, scale_pixel_art(s, preview, false));
          }
          ++restored;
          if (a.has("sheet") && sheet.size() < 128) {
            sheet.push_back(items[i]->original);
            sheet.push_back(s);
          }
        } catch (const Error& e) {
          errors.push_back(e.what());
        }
      }
    }
    if (progress) std::fprintf(stderr, "\rrestored %zu/%zu", std::min(jobs.size(), nb), jobs.size());
  }
  if (progress) std::fprintf(stderr, "\n");
  if (a.has("sheet") && !sheet.empty()) write_png(a.get("sheet", ""), make_contact_sheet(sheet, 8, 128));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : errors) std::fprintf(stderr, "pixelart restore: error: %s\n", e.c_str());
  std::printf("restored %d, skipped %d (output exists; --overwrite to redo), failed %zu, in %.2f s (%.1f images/s) "
              "with %s on %s\n",
              restored, skipped, errors.size(), s, restored / std::max(s, 1e-9), fs::path(model_path).filename().c_str(),
              to_string(dev));
  if (!errors.empty()) return restored + skipped > 0 ? kExitPartial : kExitBadInput;
  return kExitOk;
}

}  // namespace pixelart::cli
