// src/optim.cpp — the parameter arena and AdamW (include/pixelart/optim.h).
// Kernels: kernels/adam.h (math), adam_cpu.cpp, adam.cu; the norm in loss_cpu.cpp / loss.cu.
#include <cmath>

#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/optim.h"

namespace pixelart {

ParamArena::ParamArena(const std::vector<ParamSpec>& specs, DType dtype, Device dev) {
  // Decayed parameters first, then the others, each group in the given order.
  for (int pass = 0; pass < 2; ++pass)
    for (const ParamSpec& s : specs)
      if (s.decay == (pass == 0)) specs_.push_back(s);
  for (const ParamSpec& s : specs_) {
    for (const ParamSpec& o : specs_)
      PA_CHECK(&o == &s || o.name != s.name, "ParamArena: duplicate parameter name " << s.name);
    offsets_.push_back(numel_);
    numel_ += shape_numel(s.shape);
    if (s.decay) decay_end_ = numel_;
  }
  data_ = Tensor::zeros({numel_}, dtype, dev);
  grads_ = Tensor::zeros({numel_}, dtype, dev);
  make_views();
}

void ParamArena::make_views() {
  params_.clear();
  for (size_t i = 0; i < specs_.size(); ++i) {
    Tensor p = Tensor::view_of(data_, offsets_[i], specs_[i].shape);
    p.set_requires_grad(true);
    p.set_grad(Tensor::view_of(grads_, offsets_[i], specs_[i].shape));
    params_.push_back(p);
  }
}

Tensor ParamArena::param(const std::string& name) const {
  for (size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].name == name) return params_[i];
  PA_CHECK(false, "no parameter named '" << name << "'");
  return {};
}

ParamArena ParamArena::to(Device dev) const {
  ParamArena a = *this;
  a.data_ = data_.to(dev);
  a.grads_ = grads_.to(dev);
  a.make_views();
  return a;
}
ParamArena ParamArena::to(DType dtype) const {
  ParamArena a = *this;
  a.data_ = data_.to(dtype);
  a.grads_ = grads_.to(dtype);
  a.make_views();
  return a;
}

Adam::Adam(ParamArena& arena, const AdamConfig& cfg) : arena_(arena), cfg_(cfg) {
  m_ = Tensor::zeros({arena.numel()}, arena.dtype(), arena.device());
  v_ = Tensor::zeros({arena.numel()}, arena.dtype(), arena.device());
  sumsq_ = Tensor::zeros({1}, arena.dtype(), arena.device());
}

void Adam::step() { step(cfg_.lr); }

void Adam::step(double lr) {
  ++t_;
  kernels::AdamParams a{};
  a.lr = lr;
  a.beta1 = cfg_.beta1;
  a.beta2 = cfg_.beta2;
  a.eps = cfg_.eps;
  a.weight_decay = cfg_.weight_decay;
  a.bc1 = 1.0 - std::pow(cfg_.beta1, double(t_));
  a.bc2 = 1.0 - std::pow(cfg_.beta2, double(t_));
  a.clip_norm = cfg_.clip_norm;
  a.decay_end = arena_.decay_end();
  const int64_t n = arena_.numel();
  Tensor& p = arena_.data();
  const Tensor& g = arena_.grads();
  PA_KERNEL(p, sumsq, g.data<T>(), n, sumsq_.data<T>());
  PA_KERNEL(p, adam, p.data<T>(), m_.data<T>(), v_.data<T>(), g.data<T>(), n, sumsq_.data<T>(), a);
}

double Adam::last_grad_norm() const { return std::sqrt(sumsq_.item()); }

}  // namespace pixelart
