// src/model_file.cpp — the models' files and a checkpoint read as the model it holds
// (include/pixelart/model_file.h).
#include <cmath>
#include <sstream>

#include "pixelart/error.h"
#include "pixelart/model_file.h"
#include "pixelart/train_config.h"
#include "settings_text.h"

namespace pixelart {

using namespace text;

namespace {
// Weights by parameter name (f32) plus metadata with the format tag; one writer and one
// validating reader for every model kind.
void save_arena(const std::string& path, const ParamArena& a, std::map<std::string, std::string> meta, const std::string& format) {
  SafeTensors st;
  for (size_t i = 0; i < a.size(); ++i) st.tensors[a.spec(i).name] = a.param(i).to(Device::CPU).to(DType::F32);
  st.metadata = std::move(meta);
  st.metadata["format"] = format;
  st.metadata["layout"] = "NHWC activations; conv weights [out, kh, kw, in]; proj.weight [out, in]";
  save_safetensors(path, st);
}
std::map<std::string, std::string> restorer_meta(const RestorerConfig& c, int canvas) {
  return {{"widths", join(c.widths)}, {"context", std::to_string(c.context)}, {"in_channels", std::to_string(c.in_channels)},
          {"out_channels", std::to_string(c.out_channels)}, {"canvas", std::to_string(canvas)}};
}
std::map<std::string, std::string> upscaler_meta(const UpscalerConfig& c, double factor) {
  return {{"filters", join(c.filters)}, {"kernels", join(c.kernels)}, {"channels", std::to_string(c.channels)},
          {"unshuffle", std::to_string(c.unshuffle)}, {"factor", num(factor)}};
}
SafeTensors load_checked(const std::string& path, const std::string& format) {
  SafeTensors st = load_model_file(path);
  auto fmt = st.metadata.find("format");
  if (fmt == st.metadata.end() || fmt->second != format)
    throw Error(path + ": not a " + format + " model (its format is '" + (fmt == st.metadata.end() ? std::string("none") : fmt->second) + "')",
                ErrorKind::BadInput);
  return st;
}
ParamArena arena_from(const SafeTensors& st, const std::vector<ParamSpec>& specs, const std::string& path) {
  ParamArena arena(specs, DType::F32, Device::CPU);
  for (size_t i = 0; i < arena.size(); ++i) {
    auto it = st.tensors.find(arena.spec(i).name);
    if (it == st.tensors.end() || it->second.shape() != arena.spec(i).shape)
      throw Error(path + ": parameter " + arena.spec(i).name + " missing or not " + shape_str(arena.spec(i).shape), ErrorKind::BadInput);
    arena.param(i).copy_from(it->second.dtype() == DType::F32 ? it->second : it->second.to(DType::F32));
    const float* w = arena.param(i).data<float>();
    for (int64_t j = 0, n = arena.param(i).numel(); j < n; ++j)
      if (!std::isfinite(w[j]))
        throw Error(path + ": parameter " + arena.spec(i).name + " holds " + (std::isnan(w[j]) ? "NaN" : "an infinity") +
                        " (at " + std::to_string(j) + " of " + std::to_string(n) + "): the model is broken",
                    ErrorKind::BadInput);
  }
  return arena;
}
// A model file's metadata fields, read strictly ("4x" is no number) and checked against what the
// code supports; every error names the file and the field.
constexpr int kMaxDepth = 8;                 // 256 input pixels per sprite pixel
constexpr int64_t kMaxModelInput = 4096;     // eval's canvas x 2^depth, a side
class ModelFields {
 public:
  ModelFields(const SafeTensors& st, const std::string& path) : st_(st), path_(path) {}
  int64_t integer(const std::string& k, int64_t lo, int64_t hi) const {
    const std::string& v = field(k);
    const long long x = whole(k, v, "'" + v + "' is not a whole number");
    if (x < lo || x > hi) bad(k, v + " is outside what the code supports, " + range(double(lo), double(hi)));
    return x;
  }
  double number(const std::string& k, double lo, double hi) const {
    const std::string& v = field(k);
    double x = 0;
    try {
      x = to_double(k, v);
    } catch (const Error&) {
      bad(k, "'" + v + "' is not a number");
    }
    if (x < lo || x > hi) bad(k, v + " is outside what the code supports, " + range(lo, hi));
    return x;
  }
  std::vector<int> ints(const std::string& k, size_t min_n, size_t max_n, int lo, int hi) const {
    const std::string& v = field(k);
    std::vector<int> out;
    std::stringstream ss(v);
    for (std::string w; std::getline(ss, w, ',');) {
      const long long x = whole(k, w, "'" + v + "' is not a list of whole numbers");
      if (x < lo || x > hi) bad(k, "the entry " + w + " is outside what the code supports, " + range(lo, hi));
      out.push_back(int(x));
    }
    if (out.size() < min_n || out.size() > max_n)
      bad(k, std::to_string(out.size()) + " entries; the code supports " + std::to_string(min_n) + " to " + std::to_string(max_n));
    return out;
  }

