// pixelart/optim.h — the parameter arena and AdamW with global gradient-norm clipping.
//
// All parameters of a model live in one contiguous buffer; their gradients and Adam's two moments
// mirror it (llm.c style). Zeroing gradients is one memset, the optimizer step one fused kernel
// over the arena, a checkpoint one contiguous write. Parameters that take weight decay are laid
// out first, so the kernel decays [0, decay_end) only (biases are not decayed).
#pragma once
#include <string>
#include <vector>

#include "pixelart/tensor.h"

namespace pixelart {

struct ParamSpec {
  std::string name;
  Shape shape;
  bool decay = true;  // weight decay applies (weights yes, biases no)
};

class ParamArena {
 public:
  ParamArena() = default;
  ParamArena(const std::vector<ParamSpec>& specs, DType dtype, Device dev);

  size_t size() const { return specs_.size(); }
  const ParamSpec& spec(size_t i) const { return specs_[i]; }
  Tensor& param(size_t i) { return params_[i]; }        // view into data(); grad() -> grads()
  const Tensor& param(size_t i) const { return params_[i]; }
  Tensor param(const std::string& name) const;
  int64_t numel() const { return numel_; }
  int64_t decay_end() const { return decay_end_; }
  Tensor& data() { return data_; }
  Tensor& grads() { return grads_; }
  const Tensor& data() const { return data_; }
  const Tensor& grads() const { return grads_; }
  DType dtype() const { return data_.dtype(); }
  Device device() const { return data_.device(); }

  void zero_grad() { grads_.fill_(0.0); }
  // Copies values and device to a new arena (e.g. CPU-initialised weights to CUDA, or to F64).
  ParamArena to(Device dev) const;
  ParamArena to(DType dtype) const;

 private:
  void make_views();
  std::vector<ParamSpec> specs_;
  std::vector<int64_t> offsets_;
  std::vector<Tensor> params_;
  Tensor data_, grads_;
  int64_t numel_ = 0, decay_end_ = 0;
};

struct AdamConfig {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.0;  // decoupled (AdamW): p -= lr * wd * p
  double clip_norm = 0.0;     // global gradient-norm clip; 0 = off
};

// AdamW over a whole arena. step() never reads anything back to the host: the gradient norm is
// reduced on the device and the clip factor is applied inside the update kernel. Bias corrections
// 1 - beta^t are computed on the host and passed in.
class Adam {
 public:
  Adam(ParamArena& arena, const AdamConfig& cfg);
  void step();                         // one update with the config's learning rate
  void step(double lr);                // ... with an explicit one (schedules)
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  Tensor& m() { return m_; }
  Tensor& v() { return v_; }
  const Tensor& m() const { return m_; }
  const Tensor& v() const { return v_; }
  // The global L2 norm of the gradients at the last step, before clipping. Reads one number
  // back from the device: call it when logging, not every step.
  double last_grad_norm() const;
  AdamConfig& config() { return cfg_; }

 private:
  ParamArena& arena_;
  AdamConfig cfg_;
  Tensor m_, v_, sumsq_;  // sumsq_: [1], the squared gradient norm of the last step
  int64_t t_ = 0;
};

}  // namespace pixelart
