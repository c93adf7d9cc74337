// src/train.cpp — the trainer, its configuration, model files and checkpoints
// (include/pixelart/train.h).
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "internal.h"
#include "json.h"
#include "pixelart/safetensors.h"
#include "pixelart/train.h"
#include "rng.h"

namespace pixelart {

// ---- configuration -----------------------------------------------------------------------------
namespace {
std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}
std::string num(double v) {
  std::ostringstream os;
  os.precision(10);
  os << v;
  return os.str();
}
double to_double(const std::string& key, const std::string& v) {
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(d))
    throw Error("--" + key + " must be a number, got '" + v + "'", ErrorKind::Usage);
  return d;
}
long long to_int(const std::string& key, const std::string& v) {
  const double d = to_double(key, v);
  if (d != std::floor(d) || std::abs(d) > 9e15) throw Error("--" + key + " must be an integer, got '" + v + "'", ErrorKind::Usage);
  return (long long)d;
}
std::vector<double> to_list(const std::string& key, const std::string& v) {
  std::vector<double> out;
  std::stringstream ss(v);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(to_double(key, item));
  return out;
}
}  // namespace

void TrainConfig::set(const std::string& k, const std::string& v) {
  if (k == "widths") {
    widths.clear();
    for (double d : to_list(k, v)) widths.push_back(int(d));
  } else if (k == "canvas") canvas = int(to_int(k, v));
  else if (k == "batch") batch = int(to_int(k, v));
  else if (k == "steps") steps = to_int(k, v);
  else if (k == "lr") lr = to_double(k, v);
  else if (k == "final-lr") final_lr = to_double(k, v);
  else if (k == "warmup") warmup = to_int(k, v);
  else if (k == "schedule") schedule = v;
  else if (k == "patience") patience = to_int(k, v);
  else if (k == "factor") factor = to_double(k, v);
  else if (k == "precision") precision = v;
  else if (k == "weight-decay") weight_decay = to_double(k, v);
  else if (k == "clip") clip = to_double(k, v);
  else if (k == "loss") {
    const auto w = to_list(k, v);
    if (w.size() != kNumLossTerms) throw Error("--loss takes 4 weights: mse,l1,edge,alpha", ErrorKind::Usage);
    for (int i = 0; i < kNumLossTerms; ++i) loss[i] = w[size_t(i)];
  } else if (k == "damage") damage = v;
  else if (k == "seed") seed = uint64_t(to_int(k, v));
  else if (k == "holdout") holdout = to_double(k, v);
  else if (k == "log-every") log_every = to_int(k, v);
  else if (k == "checkpoint-every") checkpoint_every = to_int(k, v);
  else if (k == "data") data = v;
  else if (k == "out") out = v;
  else if (k == "device") device = v;
  else throw Error("unknown training setting '" + k + "'", ErrorKind::Usage);
}

std::vector<std::pair<std::string, std::string>> TrainConfig::items() const {
  std::string l;
  for (int i = 0; i < kNumLossTerms; ++i) l += (i ? "," : "") + num(loss[i]);
  return {{"widths", join(widths)}, {"canvas", std::to_string(canvas)}, {"batch", std::to_string(batch)},
          {"steps", std::to_string(steps)}, {"lr", num(lr)}, {"final-lr", num(final_lr)},
          {"warmup", std::to_string(warmup)}, {"schedule", schedule}, {"patience", std::to_string(patience)},
          {"factor", num(factor)}, {"precision", precision}, {"weight-decay", num(weight_decay)},
          {"clip", num(clip)}, {"loss", l}, {"damage", damage}, {"seed", std::to_string(seed)},
          {"holdout", num(holdout)}, {"log-every", std::to_string(log_every)},
          {"checkpoint-every", std::to_string(checkpoint_every)}, {"data", data}, {"out", out}, {"device", device}};
}

std::string TrainConfig::to_json() const {
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : items()) {
    s += (first ? "\"" : ", \"") + k + "\": \"" + json::escape(v) + "\"";
    first = false;
  }
  return s + "}";
}

