// src/synth.cpp — the damage pipeline's orchestration (include/pixelart/synth.h). Stages:
// kernels/synth.h (math), synth_cpu.cpp (CPU loops), synth.cu (CUDA kernels).
#include <sstream>

#include "internal.h"
#include "pixelart/synth.h"
#include "synth_ops.h"

namespace pixelart {

using kernels::SampleParams;

DamageConfig DamageConfig::original() {
  DamageConfig d;
  d.scale_jitter = 0.f;
  d.max_offset = 0.5f;
  d.p_warp = 0.f;
  d.p_keep_alpha = 0.f;
  d.p_bg[0] = 1.f, d.p_bg[1] = d.p_bg[2] = d.p_bg[3] = 0.f;
  d.p_resample = 0.7f;
  d.max_resizes = 1;
  d.min_scale = 0.5f;
  d.p_filter[0] = d.p_filter[1] = 0.5f, d.p_filter[2] = d.p_filter[3] = 0.f;
  d.p_blur = d.p_color = d.p_noise = 0.f;
  d.p_jpeg = 0.7f, d.p_jpeg_twice = 0.f;
  d.jpeg_q_min = 30, d.jpeg_q_max = 95;
  return d;
}

DamageConfig DamageConfig::none() {
  DamageConfig d;
  d.scale_jitter = d.max_offset = d.p_warp = 0.f;
  d.p_keep_alpha = 1.f;
  d.p_resample = d.p_blur = d.p_color = d.p_noise = d.p_jpeg = 0.f;
  return d;
}

DamageConfig DamageConfig::user() {
  DamageConfig d;  // the hard damage ...
  d.align = 1;     // ... at native pitches, then the canonical step
  d.p_native = 0.7f;
  d.p_colour_checker = 0.3f;
  d.p_clear = 0.7f;
  return d;
}

DamageConfig DamageConfig::preset(const std::string& name) {
  if (name == "original") return original();
  if (name == "hard" || name == "default") return hard();
  if (name == "none") return none();
  if (name == "user") return user();
  throw Error("unknown damage preset '" + name + "' (original, hard, none, user)", ErrorKind::Usage);
}

void DamageConfig::validate() const {
  auto prob = [](float p, const char* n) {
    if (!(p >= 0.f && p <= 1.f)) throw Error(std::string("damage: ") + n + " must be a probability in [0, 1]", ErrorKind::Usage);
  };
  prob(p_warp, "p_warp"), prob(p_keep_alpha, "p_keep_alpha"), prob(p_resample, "p_resample"), prob(p_blur, "p_blur");
  prob(p_color, "p_color"), prob(p_noise, "p_noise"), prob(p_jpeg, "p_jpeg"), prob(p_jpeg_twice, "p_jpeg_twice");
  if (!(max_resizes >= 1 && max_resizes <= kernels::kMaxIntermediate)) throw Error("damage: max_resizes (intermediate sizes) must be 1..3", ErrorKind::Usage);
  if (!(min_scale > 0.05f && min_scale <= 1.f)) throw Error("damage: min_scale must be in (0.05, 1]", ErrorKind::Usage);
  if (!(jpeg_q_min >= 1 && jpeg_q_max <= 100 && jpeg_q_min <= jpeg_q_max)) throw Error("damage: jpeg quality range must be within 1..100", ErrorKind::Usage);
  if (!(max_offset >= 0.f && max_offset <= 1.f && scale_jitter >= 0.f && scale_jitter < 0.5f))
    throw Error("damage: max_offset in [0, 1] and scale_jitter in [0, 0.5) sprite pixels", ErrorKind::Usage);
  if (!(max_blur_sigma > 0.3f && max_blur_sigma <= 2.f)) throw Error("damage: max_blur_sigma must be in (0.3, 2]", ErrorKind::Usage);
  prob(p_misalign, "p_misalign"), prob(p_native, "p_native"), prob(p_colour_checker, "p_colour_checker"), prob(p_clear, "p_clear");
  if (!(align == 0 || align == 1)) throw Error("damage: align must be 0 or 1", ErrorKind::Usage);
  if (!(align_error >= 0.f && align_error <= 1.f && pitch_error >= 0.f && pitch_error < 0.2f))
    throw Error("damage: align_error in [0, 1] cells and pitch_error in [0, 0.2)", ErrorKind::Usage);
  if (!(min_native >= 2.f && min_native <= 16.f)) throw Error("damage: min_native must be in [2, 16] pixels", ErrorKind::Usage);
  float bg = 0, fl = 0;
  for (int i = 0; i < 4; ++i) bg += p_bg[i], fl += p_filter[i];
  if (!(bg > 0.f) || !(fl > 0.f)) throw Error("damage: background and filter weights must not all be 0", ErrorKind::Usage);
}

Synthesizer::Synthesizer(const SpriteSet& set, int input_size, const DamageConfig& cfg, Device dev)
    : S_(input_size), T_(set.canvas), nsprites_(set.size()), cfg_(cfg), dev_(dev) {
  cfg.validate();
  PA_CHECK(set.size() > 0, "synthesizer: the sprite set is empty");
  PA_CHECK(S_ >= 16 && S_ % 16 == 0 && S_ % T_ == 0,
           "synthesizer: the input size " << S_ << " must be a multiple of 16 and of the sprite canvas " << T_);
  sprites_ = set.tensor(dev);
}

namespace {
// The stages of one device; CPU loops and CUDA kernels have the same signatures, so the pipeline
// below is written once for both.
struct SynthStages {
  decltype(&kernels::synth_params_cpu) params;
  decltype(&kernels::synth_targets_cpu) targets;
  decltype(&kernels::synth_render_cpu) render;
  decltype(&kernels::synth_resize_cpu) resize;
  decltype(&kernels::synth_blur_cpu) blur;
  decltype(&kernels::synth_color_noise_cpu) color_noise;
  decltype(&kernels::synth_jpeg_cpu) jpeg;
  decltype(&kernels::synth_canon_cpu) canon;
  decltype(&kernels::synth_clear_cpu) clear;
};
const SynthStages& stages(Device dev) {
  static const SynthStages cpu{kernels::synth_params_cpu, kernels::synth_targets_cpu, kernels::synth_render_cpu,
                               kernels::synth_resize_cpu, kernels::synth_blur_cpu,    kernels::synth_color_noise_cpu,
                               kernels::synth_jpeg_cpu,   kernels::synth_canon_cpu,  kernels::synth_clear_cpu};
#if defined(PIXELART_WITH_CUDA)
  static const SynthStages gpu{cuda::synth_params, cuda::synth_targets, cuda::synth_render, cuda::synth_resize,
                               cuda::synth_blur,   cuda::synth_color_noise, cuda::synth_jpeg, cuda::synth_canon, cuda::synth_clear};
  if (dev == Device::CUDA) return gpu;
#else
  if (dev == Device::CUDA) detail::no_cuda_build();
#endif
  return cpu;
}
}  // namespace

void Synthesizer::generate(uint64_t seed, uint64_t first, int n, Tensor* inputs, Tensor* targets) {
  PA_CHECK(n > 0, "synthesizer: batch of " << n);
  const kernels::SynthDims g{n, S_, T_, int(nsprites_), seed, first};
  if (n != n_) {
    params_ = Tensor::empty({int64_t(n) * int64_t(sizeof(SampleParams))}, DType::U8, dev_);
    y_ = Tensor::empty({n, S_, S_}, DType::F32, dev_);
    cb_ = Tensor::empty({n, S_ / 2, S_ / 2}, DType::F32, dev_);
    cr_ = Tensor::empty({n, S_ / 2, S_ / 2}, DType::F32, dev_);
    n_ = n;
  }
  Tensor a = Tensor::empty({n, S_, S_, 4}, DType::F32, dev_);
  Tensor b = Tensor::empty({n, S_, S_, 4}, DType::F32, dev_);
  Tensor t = Tensor::empty({n, T_, T_, 4}, DType::F32, dev_);
  auto* p = static_cast<SampleParams*>(params_.raw());
  const uint8_t* spr = sprites_.data<uint8_t>();
  float *A = a.data<float>(), *B = b.data<float>();
  const SynthStages& st = stages(dev_);
  st.params(cfg_, g, p);
  st.targets(spr, p, g, t.data<float>());
  st.render(spr, p, g, A);
  for (int k = 0; k < kernels::kMaxResizes; ++k)  // an even count: A -> B -> ... -> A
    st.resize(k % 2 ? B : A, k % 2 ? A : B, p, g, k);
  st.blur(A, B, p, g, 0);
  st.blur(B, A, p, g, 1);
  st.color_noise(A, p, g);
  for (int pass = 0; pass < 2; ++pass) st.jpeg(A, y_.data<float>(), cb_.data<float>(), cr_.data<float>(), p, g, pass);
  st.clear(A, p, g);
  st.canon(A, B, p, g);
  *inputs = b;
  *targets = t;
}

int64_t Synthesizer::sample_sprite(int i) const {
  PA_CHECK(i >= 0 && i < n_, "sample_sprite: sample " << i << " of a batch of " << n_);
  const Tensor host = params_.to(Device::CPU);
  return static_cast<const SampleParams*>(host.raw())[i].sprite;
}

std::string Synthesizer::describe(int i) const {
  PA_CHECK(i >= 0 && i < n_, "describe: sample " << i << " of a batch of " << n_);
  const Tensor host = params_.to(Device::CPU);
  const SampleParams& p = static_cast<const SampleParams*>(host.raw())[i];
  static const char* bgs[] = {"perlin", "flat", "gradient", "checker"};
  static const char* filters[] = {"bilinear", "bicubic", "area", "lanczos4"};
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(2);
  os << "sprite " << p.sprite << ", cell " << p.cell << " px, offset (" << p.off_x << ", " << p.off_y << ")";
  if (p.work != S_) os << " in " << p.work << "x" << p.work;
  if (p.warp_amp > 0) os << ", warp " << p.warp_amp;
  os << (p.keep_alpha ? ", alpha kept" : std::string(", ") + bgs[p.bg] + " background");
  if (p.nresize) {
    os << ", resize " << p.size[0];
    for (int k = 0; k < p.nresize; ++k) os << ">" << p.size[k + 1] << " " << filters[p.filter[k]];
  }
  if (p.blur_sigma > 0) os << ", blur " << p.blur_sigma;
  if (p.contrast != 1.f || p.brightness != 0.f) os << ", colour jitter";
  if (p.noise > 0) os << ", noise " << p.noise;
  if (p.jpeg_q[0]) os << ", jpeg q" << p.jpeg_q[0];
  if (p.jpeg_q[1]) os << " then q" << p.jpeg_q[1];
  if (p.clear) os << ", background cleared";
  if (p.align) os << ", aligned onto " << S_ << "x" << S_ << " (step " << p.canon_step << ")";
  return os.str();
}

}  // namespace pixelart
