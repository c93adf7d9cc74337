// src/train.cpp — the training loop every model shares, the two trainers, and growing an
// upscaler from a smaller one (include/pixelart/train.h).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "pixelart/autograd.h"
#include "pixelart/error.h"
#include "pixelart/model_file.h"
#include "pixelart/train.h"
#include "settings_text.h"

namespace pixelart {

using text::num;

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
  if (cfg_.schedule == Schedule::Plateau && step_ >= cfg_.warmup) lr = std::max(lr * plateau_.scale, cfg_.final_lr);
  opt_.step(lr);
  ++step_;
  if (log) {  // the only host reads of a step, and only when logging
    log->step = step_;
    log->loss = loss.total.item();
    if (cfg_.schedule == Schedule::Plateau && step_ > cfg_.warmup) plateau_.update(log->loss, cfg_.patience, cfg_.plateau_factor);
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
  try {
    then.load_json(meta("config"), path);
  } catch (const Error& e) {  // a checkpoint's settings are its own: a bad one is a broken file
    throw Error(e.what(), ErrorKind::BadInput);
  }
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
  model_.set_precision(cfg.precision);
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
               PatchOptions{cfg.sampling == Sampling::Area, cfg.augment == Augment::Dihedral, cfg.shrink, cfg.jpeg_min,
                            cfg.jpeg_max, float(cfg.jpeg_share)}) {
  model_.set_precision(cfg.precision);
  if (!cfg.init.empty()) {
    const Upscaler from = load_upscaler(cfg.init, Device::CPU);
    if (!grow_upscaler(model_.params(), cfg.upscaler(), from, cfg.init))
      warm_start(model_.params(), from.params(), cfg.init, from.config().describe(), cfg.upscaler().describe(),
                 "the same filters, kernels and unshuffle, or more filters per layer and more layers of its last width");
  }
}

void UpscalerTrainer::step(StepLog* log) {
  step_on_pairs(loop_, sampler_, model_, cfg_, log, cfg_.back_project ? int(cfg_.factor) : 1);
}

void UpscalerTrainer::export_model(const std::string& path, const std::map<std::string, std::string>& meta) const {
  save_upscaler(path, model_, cfg_.factor, meta);
}

}  // namespace pixelart
