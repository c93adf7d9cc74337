// src/train.cpp — the trainer, its configuration, model files and checkpoints
// (include/pixelart/train.h).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "internal.h"
#include "json.h"
#include "pixelart/safetensors.h"
#include "pixelart/train.h"
#include "pixelart/upscaler.h"
#include "rng.h"

namespace pixelart {

// ---- configuration -----------------------------------------------------------------------------
namespace {
std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
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
  auto int_list = [&](std::vector<int>& dst) {
    dst.clear();
    for (double d : to_list(k, v)) dst.push_back(int(d));
  };
  if (k == "task") task = v;
  else if (k == "widths") int_list(widths);
  else if (k == "context") context = int(to_int(k, v));
  else if (k == "init") init = v;
  else if (k == "filters") int_list(filters);
  else if (k == "kernels") int_list(kernels);
  else if (k == "unshuffle") unshuffle = int(to_int(k, v));
  else if (k == "factor") factor = to_double(k, v);
  else if (k == "patch") patch = int(to_int(k, v));
  else if (k == "augment") augment = v;
  else if (k == "sampling") sampling = v;
  else if (k == "back-project") back_project = v;
  else if (k == "canvas") canvas = int(to_int(k, v));
  else if (k == "batch") batch = int(to_int(k, v));
  else if (k == "steps") steps = to_int(k, v);
  else if (k == "lr") lr = to_double(k, v);
  else if (k == "final-lr") final_lr = to_double(k, v);
  else if (k == "warmup") warmup = to_int(k, v);
  else if (k == "schedule") schedule = v;
  else if (k == "patience") patience = to_int(k, v);
  else if (k == "plateau-factor") plateau_factor = to_double(k, v);
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
  else if (k == "holdout-from") holdout_from = v;
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
  return {{"task", task}, {"widths", join(widths)}, {"context", std::to_string(context)}, {"init", init},
          {"canvas", std::to_string(canvas)}, {"filters", join(filters)},
          {"kernels", join(kernels)}, {"unshuffle", std::to_string(unshuffle)}, {"factor", num(factor)},
          {"patch", std::to_string(patch)},
          {"augment", augment}, {"sampling", sampling},
          {"back-project", back_project}, {"batch", std::to_string(batch)},
          {"steps", std::to_string(steps)}, {"lr", num(lr)}, {"final-lr", num(final_lr)},
          {"warmup", std::to_string(warmup)}, {"schedule", schedule}, {"patience", std::to_string(patience)},
          {"plateau-factor", num(plateau_factor)}, {"precision", precision}, {"weight-decay", num(weight_decay)},
          {"clip", num(clip)}, {"loss", l}, {"damage", damage}, {"seed", std::to_string(seed)},
          {"holdout", num(holdout)}, {"holdout-from", holdout_from}, {"log-every", std::to_string(log_every)},
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
  load_json(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()), path);
}

void TrainConfig::load_json(const std::string& text, const std::string& path) {
  const json::Value root = json::parse(text, path);
  if (root.kind != json::Value::Obj) throw Error(path + ": the configuration must be a JSON object", ErrorKind::BadInput);
  for (const auto& [k, v] : root.o) {
    std::string value;
    if (v.kind == json::Value::Str) value = v.s;
    else if (v.kind == json::Value::Num) value = v.integral ? std::to_string(v.i) : num(v.num);
    else if (v.kind == json::Value::Arr) {
      for (size_t i = 0; i < v.a.size(); ++i) {
        if (v.a[i].kind != json::Value::Num) throw Error(path + ": '" + k + "' must be a list of numbers", ErrorKind::BadInput);
        if (i) value += ',';
        value += num(v.a[i].num);
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
  m.context = context;
  return m;
}

UpscalerConfig TrainConfig::upscaler() const {
  UpscalerConfig u;
  u.filters = filters;
  u.kernels = kernels;
  u.unshuffle = unshuffle;
  return u;
}

void TrainConfig::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("training: " + what, ErrorKind::Usage);
  };
  need(task == "restore" || task == "upscale", "the task must be restore or upscale");
  if (task == "restore") {
    need(!widths.empty() && widths.size() <= 6, "--widths needs 1 to 6 entries");
    for (int w : widths) need(w > 0 && w <= 4096, "--widths entries must be in 1..4096");
    need(context >= 0 && context <= 16, "--context must be in 0..16");
    need(canvas == 16 || canvas == 32, "--canvas must be 16 or 32");
    need(augment == "none" && sampling == "image",
         "--augment and --sampling are settings of the upscaler (the restorer's damage synthesis has its own)");
    need(unshuffle == 1, "--unshuffle is a setting of the upscaler");
    need(back_project == "off", "--back-project is a setting of the upscaler");
    DamageConfig::preset(damage).validate();
  } else {
    upscaler().validate();
    need(factor >= 1.0 && factor <= 8.0, "--factor must be in [1, 8]");
    need(augment == "none" || augment == "dihedral", "--augment must be none or dihedral, got '" + augment + "'");
    need(sampling == "image" || sampling == "area", "--sampling must be image or area, got '" + sampling + "'");
    need(patch > 2 * upscaler().margin() + 1 && patch <= 1024,
         "--patch " + std::to_string(patch) + " leaves no target after the valid convolutions trim " +
             std::to_string(upscaler().margin()) + " px from each side (use more than " +
             std::to_string(2 * upscaler().margin() + 1) + ")");
    need(patch % unshuffle == 0, "--patch " + std::to_string(patch) + " is not a whole number of the " +
                                     std::to_string(unshuffle) + "x" + std::to_string(unshuffle) + " blocks of --unshuffle");
    // at a whole factor the shrunk patch must be whole too, or the pairs are made at another factor
    // (64 px at x3 would shrink to 21 px: x3.05)
    const int f = int(factor);
    need(double(f) != factor || patch % f == 0,
         "--patch " + std::to_string(patch) + " does not shrink by --factor " + std::to_string(f) + " to whole pixels (use " +
             std::to_string(patch / f * f) + " or " + std::to_string(patch / f * f + f) + ")");
    need(back_project == "off" || back_project == "on", "--back-project must be on or off, got '" + back_project + "'");
    if (back_project == "on") {
      const int m = upscaler().margin();
      need(double(f) == factor && f >= 2,
           "--back-project on needs a whole --factor of 2 or more (the output's blocks average to input pixels), got " + num(factor));
      need(m % f == 0, "--back-project on at --factor " + std::to_string(f) + ": the convolutions' margin of " + std::to_string(m) +
                           " px is not a whole number of " + std::to_string(f) + " px blocks, so the target's blocks are not the input's pixels");
    }
  }
  need(batch > 0 && batch <= 65536, "--batch must be positive");
  need(steps > 0, "--steps must be positive");
  need(lr > 0 && final_lr >= 0 && final_lr <= lr, "--lr must be positive and --final-lr within [0, lr]");
  need(warmup >= 0, "--warmup must be >= 0");
  need(schedule == "cosine" || schedule == "constant" || schedule == "plateau", "--schedule must be cosine, constant or plateau");
  need(patience > 0 && plateau_factor > 0 && plateau_factor < 1, "--patience must be positive and --plateau-factor in (0, 1)");
  need(precision == "fp32" || precision == "tf32" || precision == "bf16", "--precision must be fp32, tf32 or bf16");
  need(weight_decay >= 0 && clip >= 0, "--weight-decay and --clip must be >= 0");
  need(holdout >= 0 && holdout < 1, "--holdout must be in [0, 1)");
  need(log_every > 0 && checkpoint_every > 0, "--log-every and --checkpoint-every must be positive");
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

uint64_t content_key(const uint8_t* rgba, int64_t width, int64_t height) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  auto eat = [&h](uint8_t b) { h = (h ^ b) * 0x100000001b3ull; };
  for (int64_t v : {width, height})
    for (int k = 0; k < 4; ++k) eat(uint8_t(uint64_t(v) >> (8 * k)));
  for (int64_t p = 0; p < width * height; ++p) {
    const uint8_t* px = rgba + p * 4;
    for (int c = 0; c < 4; ++c) eat(px[3] ? px[c] : 0);
  }
  return h;
}
uint64_t content_key(const Sprite& img) { return content_key(img.rgba.data(), img.width, img.height); }
uint64_t sprite_key(const SpriteSet& set, int64_t i) {
  return content_key(&set.pixels[size_t(i) * size_t(set.canvas) * set.canvas * 4], set.canvas, set.canvas);
}
std::string key_hex(uint64_t key) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)key);
  return buf;
}

