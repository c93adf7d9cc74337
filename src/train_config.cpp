// src/train_config.cpp — the training settings: by name from flags, JSON and checkpoints, and
// checked together (include/pixelart/train_config.h).
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>

#include "json.h"
#include "pixelart/error.h"
#include "pixelart/synth.h"
#include "pixelart/train_config.h"
#include "settings_text.h"

namespace pixelart {

namespace text {
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
}  // namespace text

// ---- the named settings ------------------------------------------------------------------------
namespace {
template <class E, size_t N>
using Names = std::array<std::pair<E, const char*>, N>;
constexpr Names<Task, 2> kTasks{{{Task::Restore, "restore"}, {Task::Upscale, "upscale"}}};
constexpr Names<Schedule, 3> kSchedules{{{Schedule::Cosine, "cosine"}, {Schedule::Constant, "constant"}, {Schedule::Plateau, "plateau"}}};
constexpr Names<Augment, 2> kAugments{{{Augment::None, "none"}, {Augment::Dihedral, "dihedral"}}};
constexpr Names<Sampling, 2> kSamplings{{{Sampling::Image, "image"}, {Sampling::Area, "area"}}};
constexpr Names<bool, 2> kOnOff{{{false, "off"}, {true, "on"}}};
constexpr Names<ResizeFilter, 5> kShrinks{{{ResizeFilter::Area, "area"},
                                           {ResizeFilter::Bilinear, "linear"},
                                           {ResizeFilter::Bicubic, "cubic"},
                                           {ResizeFilter::Lanczos, "lanczos"},
                                           {ResizeFilter::BicubicAntialiased, "bicubic-aa"}}};

template <class E, size_t N>
const char* name_of(const Names<E, N>& names, E e) {
  for (const auto& [v, n] : names)
    if (v == e) return n;
  return "?";
}
// "--schedule must be cosine, constant or plateau, got 'linear'"
template <class E, size_t N>
E parse_name(const Names<E, N>& names, const std::string& key, const std::string& v) {
  std::string list;
  for (size_t i = 0; i < N; ++i) {
    if (v == names[i].second) return names[i].first;
    list += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + names[i].second;
  }
  throw Error("--" + key + " must be " + list + ", got '" + v + "'", ErrorKind::Usage);
}
std::string shrink_names(const std::vector<ResizeFilter>& list) {
  std::string s;
  for (ResizeFilter f : list) {
    if (!s.empty()) s += ',';
    s += name_of(kShrinks, f);
  }
  return s;
}
std::string jpeg_names(int lo, int hi) {
  if (lo <= 0) return "off";
  return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
}
}  // namespace

const char* to_string(Task t) { return name_of(kTasks, t); }
const char* to_string(Schedule s) { return name_of(kSchedules, s); }
const char* to_string(Augment a) { return name_of(kAugments, a); }
const char* to_string(Sampling s) { return name_of(kSamplings, s); }

// ---- configuration -----------------------------------------------------------------------------

using namespace text;

void TrainConfig::set(const std::string& k, const std::string& v) {
  auto int_list = [&](std::vector<int>& dst) {
    dst.clear();
    for (double d : to_list(k, v)) dst.push_back(int(d));
  };
  if (k == "task") task = parse_name(kTasks, k, v);
  else if (k == "widths") int_list(widths);
  else if (k == "context") context = int(to_int(k, v));
  else if (k == "init") init = v;
  else if (k == "filters") int_list(filters);
  else if (k == "kernels") int_list(kernels);
  else if (k == "unshuffle") unshuffle = int(to_int(k, v));
  else if (k == "factor") factor = to_double(k, v);
  else if (k == "patch") patch = int(to_int(k, v));
  else if (k == "augment") augment = parse_name(kAugments, k, v);
  else if (k == "sampling") sampling = parse_name(kSamplings, k, v);
  else if (k == "back-project") back_project = parse_name(kOnOff, k, v);
  else if (k == "shrink") {
    std::vector<ResizeFilter> list;  // all or nothing: a bad name leaves the setting as it was
    size_t start = 0;
    for (size_t c = 0; c != std::string::npos; start = c + 1) {
      c = v.find(',', start);
      list.push_back(parse_name(kShrinks, k, v.substr(start, c == std::string::npos ? std::string::npos : c - start)));
    }
    shrink = list;
  }
  else if (k == "jpeg") {
    if (v == "off") jpeg_min = jpeg_max = 0;
    else {
      const size_t dash = v.find('-');
      const int lo = int(to_int(k, v.substr(0, dash))), hi = dash == std::string::npos ? lo : int(to_int(k, v.substr(dash + 1)));
      if (lo < 1 || hi > 100 || lo > hi) throw Error("--jpeg takes off, a quality Q or a range QMIN-QMAX within 1..100, got '" + v + "'", ErrorKind::Usage);
      jpeg_min = lo, jpeg_max = hi;
    }
  }
  else if (k == "jpeg-share") jpeg_share = to_double(k, v);
  else if (k == "canvas") canvas = int(to_int(k, v));
  else if (k == "batch") batch = int(to_int(k, v));
  else if (k == "steps") steps = to_int(k, v);
  else if (k == "lr") lr = to_double(k, v);
  else if (k == "final-lr") final_lr = to_double(k, v);
  else if (k == "warmup") warmup = to_int(k, v);
  else if (k == "schedule") schedule = parse_name(kSchedules, k, v);
  else if (k == "patience") patience = to_int(k, v);
  else if (k == "plateau-factor") plateau_factor = to_double(k, v);
  else if (k == "precision") {
    try {
      precision = parse_precision(v);
    } catch (const Error& e) {
      throw Error(std::string("--") + e.what(), ErrorKind::Usage);
    }
  }
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
  for (int i = 0; i < kNumLossTerms; ++i) {
    if (i) l += ',';
    l += num(loss[i]);
  }
  return {{"task", to_string(task)}, {"widths", join(widths)}, {"context", std::to_string(context)}, {"init", init},
          {"canvas", std::to_string(canvas)}, {"filters", join(filters)},
          {"kernels", join(kernels)}, {"unshuffle", std::to_string(unshuffle)}, {"factor", num(factor)},
          {"patch", std::to_string(patch)},
          {"augment", to_string(augment)}, {"sampling", to_string(sampling)}, {"shrink", shrink_names(shrink)},
          {"back-project", name_of(kOnOff, back_project)}, {"jpeg", jpeg_names(jpeg_min, jpeg_max)},
          {"jpeg-share", num(jpeg_share)}, {"batch", std::to_string(batch)},
          {"steps", std::to_string(steps)}, {"lr", num(lr)}, {"final-lr", num(final_lr)},
          {"warmup", std::to_string(warmup)}, {"schedule", to_string(schedule)}, {"patience", std::to_string(patience)},
          {"plateau-factor", num(plateau_factor)}, {"precision", precision_name(precision)}, {"weight-decay", num(weight_decay)},
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
    bool known = false;
    for (const auto& item : items()) known = known || item.first == k;
    if (!known) throw Error(path + ": unknown training setting '" + k + "'", ErrorKind::BadInput);
    try {
      set(k, value);
    } catch (const Error& e) {  // a bad value: a usage error, as a flag's is, naming the file
      throw Error(path + ": " + e.what(), ErrorKind::Usage);
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
  if (task == Task::Restore) {
    need(!widths.empty() && widths.size() <= 6, "--widths needs 1 to 6 entries");
    for (int w : widths) need(w > 0 && w <= 4096, "--widths entries must be in 1..4096");
    need(context >= 0 && context <= 16, "--context must be in 0..16");
    need(canvas == 16 || canvas == 32, "--canvas must be 16 or 32");
    need(augment == Augment::None && sampling == Sampling::Image,
         "--augment and --sampling are settings of the upscaler (the restorer's damage synthesis has its own)");
    need(unshuffle == 1, "--unshuffle is a setting of the upscaler");
    need(!back_project, "--back-project is a setting of the upscaler");
    need(shrink.size() == 1 && shrink[0] == ResizeFilter::Area, "--shrink is a setting of the upscaler");
    need(jpeg_min == 0 && jpeg_share == 1.0, "--jpeg and --jpeg-share are settings of the upscaler (the restorer's damage has its own JPEG)");
    DamageConfig::preset(damage).validate();
  } else {
    upscaler().validate();
    need(factor >= 1.0 && factor <= 8.0, "--factor must be in [1, 8]");
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
    need(!shrink.empty() && shrink.size() <= 8, "--shrink takes 1 to 8 kernels");
    need(jpeg_share > 0 && jpeg_share <= 1, "--jpeg-share must be in (0, 1]");
    if (back_project) {
      need(jpeg_min == 0, "--back-project on gives the input back, JPEG artefacts included; it cannot train with --jpeg " +
                              jpeg_names(jpeg_min, jpeg_max));
      need(shrink.size() == 1 && shrink[0] == ResizeFilter::Area,
           "--back-project on models an area shrink; it cannot train with --shrink " + shrink_names(shrink));
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
  need(patience > 0 && plateau_factor > 0 && plateau_factor < 1, "--patience must be positive and --plateau-factor in (0, 1)");
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
  if (c.schedule != Schedule::Cosine) return c.lr;
  const double t = double(step - c.warmup) / double(std::max<int64_t>(1, c.steps - c.warmup));
  return c.final_lr + 0.5 * (c.lr - c.final_lr) * (1.0 + std::cos(3.14159265358979 * std::min(1.0, t)));
}


}  // namespace pixelart
