// src/cli/inputs.cpp — where the commands find the shipped models, and the small helpers they
// share (the batch's files are planned by the library: pixelart/batch_files.h).
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cli/args.h"
#include "pixelart/model_file.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

std::vector<std::string> model_folders() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<std::string> out;
  if (!ec) {
    out.push_back((exe.parent_path() / ".." / PIXELART_DATADIR / "pixelart" / "models").string());  // installed
    out.push_back((exe.parent_path() / ".." / "data" / "models").string());  // a build inside the source tree
  }
  out.push_back("data/models");
  out.push_back(std::string(PIXELART_SOURCE_DIR) + "/data/models");  // the tree this build was configured from
  return out;
}

std::string shipped_model(const std::string& file, const char* train_hint) {
  std::string looked;
  for (const std::string& dir : model_folders()) {
    std::error_code ec;
    const fs::path p = fs::path(dir) / file;
    if (fs::is_regular_file(p, ec)) return fs::canonical(p, ec).string();
    looked += (looked.empty() ? "" : ", ") + fs::path(dir).lexically_normal().string();
  }
  throw Error("no --model given and no shipped " + file + " found (looked in " + looked + "): pass --model, "
              "or train one with `" + train_hint + "`", ErrorKind::Usage);
}

std::string default_model_path() { return shipped_model("restorer16.safetensors", "pixelart train restore"); }

std::string shipped_upscaler(double factor, double* trained) {
  // the folder that holds the x2 model holds the others
  const fs::path dir = fs::path(shipped_model("upscaler.safetensors", "pixelart train upscale")).parent_path();
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind("upscaler", 0) == 0 && e.path().extension() == ".safetensors") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::string best;
  double best_gap = 1e9;
  *trained = 0;
  for (const auto& f : files) {
    double t = 0;
    load_upscaler(f, Device::CPU, &t);  // small files; this also validates them
    const double gap = std::fabs(std::log(t / factor));
    if (gap < best_gap - 1e-9 || (std::fabs(gap - best_gap) <= 1e-9 && t > *trained)) best = f, best_gap = gap, *trained = t;
  }
  return best;
}

Upscaler load_denoiser(const std::string& file, Device dev, std::string* name) {
  double trained = 0;
  Upscaler m = load_upscaler(file, dev, &trained);
  if (trained != 1.0) {
    char t[32];
    std::snprintf(t, sizeof t, "%g", trained);
    throw Error(file + ": an upscaler trained for x" + t + ", not a denoiser (trained at --factor 1)", ErrorKind::Usage);
  }
  if (name) *name = fs::path(file).filename().string();
  return m;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t c; (c = s.find(',', start)) != std::string::npos; start = c + 1) out.push_back(s.substr(start, c - start));
  out.push_back(s.substr(start));
  return out;
}

}  // namespace pixelart::cli