namespace {
// A split's decision: the hash's top 53 bits as a number in [0, 1) against the held-out fraction.
bool below(uint64_t h, double fraction) { return double(h >> 11) * (1.0 / 9007199254740992.0) < fraction; }
}  // namespace

bool held_out_sprite(const SpriteSet& set, int64_t i, uint64_t seed, double fraction) {
  const size_t per = size_t(set.canvas) * set.canvas * 4;
  uint64_t h = seed;  // a hash of the sprite's pixels: the split follows the sprite, not its index
  for (size_t k = 0; k < per; k += 4) {
    uint32_t px;
    std::memcpy(&px, &set.pixels[size_t(i) * per + k], 4);
    if (set.pixels[size_t(i) * per + k + 3] == 0) px = 0;  // a transparent pixel's stored colour shows nowhere
    h = kernels::mix64(h ^ px);
  }
  return below(h, fraction);
}

namespace {
template <class HeldOut>
void split_sprites(const SpriteSet& all, HeldOut held_out, SpriteSet* train, SpriteSet* held) {
  train->canvas = held->canvas = all.canvas;
  train->pixels.clear(), train->names.clear(), held->pixels.clear(), held->names.clear();
  const size_t per = size_t(all.canvas) * all.canvas * 4;
  for (int64_t i = 0; i < all.size(); ++i) {
    SpriteSet* dst = held_out(i) ? held : train;
    dst->pixels.insert(dst->pixels.end(), all.pixels.begin() + i * per, all.pixels.begin() + (i + 1) * per);
    dst->names.push_back(all.names[size_t(i)]);
  }
}
}  // namespace

