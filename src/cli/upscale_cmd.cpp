// src/cli/upscale_cmd.cpp — `pixelart upscale`: SRCNN-style upscaling of art, RGBA included,
// in tiles whose seams are exact; a pixel-art mode for small sprites. The per-image pipeline is the
// library's (pixelart/upscale_image.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/autograd.h"
#include "pixelart/image_io.h"
#include "pixelart/model_file.h"
#include "pixelart/upscale_image.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

namespace {
constexpr const char* kUsage = R"(usage: pixelart upscale IMAGE|DIR|GLOB... -o OUT [-f 2] [--passes 1] [--model M] [--tile 256]
       [--ensemble] [--no-back-projection] [--denoiser M] [--device D] [--overwrite] [--max-pixels P]
       pixelart upscale SPRITE... -o OUT --pixel-art nearest|restore [-f 2] [--edges smooth|hard]
       [--restorer M] [--size auto|N]
  -o OUT                 a folder (OUT/NAME.png per input), or a .png file for a single input
  -f, --factor F         the scale factor in [1, 8], whole or not (default 2)
  --model M              an upscaler model or training checkpoint (default: the shipped model
                         trained for the factor nearest to F: x2, x3 or x4)
  --passes N             upscale and refine N times (default 1); with -f 1, passes that sharpen
  --tile T               output tile size (default 256); tiles overlap by the receptive field, so
                         the seams are exact
  --ensemble             the mean over the 8 flips and transposes (8x the work, a little better)
  --no-back-projection   at whole factors each F x F block of the output averages to its input
                         pixel; this turns that off
  --denoiser M           first pass the image through M, a JPEG denoiser (an upscaler trained
                         at factor 1 on JPEG'd patches; none is shipped); with -f 1 that is all
                         that is done; back-projection then averages to the denoised pixels
  --device D             auto (default: CUDA when a GPU is usable), cpu or cuda
  --overwrite            replace existing outputs (default: skip them); inputs are never overwritten
  --max-pixels P         an input, or an output, of more pixels is refused before any work on it
                         (default 100000000; the network's CPU work is about 1 s per megapixel
                         of output per pass)
 pixel-art mode, for small sprites (whole -f):
  --pixel-art nearest    take the sprite as it is
  --pixel-art restore    first restore the damaged sprite as `restore` does (--restorer M,
                         default the shipped restorer; --size auto|N: its longer side in sprite
                         pixels, default auto: found from the image)
  --edges smooth|hard    then enlarge keeping hard edges and the palette: smooth (default) refines
                         staircases into diagonals (Scale2x/Scale3x), hard keeps square blocks
exit codes: 0 all written, 4 every input failed, 5 some inputs failed (each named on stderr),
            6 every output failed to be written (nothing was replaced))";
}  // namespace

