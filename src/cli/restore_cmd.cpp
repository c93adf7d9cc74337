// src/cli/restore_cmd.cpp — `pixelart restore`: damaged images in, pixel-perfect RGBA sprites out
// (the pipeline: restore_batch.h).
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/model_file.h"
#include "pixelart/postprocess.h"
#include "pixelart/restore_batch.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

namespace {

// "--size auto|N|WxH" and "--scale S|SxT" as lattice hints.
LatticeHints parse_hints(const Args& a) {
  LatticeHints h;
  if (a.has("size") && a.get("size", "") != "auto") {
    const std::string s = a.get("size", "");
    const size_t x = s.find('x');
    int n = 0, fw = 0, fh = 0;
    try {
      size_t used = 0;
      if (x == std::string::npos) n = std::stoi(s, &used), used = used == s.size() ? used : 0;
      else fw = std::stoi(s.substr(0, x)), fh = std::stoi(s.substr(x + 1)), used = 1;
      if (!used) n = -1;
    } catch (...) {
      n = -1;
    }
    if (n < 0 || n > kMaxCells || fw < 0 || fh < 0 || fw > kMaxCells || fh > kMaxCells || (x == std::string::npos && n == 0) ||
        (x != std::string::npos && (fw == 0 || fh == 0)))
      throw Error("--size must be auto, N or WxH sprite pixels (at most " + std::to_string(kMaxCells) +
                      ": the largest grid restore takes), got '" + s + "'",
                  ErrorKind::Usage);
    h.cells_long = n, h.cells_x = fw, h.cells_y = fh;
  }
  if (a.has("scale")) {
    if (a.has("size") && a.get("size", "") != "auto") throw Error("give --size or --scale, not both", ErrorKind::Usage);
    const std::string s = a.get("scale", "");
    const size_t x = s.find('x');
    const std::optional<double> sx = parse_number(s.substr(0, x));
    const std::optional<double> sy = x == std::string::npos ? sx : parse_number(s.substr(x + 1));
    if (!(sx && sy && *sx >= 1 && *sx <= 512 && *sy >= 1 && *sy <= 512))
      throw Error("--scale must be S or SxT input pixels per sprite pixel, in [1, 512], got '" + s + "'", ErrorKind::Usage);
    h.pitch_x = *sx, h.pitch_y = *sy;
  }
  return h;
}

std::string json_line(const RestoreFileResult& r) {
  const Lattice& l = r.job.lattice;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"pitch\": [%.4f, %.4f], \"origin\": [%.3f, %.3f], \"cells\": [%d, %d], \"confidence\": %.4f, "
                "\"background_cleared\": %d, \"seconds\": %.4f",
                l.x.pitch, l.y.pitch, l.x.origin, l.y.origin, l.x.cells, l.y.cells, l.confidence, r.job.background, r.job.seconds);
  std::string s = "{\"input\": \"" + json_escape(r.file.input) + "\", ";
  if (r.error.empty()) s += "\"output\": \"" + json_escape(r.file.output) + "\", \"ok\": true, ";
  else s += "\"ok\": false, \"error\": \"" + json_escape(r.error) + "\", ";
  if (l.x.pitch > 0) s += buf;
  else s += "\"seconds\": " + std::to_string(r.job.seconds);
  return s + "}";
}

}  // namespace

constexpr const char* kUsage = R"(usage: pixelart restore IMAGE|DIR|GLOB... -o OUT [--model M] [--size auto|N|WxH] [--scale S|SxT]
       [--device D] [--palette K|auto] [--no-refine] [--preview N] [--sheet PNG] [--json] [--overwrite] [--batch B]
       [--max-pixels P] [--max-memory GB]
  damaged images (PNG, JPEG, WebP, BMP, TIFF; grey, RGB or RGBA; any size up to --max-pixels) to
  RGBA sprites at their logical resolution: the pixel grid (pitch and phase per axis, hence the
  size) is found from the image; an image with no credible grid is named on stderr and not
  restored
  -o OUT             a folder (OUT/NAME.png per input), or a .png file for a single input
  --model M          a restorer model or training checkpoint (default: the shipped
                     data/models/restorer16.safetensors)
  --size auto|N|WxH  the sprite's size in pixels (at most 512): auto (default) finds it; N gives
                     the longer side N pixels (the other follows the image); WxH is exact
  --scale S|SxT      input pixels per sprite pixel (any number >= 1, per axis with SxT); the grid's
                     phase and the size are still found from the image
  --device D         auto (default: CUDA when a GPU is usable), cpu or cuda
  --palette K|auto   snap each sprite's colours to a palette of at most K colours (auto: its size
                     chosen per sprite)
  --no-refine        the network's output as it is, without the colour refinement
  --preview N        also write NAME_xN.png, the sprite enlarged N times (nearest neighbour)
  --sheet PNG        a before/after contact sheet of the inputs and their sprites
  --json             one JSON line per image on stdout: the grid found (pitch, origin, cells),
                     its confidence, the background made transparent (a flat or checkerboard
                     one found around the art: its 1 or 2 colours; a smooth one: -1; else 0),
                     the output, the seconds it took; the summary goes to stderr
  --overwrite        replace existing outputs (default: skip them); inputs are never overwritten,
                     nor is one output by another (names that would be get _1, _2 ...)
  --batch B          images per forward pass (default 256 on CUDA, 8 on the CPU); about twice
                     as many are in memory at once
  --max-pixels P     an input of more pixels is refused from its header, before decoding
                     (default 100000000: about 1.2 GB to decode and search it)
  --max-memory GB    the memory the network and refinement may use (default: what the machine
                     has available): an image whose grid needs more (about 20 KB a cell) is
                     refused with the figure; a batch that needs more is refined image by image