void split_holdout(const SpriteSet& all, double fraction, uint64_t seed, SpriteSet* train, SpriteSet* held) {
  split_sprites(all, [&](int64_t i) { return held_out_sprite(all, i, seed, fraction); }, train, held);
}
void split_holdout(const SpriteSet& all, const std::set<uint64_t>& keys, SpriteSet* train, SpriteSet* held) {
  split_sprites(all, [&](int64_t i) { return keys.count(sprite_key(all, i)) > 0; }, train, held);
}

bool held_out_image(const Sprite& img, uint64_t seed, double fraction) {
  uint64_t h = seed;
  for (size_t k = 0; k < img.rgba.size(); k += 97) h = kernels::mix64(h ^ img.rgba[k] ^ (uint64_t(k) << 8));
  return below(h, fraction);
}

namespace {
std::set<uint64_t> parse_keys(const std::string& text, const std::string& where) {
  std::set<uint64_t> keys;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    char* end = nullptr;
    const unsigned long long k = std::strtoull(line.c_str(), &end, 16);
    if (line.size() != 16 || end != line.c_str() + 16)
      throw Error(where + ": held_out: '" + line + "' is not a 16-digit hex key", ErrorKind::BadInput);
    keys.insert(k);
  }
  return keys;
}
}  // namespace

std::set<uint64_t> holdout_keys(const std::string& path) {
  const SafeTensors st = load_model_file(path);
  const auto fmt = st.metadata.find("format");
  if (fmt != st.metadata.end() && fmt->second == "pixelart-sprites-v1") {
    const SpriteSet set = SpriteSet::load(path);
    std::set<uint64_t> keys;
    for (int64_t i = 0; i < set.size(); ++i) keys.insert(sprite_key(set, i));
    return keys;
  }
  const auto it = st.metadata.find("held_out");
  if (it == st.metadata.end())
    throw Error(path + ": records no held-out set (a model file from before held-out records; for a restorer, its run's "
                "holdout.sprites names the same sprites)",
                ErrorKind::BadInput);
  return parse_keys(it->second, path);
}

bool trained_split(const std::string& model_path, TrainedSplit* split) {
  const SafeTensors st = load_model_file(model_path);
  const auto it = st.metadata.find("train_config");
  if (it == st.metadata.end()) return false;
  const auto held = st.metadata.find("held_out");
  split->has_keys = held != st.metadata.end();
  if (split->has_keys) split->keys = parse_keys(held->second, model_path);
  const json::Value cfg = json::parse(it->second, model_path + " (train_config)");
  if (const json::Value* v = cfg.find("holdout-from")) split->holdout_from = v->s;
  auto number = [&](const char* key, double* out) {
    const json::Value* v = cfg.find(key);
    if (!v) return false;
    try {
      *out = v->kind == json::Value::Num ? v->num : std::stod(v->s);
    } catch (...) {
      return false;
    }
    return true;
  };
  double s = 0;
  if (!number("seed", &s) || !number("holdout", &split->fraction)) return false;
  split->seed = uint64_t(s);
  return true;
}

