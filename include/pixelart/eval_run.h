// pixelart/eval_run.h — the evaluations `eval` and `eval-upscale` run, with their reports, so
// that a command only parses its options and prints. In the pixelart_io library (the renders and
// the shrinks use the image backend).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pixelart/evaluate.h"
#include "pixelart/image_io.h"
#include "pixelart/restorer.h"
#include "pixelart/sprites.h"
#include "pixelart/upscaler.h"

namespace pixelart {

// ---- the restorer: `eval`'s damage families ----

// The families `eval` knows, in its default order: the network-level ones (evaluate_network) and
// the users' ones (render_user_sample through the whole pipeline).
const std::vector<std::string>& eval_family_names();
bool is_user_family(const std::string& family);

struct FamilyEvalOptions {
  int n = 256;                 // samples per family
  uint64_t seed = 20261121;
  int batch = 16;
  RestoreOptions restore;      // refine, palette (the network-level families use only `refine`)
  int keep_worst = 16;         // worst cases kept from the last family
};
struct FamilyEval {
  std::string family;
  bool pipeline = false;       // a users' family: size right, refused and the records are meaningful
  RestoreEval eval;
};
// Each family in order (an unknown name is a usage error naming the known ones, before any work).
// `progress(fraction of the whole, family)` as batches finish.
std::vector<FamilyEval> evaluate_families(const Restorer& model, const SpriteSet& held, const std::vector<std::string>& families,
                                          const FamilyEvalOptions& o, Device dev,
                                          const std::function<void(double, const std::string&)>& progress = {});
// `eval --json`: one line, the figures per family.
std::string families_json(const std::vector<FamilyEval>& r, const std::string& model, const std::string& data, int n, uint64_t seed);
// `eval`'s table, with its legend.
std::string families_table(const std::vector<FamilyEval>& r);
// `eval --details`: a TSV line per image of the users' families.
std::string families_details_tsv(const std::vector<FamilyEval>& r);

// ---- the upscaler: `eval-upscale` ----

// Waifu2x: the named peer (tools/waifu2x_peer.py) with alpha as the reference waifu2x makes it
// (colour filled under transparency, alpha through the model); Waifu2xBicubicAlpha: the same
// colour with alpha by bicubic, as waifu2x-ncnn-vulkan makes it.
enum class UpscaleMethod { Bicubic, Lanczos, Upscaler, Ensemble, Waifu2x, Waifu2xBicubicAlpha };
const char* to_string(UpscaleMethod m);  // "bicubic", "lanczos", "upscaler", "ensemble", "waifu2x", "waifu2x-bic"

// A peer that upscales every low-resolution image of a factor at once: its outputs, in order, with
// alpha the reference way and by bicubic; nothing where it cannot run (it says why itself).
struct PeerOutputs {
  std::vector<Sprite> reference_alpha, bicubic_alpha;
};
using UpscalePeer = std::function<std::optional<PeerOutputs>(const std::vector<Sprite>& small, int factor)>;

struct UpscaleScores {
  std::vector<double> psnr;    // per image, in the images' order
  double ssim_sum = 0, alpha_sum = 0, opaque_sum = 0;
  int n = 0;
  void add(const ImageScore& s);
  double mean_psnr() const;
  double ssim() const { return n ? ssim_sum / n : 0; }
  double alpha_psnr() const { return n ? alpha_sum / n : 0; }
  double opaque_y_psnr() const { return n ? opaque_sum / n : 0; }
};
// How eval-upscale makes its low-resolution inputs: cv::resize's area, linear, cubic and Lanczos
// (not antialiased), or the antialiased bicubic of Pillow and MATLAB (resize_cubic_antialiased).
enum class Shrink { Area, Linear, Cubic, Lanczos, CubicAntialiased };
Sprite shrink_image(const Sprite& img, int width, int height, Shrink s);

struct UpscaleEvalOptions {
  std::vector<int> factors{2, 3, 4};
  Shrink shrink = Shrink::Area;  // how the low-resolution input is made
  int jpeg = 0;                  // then JPEG at this quality; 0: not
  bool ensemble = false;         // also the self-ensemble
  bool back_project = true;
  bool sheet = false;            // crops of the first image at each factor
  UpscalePeer peer;              // also the peer's two rows, where it runs
  const Upscaler* denoiser = nullptr;  // the upscaler's input first passes through this model
                                       // trained at factor 1 (upscale --denoiser), timed with it
  std::string denoiser_file;           // its name, for the JSON
};
struct UpscaleEval {
  std::map<int, std::map<UpscaleMethod, UpscaleScores>> scores;  // factor -> method -> scores
  double model_seconds = 0, megapixels = 0;                     // the upscaler's own time and output
  std::vector<Sprite> sheet;     // per factor: bicubic, upscaler; the original last
  double megapixels_per_s() const { return model_seconds > 0 ? megapixels / model_seconds : 0; }
};
// The centre crops eval-upscale scores: of each image, the largest square of at most `crop`
// pixels that is a multiple of 12 (whole at x2, x3 and x4), where at least 24; the paths of those
// kept in *kept; unreadable files in *errors.
std::vector<Sprite> load_centre_crops(const std::vector<std::string>& paths, int crop, std::vector<std::string>* kept,
                                      std::vector<std::string>* errors);
// Each image shrunk by each factor, enlarged back by bicubic, Lanczos and the upscaler
// `model_for(factor)`, scored against it (score_image). `progress(fraction, detail)`.
UpscaleEval evaluate_upscaling(const std::vector<Sprite>& refs, const std::function<const Upscaler&(int)>& model_for,
                               const UpscaleEvalOptions& o, const std::function<void(double, const std::string&)>& progress = {});
// The shrink kernels by name: area, linear, cubic, lanczos, bicubic-aa (a usage error names them).
Shrink parse_shrink(const std::string& name);
// `eval-upscale --json`; `model_path(factor)` names the model of the upscaler's rows; with
// `image_files`, each image's PSNR per method too.
std::string upscale_eval_json(const UpscaleEval& r, const UpscaleEvalOptions& o, const std::string& shrink, int crop, size_t images,
                              const std::function<std::string(int)>& model_path, const std::vector<std::string>* image_files);
// The table; with `image_files`, each image's PSNR by method, worst gain over bicubic first, and the
// median gain.
std::string upscale_eval_table(const UpscaleEval& r, const std::vector<Sprite>& refs, const std::vector<std::string>* image_files);

}  // namespace pixelart