exit codes: 0 all restored, 4 every input failed, 5 some inputs failed (each named on stderr),
            6 every output failed to be written (nothing was replaced))";

int run_restore(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"output", "model", "size", "scale", "device", "preview", "sheet", "palette", "batch", "max-pixels", "max-memory"},
         {"overwrite", "no-refine", "json"});
  if (a.positional().empty() || !a.has("output")) throw Error(kUsage, ErrorKind::Usage);
  const Device dev = parse_device(a.get("device", "auto"));
  const std::string model_path = a.has("model") ? a.get("model", "") : default_model_path();
  RestoreOptions opt;
  opt.hints = parse_hints(a);
  opt.refine = !a.has("no-refine");
  if (a.has("palette")) opt.palette = a.get("palette", "") == "auto" ? -1 : int(a.get_int("palette", 0, 1, 256));
  Restorer model = load_restorer(model_path, dev);
  const int preview = int(a.get_int("preview", 0, 0, 64));
  const int batch = int(a.get_int("batch", dev == Device::CUDA ? 256 : 8, 1, 4096));
  const bool json = a.has("json");
  const int64_t max_pixels = a.get_int("max-pixels", kDefaultMaxPixels, 1, int64_t(1) << 40);
  // bytes; 0: what the machine has available
  const int64_t max_memory = int64_t(a.get_double("max-memory", 0, 1e-9, 1e6, "a positive number of GB") * 1e9);

  std::vector<std::string> errors;
  const OutputPlan plan = plan_outputs(expand_inputs(a.positional(), &errors), a.get("output", ""), a.has("overwrite"),
                                       preview, a.get("sheet", ""));
  errors.insert(errors.end(), plan.errors.begin(), plan.errors.end());
  std::vector<RestoreFile> files;
  for (const OutputJob& j : plan.jobs) files.push_back({j.input, j.output, j.preview});
  RestoreBatchOptions o;
  o.restore = opt;
  o.batch = batch, o.preview = preview, o.max_pixels = max_pixels, o.max_memory = max_memory, o.existing = plan.existing;
  o.sheet_images = a.has("sheet") ? 64 : 0;

  Progress progress("restore", Progress::stderr_is_terminal() && files.size() > size_t(batch));
  const auto t0 = std::chrono::steady_clock::now();
  RestoreBatchSummary sum = restore_files(
      model, dev, files, o,
      [&](const RestoreFileResult& r) {
        if (json) std::printf("%s\n", json_line(r).c_str()), std::fflush(stdout);
      },
      [&](size_t done, size_t total) { progress.update(double(done) / double(total), std::to_string(done) + "/" + std::to_string(total)); });
  progress.finish();
  errors.insert(errors.end(), sum.errors.begin(), sum.errors.end());
  int output_failures = sum.output_failures;
  if (plan.sheet_kept)
    std::fprintf(stderr, "pixelart restore: %s exists and is kept (--overwrite replaces it)\n", a.get("sheet", "").c_str());
  else if (a.has("sheet") && !sum.sheet.empty()) {
    try {
      write_png(a.get("sheet", ""), make_contact_sheet(sum.sheet, 8, 128), plan.existing);
    } catch (const Error& e) {
      errors.push_back(e.what());
      ++output_failures;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : errors) std::fprintf(stderr, "pixelart restore: error: %s\n", e.c_str());
  std::fprintf(json ? stderr : stdout,
               "restored %d, skipped %d (output exists; --overwrite to redo), failed %zu, in %.2f s (%.1f images/s) "
               "with %s on %s; %s\n",
               sum.restored, plan.skipped, errors.size(), s, sum.restored / std::max(s, 1e-9), fs::path(model_path).filename().c_str(),
               to_string(dev), peak_memory(dev).c_str());
  return batch_exit_code(sum.restored + plan.skipped, errors.size(), output_failures);
}

}  // namespace pixelart::cli