// ---- the shared loop ---------------------------------------------------------------------------
TrainLoop::TrainLoop(const TrainConfig& cfg, ParamArena& arena, std::string model_desc)
    : cfg_(cfg), arena_(arena), desc_(std::move(model_desc)),
      opt_(arena, AdamConfig{cfg.lr, 0.9, 0.999, 1e-8, cfg.weight_decay, cfg.clip}) {}

void TrainLoop::step(const std::function<LossResult()>& compute, int64_t batch, StepLog* log) {
  const auto t0 = std::chrono::steady_clock::now();
  arena_.zero_grad();
  LossResult loss;
  {
    Tape tape;
    TapeScope scope(tape);
    loss = compute();
    tape.backward(loss.total);
  }
  double lr = learning_rate(cfg_, step_);
  if (cfg_.schedule == "plateau" && step_ >= cfg_.warmup) lr = std::max(lr * plateau_.scale, cfg_.final_lr);
  opt_.step(lr);
  ++step_;
  if (log) {  // the only host reads of a step, and only when logging
    log->step = step_;
    log->loss = loss.total.item();
    if (cfg_.schedule == "plateau" && step_ > cfg_.warmup) plateau_.update(log->loss, cfg_.patience, cfg_.plateau_factor);
    const auto terms = loss.terms.to_vector();
    for (int k = 0; k < kNumLossTerms; ++k) log->terms[k] = terms[size_t(k)];
    log->lr = lr;
    log->grad_norm = opt_.last_grad_norm();
    synchronize(arena_.device());
    log->images_per_s = double(batch) / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
}

void TrainLoop::save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra) const {
  SafeTensors st;
  st.metadata = extra;
  for (size_t i = 0; i < arena_.size(); ++i) st.tensors["param/" + arena_.spec(i).name] = arena_.param(i).to(Device::CPU);
  st.tensors["adam/m"] = opt_.m().to(Device::CPU);
  st.tensors["adam/v"] = opt_.v().to(Device::CPU);
  st.metadata["format"] = "pixelart-checkpoint-v1";
  st.metadata["model"] = desc_;
  st.metadata["step"] = std::to_string(step_);
  st.metadata["config"] = cfg_.to_json();
  st.metadata["rng"] = "counter-based: sample k of step s is (seed " + std::to_string(cfg_.seed) + ", index s*batch+k)";
  st.metadata["plateau"] = num(plateau_.scale) + " " + num(plateau_.best) + " " + num(plateau_.smoothed) + " " +
                           std::to_string(plateau_.since_best);
  save_safetensors(path, st);
}