void TrainConfig::load_json_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open the configuration file", ErrorKind::BadInput);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const json::Value root = json::parse(text, path);
  if (root.kind != json::Value::Obj) throw Error(path + ": the configuration must be a JSON object", ErrorKind::BadInput);
  for (const auto& [k, v] : root.o) {
    std::string value;
    if (v.kind == json::Value::Str) value = v.s;
    else if (v.kind == json::Value::Num) value = v.integral ? std::to_string(v.i) : num(v.num);
    else if (v.kind == json::Value::Arr) {
      for (size_t i = 0; i < v.a.size(); ++i) {
        if (v.a[i].kind != json::Value::Num) throw Error(path + ": '" + k + "' must be a list of numbers", ErrorKind::BadInput);
        value += (i ? "," : "") + num(v.a[i].num);
      }
    } else throw Error(path + ": '" + k + "' must be a string, a number or a list of numbers", ErrorKind::BadInput);
    try {
      set(k, value);
    } catch (const Error& e) {
      throw Error(path + ": " + e.what(), ErrorKind::BadInput);
    }
  }
}

RestorerConfig TrainConfig::model() const {
  RestorerConfig m;
  m.widths = widths;
  return m;
}

void TrainConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("training: " + what, ErrorKind::Usage);
  };
  need(!widths.empty() && widths.size() <= 6, "--widths needs 1 to 6 entries");
  for (int w : widths) need(w > 0 && w <= 4096, "--widths entries must be in 1..4096");
  need(canvas == 16 || canvas == 32, "--canvas must be 16 or 32");
  need(batch > 0 && batch <= 65536, "--batch must be positive");
  need(steps > 0, "--steps must be positive");
  need(lr > 0 && final_lr >= 0 && final_lr <= lr, "--lr must be positive and --final-lr within [0, lr]");
  need(warmup >= 0, "--warmup must be >= 0");
  need(schedule == "cosine" || schedule == "constant" || schedule == "plateau", "--schedule must be cosine, constant or plateau");
  need(patience > 0 && factor > 0 && factor < 1, "--patience must be positive and --factor in (0, 1)");
  need(precision == "fp32" || precision == "tf32",
       "--precision must be fp32 or tf32 (bf16 compute is not implemented yet)");
  need(weight_decay >= 0 && clip >= 0, "--weight-decay and --clip must be >= 0");
  need(holdout >= 0 && holdout < 1, "--holdout must be in [0, 1)");
  need(log_every > 0 && checkpoint_every > 0, "--log-every and --checkpoint-every must be positive");
  DamageConfig::preset(damage).validate();
}

void Plateau::update(double loss, int64_t patience, double factor) {
  smoothed = smoothed < 0 ? loss : 0.8 * smoothed + 0.2 * loss;
  if (smoothed < best * 0.999) {
    best = smoothed;
    since_best = 0;
  } else if (++since_best >= patience) {
    scale *= factor;
    since_best = 0;
  }
}

double learning_rate(const TrainConfig& c, int64_t step) {
  if (step < c.warmup) return c.lr * double(step + 1) / double(c.warmup);
  if (c.schedule != "cosine") return c.lr;
  const double t = double(step - c.warmup) / double(std::max<int64_t>(1, c.steps - c.warmup));
  return c.final_lr + 0.5 * (c.lr - c.final_lr) * (1.0 + std::cos(3.14159265358979 * std::min(1.0, t)));
}

void split_holdout(const SpriteSet& all, double fraction, uint64_t seed, SpriteSet* train, SpriteSet* held) {
  train->canvas = held->canvas = all.canvas;
  train->pixels.clear(), train->names.clear(), held->pixels.clear(), held->names.clear();
  const size_t per = size_t(all.canvas) * all.canvas * 4;
  for (int64_t i = 0; i < all.size(); ++i) {
    uint64_t h = seed;  // a hash of the sprite's pixels: the split follows the sprite, not its index
    for (size_t k = 0; k < per; k += 4) {
      uint32_t px;
      std::memcpy(&px, &all.pixels[size_t(i) * per + k], 4);
      h = kernels::mix64(h ^ px);
    }
    SpriteSet* dst = (double(h >> 11) * (1.0 / 9007199254740992.0)) < fraction ? held : train;
    dst->pixels.insert(dst->pixels.end(), all.pixels.begin() + i * per, all.pixels.begin() + (i + 1) * per);
    dst->names.push_back(all.names[size_t(i)]);
  }
}