int run_upscale(const std::vector<std::string>& argv) {
  Args a(argv, kUsage,
         {"output", "model", "factor", "passes", "tile", "device", "pixel-art", "restorer", "size", "edges", "max-pixels", "denoiser"},
         {"overwrite", "ensemble", "no-back-projection"});
  if (a.positional().empty() || !a.has("output")) throw Error(kUsage, ErrorKind::Usage);
  const Device dev = parse_device(a.get("device", "auto"));
  const std::string mode = a.get("pixel-art", "");
  if (!mode.empty() && mode != "nearest" && mode != "restore")
    throw Error("--pixel-art must be nearest or restore, got '" + mode + "'", ErrorKind::Usage);
  const double factor = a.get_double("factor", 2.0, 1.0, 8.0, "a number in [1, 8]");
  if (!mode.empty() && factor != std::floor(factor)) throw Error("--pixel-art needs a whole -f", ErrorKind::Usage);
  const std::string edges = a.get("edges", "smooth");
  if (edges != "smooth" && edges != "hard") throw Error("--edges must be smooth or hard, got '" + edges + "'", ErrorKind::Usage);
  if (a.has("edges") && mode.empty()) throw Error("--edges is for the pixel-art mode (--pixel-art nearest|restore)", ErrorKind::Usage);
  for (const char* f : {"ensemble", "no-back-projection", "denoiser"})
    if (a.has(f) && !mode.empty()) throw Error(std::string("--") + f + " is for the network upscaler, not the pixel-art mode", ErrorKind::Usage);
  UpscaleImageOptions o;
  o.factor = factor;
  o.network = {int(a.get_int("passes", 1, 1, 8)), int(a.get_int("tile", 256, 16, 4096)), a.has("ensemble"), !a.has("no-back-projection")};
  o.pixel_art = mode.empty() ? PixelArtMode::Off : mode == "nearest" ? PixelArtMode::Nearest : PixelArtMode::Restore;
  o.smooth_edges = edges == "smooth";
  o.max_pixels = a.get_int("max-pixels", kDefaultMaxPixels, 1, int64_t(1) << 40);

  std::unique_ptr<Upscaler> model, denoiser;
  std::unique_ptr<Restorer> restorer;
  std::string model_name;
  if (a.has("denoiser")) {
    std::string name;
    denoiser = std::make_unique<Upscaler>(load_denoiser(a.get("denoiser", ""), dev, &name));
    o.denoiser = denoiser.get();
    model_name = name + (factor == 1 ? "" : ", then ");
  }
  if (mode.empty() && o.denoiser && factor == 1) {
    // -f 1 with a denoiser: the denoising is all that is done
    if (a.has("model")) throw Error("-f 1 with --denoiser only denoises; --model would not be used", ErrorKind::Usage);
  } else if (mode.empty()) {
    // without --model: the shipped model trained for the factor nearest to -f
    double trained = 0;
    const std::string path = a.has("model") ? a.get("model", "") : shipped_upscaler(factor, &trained);
    model = std::make_unique<Upscaler>(load_upscaler(path, dev, &trained));
    char t[32];
    std::snprintf(t, sizeof t, "%g", trained);
    model_name += fs::path(path).filename().string() + " (trained for x" + t + ")";
  } else if (mode == "restore") {
    const std::string path = a.has("restorer") ? a.get("restorer", "") : default_model_path();
    restorer = std::make_unique<Restorer>(load_restorer(path, dev));
    model_name = fs::path(path).filename().string();
  }
  // the pixel grid is found from the image unless --size says
  if (a.has("size") && a.get("size", "") != "auto") o.restore.hints.cells_long = int(a.get_int("size", 16, 1, kMaxCells));

  std::vector<std::string> errors;
  const OutputPlan plan = plan_outputs(expand_inputs(a.positional(), &errors), a.get("output", ""), a.has("overwrite"));
  errors.insert(errors.end(), plan.errors.begin(), plan.errors.end());
  int done = 0, output_failures = 0;
  const int skipped = plan.skipped;
  const auto t0 = std::chrono::steady_clock::now();
  Progress progress("upscale");
  const double n = double(plan.jobs.size());
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    const std::string& in = plan.jobs[i].input;
    const std::string& dst = plan.jobs[i].output;
    const std::string detail = std::to_string(i + 1) + "/" + std::to_string(plan.jobs.size()) + " " + fs::path(in).filename().string();
    progress.update(double(i) / n, detail);
    try {
      UpscaleImageOptions each = o;  // within an image too: one large painting is minutes of tiles on a CPU
      each.network.progress = [&](double f) { progress.update((double(i) + f) / n, detail); };
      const Sprite result = upscale_image(read_image(in, o.max_pixels), in, each, model.get(), restorer.get(), dev);
      write_png(dst, result, plan.existing);
      ++done;
    } catch (const Error& e) {  // one bad file never stops the batch
      errors.push_back(e.what());
      output_failures += e.kind() == ErrorKind::Output || e.kind() == ErrorKind::Exists;
    } catch (const std::bad_alloc&) {
      errors.push_back(in + ": out of memory (its size: see --max-pixels)");
    } catch (const std::exception& e) {
      errors.push_back(in + ": " + e.what());
    }
  }
  progress.update(1.0, std::to_string(plan.jobs.size()) + "/" + std::to_string(plan.jobs.size()));
  progress.finish();
  for (const auto& e : errors) std::fprintf(stderr, "pixelart upscale: error: %s\n", e.c_str());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("upscaled %d, skipped %d (output exists; --overwrite to redo), failed %zu, in %.2f s, %s on %s; %s\n", done, skipped,
              errors.size(), s, mode.empty() ? model_name.c_str() : (mode == "nearest" ? (edges == "smooth" ? "pixel-art scaling" : "nearest neighbour") : model_name.c_str()),
              to_string(dev), peak_memory(dev).c_str());
  return batch_exit_code(done + skipped, errors.size(), output_failures);
}

}  // namespace pixelart::cli