void TrainLoop::resume(const std::string& path) {
  const SafeTensors st = load_safetensors(path);
  auto meta = [&](const std::string& k) -> const std::string& {
    auto it = st.metadata.find(k);
    if (it == st.metadata.end()) throw Error(path + ": not a pixelart checkpoint (no '" + k + "')", ErrorKind::BadInput);
    return it->second;
  };
  if (meta("format") != "pixelart-checkpoint-v1") throw Error(path + ": not a pixelart checkpoint", ErrorKind::BadInput);
  if (meta("model") != desc_)
    throw Error(path + ": the checkpoint is of " + meta("model") + ", this run trains " + desc_, ErrorKind::Usage);
  // The settings that decide what the next steps do must be the checkpoint's: a resumed run is the
  // run it was (--steps may grow; logging, checkpoints, the folder and the device may change).
  TrainConfig then = cfg_;
  then.load_json(meta("config"), path);
  const auto now_items = cfg_.items(), then_items = then.items();
  std::string differ;
  for (size_t i = 0; i < now_items.size(); ++i) {
    const std::string& k = now_items[i].first;
    if (k == "steps" || k == "log-every" || k == "checkpoint-every" || k == "out" || k == "device" || k == "init" || k == "data")
      continue;
    if (now_items[i].second != then_items[i].second)
      differ += (differ.empty() ? "" : ", ") + ("--" + k) + " " + now_items[i].second + " (the checkpoint's: " + then_items[i].second + ")";
  }
  if (!differ.empty())
    throw Error(path + ": --resume goes on with the checkpoint's settings; these differ: " + differ +
                    " (give the checkpoint's, or start a new run with --init)",
                ErrorKind::Usage);
  for (size_t i = 0; i < arena_.size(); ++i) {
    auto it = st.tensors.find("param/" + arena_.spec(i).name);
    if (it == st.tensors.end() || it->second.shape() != arena_.spec(i).shape || it->second.dtype() != DType::F32)
      throw Error(path + ": parameter " + arena_.spec(i).name + " missing or of the wrong shape", ErrorKind::BadInput);
    arena_.param(i).copy_from(it->second);
  }
  for (const char* k : {"adam/m", "adam/v"}) {
    auto it = st.tensors.find(k);
    if (it == st.tensors.end() || it->second.shape() != Shape{arena_.numel()} || it->second.dtype() != DType::F32)
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

// ---- the two trainers ----------------------------------------------------------------------------
namespace {
// --init: every parameter of a trained model copied into the new one, found by name and shape;
// parameters the trained model lacks keep their initialisation.
void warm_start(ParamArena& to, const ParamArena& from, const std::string& path, const std::string& from_desc,
                const std::string& to_desc, const std::string& what_fits) {
  for (size_t j = 0; j < from.size(); ++j) {
    const ParamSpec& s = from.spec(j);
    size_t i = 0;
    while (i < to.size() && to.spec(i).name != s.name) ++i;
    if (i == to.size() || to.spec(i).shape != s.shape)
      throw Error(path + ": its parameter " + s.name + " " + shape_str(s.shape) + " has no place in " + to_desc +
                      " (--init needs " + what_fits + ")",
                  ErrorKind::Usage);
    to.param(i).copy_from(from.param(j));
  }
  std::fprintf(stderr, "init: %zu of %zu parameters from %s (%s)\n", from.size(), to.size(), path.c_str(), from_desc.c_str());
}
}  // namespace

bool grow_upscaler(ParamArena& to, const UpscalerConfig& tc, const Upscaler& from, const std::string& path) {
  const UpscalerConfig& fc = from.config();
  const size_t k = fc.filters.size(), K = tc.filters.size();
  if (K < k || fc.unshuffle != tc.unshuffle || fc.channels != tc.channels || tc.kernels[K] != fc.kernels[k]) return false;
  bool wider = false;
  for (size_t j = 0; j < k; ++j) {
    if (tc.filters[j] < fc.filters[j] || tc.kernels[j] != fc.kernels[j]) return false;
    wider = wider || tc.filters[j] > fc.filters[j];
  }
  if (K == k && !wider) return false;  // the same shape: a plain warm start
  for (size_t j = k; j < K; ++j)
    if (tc.filters[j] != tc.filters[k - 1]) return false;  // the identity needs as many channels out as in
  // conv `src` of `from` into conv `dst`: its weights [O, kh, kw, I] into the corner [0:O, :, :, 0:I]
  // of the (maybe wider) [O2, kh, kw, I2]. The old filters get zero weights on the new inputs, so
  // they compute what they did; the new filters (o >= O) keep their random initialisation, and
  // the next layer ignores them (zero weights) until training moves it.
  auto copy = [&](size_t src, size_t dst) {
    const std::string fs = "conv" + std::to_string(src), ts = "conv" + std::to_string(dst);
    const Tensor fw = from.params().param(fs + ".weight").to(Device::CPU), fb = from.params().param(fs + ".bias").to(Device::CPU);
    Tensor tw = to.param(ts + ".weight");
    Tensor tb = to.param(ts + ".bias");
    const int64_t O = fw.size(0), I = fw.size(3), taps = fw.size(1) * fw.size(2), I2 = tw.size(3);
    std::vector<double> w = tw.to(Device::CPU).to_vector(), b = tb.to(Device::CPU).to_vector();
    const auto fwv = fw.to_vector(), fbv = fb.to_vector();
    for (int64_t o = 0; o < O; ++o)  // rows o >= O (new filters) keep their initialisation
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t i = 0; i < I2; ++i) w[size_t((o * taps + t) * I2 + i)] = i < I ? fwv[size_t((o * taps + t) * I + i)] : 0.0;
    for (int64_t o = 0; o < O; ++o) b[size_t(o)] = fbv[size_t(o)];
    tw.copy_from(Tensor::from_vector(w, tw.shape()));
    tb.copy_from(Tensor::from_vector(b, tb.shape()));
  };
  for (size_t j = 0; j < k; ++j) copy(j, j);
  copy(k, K);
  for (size_t j = k; j < K; ++j) {  // [c, kh, kw, c]: the centre tap of each channel to itself
    const int64_t c = tc.filters[j], kh = tc.kernels[j];
    std::vector<double> w(size_t(c * kh * kh * c), 0.0);
    for (int64_t o = 0; o < c; ++o) w[size_t(((o * kh + kh / 2) * kh + kh / 2) * c + o)] = 1.0;
    to.param("conv" + std::to_string(j) + ".weight").copy_from(Tensor::from_vector(w, {c, kh, kh, c}));
    to.param("conv" + std::to_string(j) + ".bias").copy_from(Tensor::zeros({c}));
  }
  std::fprintf(stderr, "init: grew %s from %s into %s: its %zu convolutions kept%s, %zu new ones start as the identity\n",
               path.c_str(), fc.describe().c_str(), tc.describe().c_str(), k + 1,
               wider ? " (widened: the new filters start random, and the layer after each ignores them)" : "", K - k);
  return true;
}

RestorerTrainer::RestorerTrainer(const TrainConfig& cfg, const SpriteSet& train_set, Device dev)
    : cfg_((cfg.validate(), cfg)),
      model_(cfg.model(), cfg.seed, DType::F32, dev),
      loop_(cfg, model_.params(), "restorer " + cfg.model().describe() + " on a " + std::to_string(cfg.canvas) + " px canvas"),
      synth_(train_set, cfg.canvas * cfg.model().scale(), DamageConfig::preset(cfg.damage), dev) {
  PA_CHECK(train_set.canvas == cfg.canvas, "training: the sprites are on a " << train_set.canvas
                                               << " px canvas but --canvas is " << cfg.canvas);
  model_.set_precision(parse_precision(cfg.precision));
  if (!cfg.init.empty()) {
    const Restorer from = load_restorer(cfg.init, Device::CPU);
    warm_start(model_.params(), from.params(), cfg.init, from.config().describe(), cfg.model().describe(),
               "the same model, or one with more context layers");
  }
}

namespace {
// One step of either trainer: the pairs of this step (sample k of step s is index s*batch+k of
// the counter-based stream, so resuming continues it), forward, the composite loss, AdamW.
// `project` > 1: the loss scores the output back-projected onto the target's project x project blocks.
template <class Pairs, class Model>
void step_on_pairs(TrainLoop& loop, Pairs& pairs, const Model& model, const TrainConfig& cfg, StepLog* log, int project = 1) {
  loop.step(
      [&] {
        Tensor x, t;
        pairs.generate(cfg.seed, uint64_t(loop.steps_done()) * uint64_t(cfg.batch), cfg.batch, &x, &t);
        const Tensor y = model.forward(x);
        return composite_loss(project > 1 ? project_blocks(y, t, project) : y, t, cfg.loss);
      },
      cfg.batch, log);
}
}  // namespace

void RestorerTrainer::step(StepLog* log) { step_on_pairs(loop_, synth_, model_, cfg_, log); }

void RestorerTrainer::export_model(const std::string& path, const std::map<std::string, std::string>& meta) const {
  save_restorer(path, model_, cfg_.canvas, meta);
}

UpscalerTrainer::UpscalerTrainer(const TrainConfig& cfg, const std::vector<Sprite>& images, Device dev)
    : cfg_((cfg.validate(), cfg)),
      model_(cfg.upscaler(), cfg.seed, DType::F32, dev),
      loop_(cfg, model_.params(), "upscaler " + cfg.upscaler().describe()),
      sampler_(images, cfg.patch, cfg.factor, cfg.upscaler().margin(), dev,
               PatchOptions{cfg.sampling == "area", cfg.augment == "dihedral"}) {
  model_.set_precision(parse_precision(cfg.precision));
  if (!cfg.init.empty()) {
    const Upscaler from = load_upscaler(cfg.init, Device::CPU);
    if (!grow_upscaler(model_.params(), cfg.upscaler(), from, cfg.init))
      warm_start(model_.params(), from.params(), cfg.init, from.config().describe(), cfg.upscaler().describe(),
                 "the same filters, kernels and unshuffle, or more filters per layer and more layers of its last width");
  }
}

void UpscalerTrainer::step(StepLog* log) {
  step_on_pairs(loop_, sampler_, model_, cfg_, log, cfg_.back_project == "on" ? int(cfg_.factor) : 1);
}

void UpscalerTrainer::export_model(const std::string& path, const std::map<std::string, std::string>& meta) const {
  save_upscaler(path, model_, cfg_.factor, meta);
}

// ---- model files -------------------------------------------------------------------------------
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
  view.metadata = cfg.task == "upscale" ? upscaler_meta(cfg.upscaler(), cfg.factor) : restorer_meta(cfg.model(), cfg.canvas);
  view.metadata["format"] = cfg.task == "upscale" ? "pixelart-upscaler-v1" : "pixelart-restorer-v1";
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