// ---- the trainer -------------------------------------------------------------------------------
Trainer::Trainer(const TrainConfig& cfg, const SpriteSet& train_set, Device dev)
    : cfg_((cfg.validate(), cfg)),
      dev_(dev),
      model_(cfg.model(), cfg.seed, DType::F32, dev),
      opt_(model_.params(), AdamConfig{cfg.lr, 0.9, 0.999, 1e-8, cfg.weight_decay, cfg.clip}),
      synth_(train_set, cfg.canvas * cfg.model().scale(), DamageConfig::preset(cfg.damage), dev) {
  PA_CHECK(train_set.canvas == cfg.canvas, "training: the sprites are on a " << train_set.canvas
                                               << " px canvas but --canvas is " << cfg.canvas);
  model_.set_tf32(cfg.precision == "tf32");
}

void Trainer::step(StepLog* log) {
  const auto t0 = std::chrono::steady_clock::now();
  Tensor x, t;
  synth_.generate(cfg_.seed, uint64_t(step_) * uint64_t(cfg_.batch), cfg_.batch, &x, &t);
  model_.params().zero_grad();
  LossResult loss;
  {
    Tape tape;
    TapeScope scope(tape);
    loss = composite_loss(model_.forward(x), t, cfg_.loss);
    tape.backward(loss.total);
  }
  double lr = learning_rate(cfg_, step_);
  if (cfg_.schedule == "plateau" && step_ >= cfg_.warmup) lr = std::max(lr * plateau_.scale, cfg_.final_lr);
  opt_.step(lr);
  ++step_;
  if (log) {  // the only host reads of a step, and only when logging
    log->step = step_;
    log->loss = loss.total.item();
    if (cfg_.schedule == "plateau" && step_ > cfg_.warmup) plateau_.update(log->loss, cfg_.patience, cfg_.factor);
    const auto terms = loss.terms.to_vector();
    for (int k = 0; k < kNumLossTerms; ++k) log->terms[k] = terms[size_t(k)];
    log->lr = lr;
    log->grad_norm = opt_.last_grad_norm();
    synchronize(dev_);
    log->images_per_s = cfg_.batch / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
}

void Trainer::save_checkpoint(const std::string& path) const {
  SafeTensors st;
  const ParamArena& a = model_.params();
  for (size_t i = 0; i < a.size(); ++i) st.tensors["param/" + a.spec(i).name] = a.param(i).to(Device::CPU);
  st.tensors["adam/m"] = opt_.m().to(Device::CPU);
  st.tensors["adam/v"] = opt_.v().to(Device::CPU);
  st.metadata["format"] = "pixelart-checkpoint-v1";
  st.metadata["step"] = std::to_string(step_);
  st.metadata["plateau"] = num(plateau_.scale) + " " + num(plateau_.best) + " " + num(plateau_.smoothed) + " " +
                           std::to_string(plateau_.since_best);
  st.metadata["config"] = cfg_.to_json();
  st.metadata["rng"] = "counter-based: sample k of step s is (seed " + std::to_string(cfg_.seed) + ", index s*batch+k)";
  std::string order;
  for (size_t i = 0; i < a.size(); ++i) order += (i ? "," : "") + a.spec(i).name;
  st.metadata["arena_order"] = order;
  save_safetensors(path, st);
}

void Trainer::resume(const std::string& path) {
  const SafeTensors st = load_safetensors(path);
  auto meta = [&](const std::string& k) -> const std::string& {
    auto it = st.metadata.find(k);
    if (it == st.metadata.end()) throw Error(path + ": not a pixelart checkpoint (no '" + k + "')", ErrorKind::BadInput);
    return it->second;
  };
  if (meta("format") != "pixelart-checkpoint-v1") throw Error(path + ": not a pixelart checkpoint", ErrorKind::BadInput);
  TrainConfig saved;
  const json::Value cfg = json::parse(meta("config"), path, "checkpoint configuration");
  for (const auto& [k, v] : cfg.o) saved.set(k, v.s);
  if (saved.widths != cfg_.widths || saved.canvas != cfg_.canvas)
    throw Error(path + ": the checkpoint is a " + saved.model().describe() + " model on a " + std::to_string(saved.canvas) +
                    " px canvas, the configuration asks for " + cfg_.model().describe() + " on " + std::to_string(cfg_.canvas),
                ErrorKind::Usage);
  ParamArena& a = model_.params();
  for (size_t i = 0; i < a.size(); ++i) {
    auto it = st.tensors.find("param/" + a.spec(i).name);
    if (it == st.tensors.end() || it->second.shape() != a.spec(i).shape || it->second.dtype() != DType::F32)
      throw Error(path + ": parameter " + a.spec(i).name + " missing or of the wrong shape", ErrorKind::BadInput);
    a.param(i).copy_from(it->second);
  }
  for (const char* k : {"adam/m", "adam/v"}) {
    auto it = st.tensors.find(k);
    if (it == st.tensors.end() || it->second.shape() != Shape{a.numel()} || it->second.dtype() != DType::F32)
      throw Error(path + ": " + k + " missing or of the wrong size", ErrorKind::BadInput);
    (std::string(k) == "adam/m" ? opt_.m() : opt_.v()).copy_from(it->second);
  }
  step_ = std::stoll(meta("step"));
  opt_.set_steps(step_);
  if (st.metadata.count("plateau")) {
    std::istringstream ps(st.metadata.at("plateau"));
    ps >> plateau_.scale >> plateau_.best >> plateau_.smoothed >> plateau_.since_best;
  }
}

// ---- model files -------------------------------------------------------------------------------
void save_restorer(const std::string& path, const Restorer& model, int canvas,
                   const std::map<std::string, std::string>& metadata) {
  SafeTensors st;
  const ParamArena& a = model.params();
  for (size_t i = 0; i < a.size(); ++i) st.tensors[a.spec(i).name] = a.param(i).to(Device::CPU).to(DType::F32);
  st.metadata = metadata;
  st.metadata["format"] = "pixelart-restorer-v1";
  st.metadata["widths"] = join(model.config().widths);
  st.metadata["in_channels"] = std::to_string(model.config().in_channels);
  st.metadata["out_channels"] = std::to_string(model.config().out_channels);
  st.metadata["canvas"] = std::to_string(canvas);
  st.metadata["layout"] = "NHWC activations; conv weights [out, kh, kw, in]; proj.weight [out, in]";
  save_safetensors(path, st);
}

Restorer load_restorer(const std::string& path, Device dev, int* canvas, std::map<std::string, std::string>* metadata) {
  const SafeTensors st = load_safetensors(path);
  auto fmt = st.metadata.find("format");
  if (fmt == st.metadata.end() || fmt->second != "pixelart-restorer-v1")
    throw Error(path + ": not a pixelart restorer model (format metadata missing)", ErrorKind::BadInput);
  RestorerConfig cfg;
  try {
    cfg.widths.clear();
    std::stringstream ss(st.metadata.at("widths"));
    for (std::string w; std::getline(ss, w, ',');) cfg.widths.push_back(std::stoi(w));
    cfg.in_channels = std::stoi(st.metadata.at("in_channels"));
    cfg.out_channels = std::stoi(st.metadata.at("out_channels"));
    if (canvas) *canvas = std::stoi(st.metadata.at("canvas"));
  } catch (const std::exception&) {
    throw Error(path + ": malformed model metadata (widths, channels, canvas)", ErrorKind::BadInput);
  }
  ParamArena arena(cfg.param_specs(), DType::F32, Device::CPU);
  for (size_t i = 0; i < arena.size(); ++i) {
    auto it = st.tensors.find(arena.spec(i).name);
    if (it == st.tensors.end() || it->second.shape() != arena.spec(i).shape)
      throw Error(path + ": parameter " + arena.spec(i).name + " missing or not " + shape_str(arena.spec(i).shape), ErrorKind::BadInput);
    arena.param(i).copy_from(it->second.dtype() == DType::F32 ? it->second : it->second.to(DType::F32));
  }
  if (metadata) *metadata = st.metadata;
  return Restorer(cfg, dev == Device::CPU ? arena : arena.to(dev));
}

}  // namespace pixelart