 private:
  // to_int, with the refusal in this reader's words (the file and the field)
  long long whole(const std::string& k, const std::string& w, const std::string& why) const {
    try {
      return to_int(k, w);
    } catch (const Error&) {
      bad(k, why);
    }
  }
  const std::string& field(const std::string& k) const {
    auto it = st_.metadata.find(k);
    if (it == st_.metadata.end()) bad(k, "missing");
    return it->second;
  }
  [[noreturn]] void bad(const std::string& k, const std::string& why) const {
    throw Error(path_ + ": model metadata '" + k + "': " + why, ErrorKind::BadInput);
  }
  static std::string range(double lo, double hi) {
    std::ostringstream os;
    os << "[" << lo << ", " << hi << "]";
    return os.str();
  }
  const SafeTensors& st_;
  const std::string& path_;
};
}  // namespace

SafeTensors load_model_file(const std::string& path) {
  SafeTensors st = load_safetensors(path);
  const auto fmt = st.metadata.find("format");
  if (fmt == st.metadata.end() || fmt->second != "pixelart-checkpoint-v1") return st;
  const auto config = st.metadata.find("config");
  if (config == st.metadata.end()) throw Error(path + ": a checkpoint without its configuration ('config')", ErrorKind::BadInput);
  TrainConfig cfg;
  try {
    cfg.load_json(config->second, path + " (config)");
  } catch (const Error& e) {
    throw Error(e.what(), ErrorKind::BadInput);
  }
  SafeTensors view;
  for (auto& [name, t] : st.tensors)
    if (name.rfind("param/", 0) == 0) view.tensors[name.substr(6)] = std::move(t);
  view.metadata = cfg.task == Task::Upscale ? upscaler_meta(cfg.upscaler(), cfg.factor) : restorer_meta(cfg.model(), cfg.canvas);
  view.metadata["format"] = cfg.task == Task::Upscale ? "pixelart-upscaler-v1" : "pixelart-restorer-v1";
  view.metadata["train_config"] = config->second;
  view.metadata["steps"] = st.metadata.count("step") ? st.metadata.at("step") : "";
  view.metadata["command"] = "checkpoint " + path + " at step " + view.metadata["steps"];
  if (st.metadata.count("held_out")) view.metadata["held_out"] = st.metadata.at("held_out");
  return view;
}

void save_restorer(const std::string& path, const Restorer& model, int canvas,
                   const std::map<std::string, std::string>& metadata) {
  auto meta = metadata;
  for (auto& [k, v] : restorer_meta(model.config(), canvas)) meta[k] = v;
  save_arena(path, model.params(), meta, "pixelart-restorer-v1");
}

Restorer load_restorer(const std::string& path, Device dev, int* canvas, std::map<std::string, std::string>* metadata) {
  const SafeTensors st = load_checked(path, "pixelart-restorer-v1");
  RestorerConfig cfg;
  const ModelFields f(st, path);
  cfg.widths = f.ints("widths", 1, kMaxDepth, 1, 4096);
  // the restore pipeline reads and writes RGBA: any other channel count has no place in it
  cfg.in_channels = int(f.integer("in_channels", 4, 4));
  cfg.out_channels = int(f.integer("out_channels", 4, 4));
  if (st.metadata.count("context")) cfg.context = int(f.integer("context", 0, 16));
  // the sprite side `eval` renders (its inputs are canvas x 2^depth pixels a side)
  if (canvas) *canvas = int(f.integer("canvas", 1, std::max<int64_t>(1, kMaxModelInput >> cfg.widths.size())));
  ParamArena arena = arena_from(st, cfg.param_specs(), path);
  if (metadata) *metadata = st.metadata;
  return Restorer(cfg, dev == Device::CPU ? arena : arena.to(dev));
}

void save_upscaler(const std::string& path, const Upscaler& model, double factor,
                   const std::map<std::string, std::string>& metadata) {
  auto meta = metadata;
  for (auto& [k, v] : upscaler_meta(model.config(), factor)) meta[k] = v;
  save_arena(path, model.params(), meta, "pixelart-upscaler-v1");
}

Upscaler load_upscaler(const std::string& path, Device dev, double* factor, std::map<std::string, std::string>* metadata) {
  const SafeTensors st = load_checked(path, "pixelart-upscaler-v1");
  UpscalerConfig cfg;
  const ModelFields f(st, path);
  cfg.filters = f.ints("filters", 1, 32, 1, 1024);
  cfg.kernels = f.ints("kernels", 2, 33, 1, 15);
  cfg.channels = int(f.integer("channels", 3, 4));
  if (st.metadata.count("unshuffle")) cfg.unshuffle = int(f.integer("unshuffle", 1, 4));  // files before it: 1
  if (factor) *factor = f.number("factor", 1.0, 8.0);
  try {
    cfg.validate();
  } catch (const Error& e) {
    throw Error(path + ": " + e.what(), ErrorKind::BadInput);
  }
  ParamArena arena = arena_from(st, cfg.param_specs(), path);
  if (metadata) *metadata = st.metadata;
  return Upscaler(cfg, dev == Device::CPU ? arena : arena.to(dev));
}

}  // namespace pixelart
