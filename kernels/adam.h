// kernels/adam.h — AdamW with global-norm clipping, per element; shared by adam_cpu.cpp and
// adam.cu. The whole parameter arena is updated by one loop / one launch.
//   s  = clip_scale(sum of squared grads)          (computed from a device scalar, no host sync)
//   g  = s * grad
//   m  = b1 m + (1-b1) g ;  v = b2 v + (1-b2) g^2
//   p -= lr * ( (m / bc1) / (sqrt(v / bc2) + eps) + wd * p )   wd only for i < decay_end
// bc1 = 1 - b1^t and bc2 = 1 - b2^t are computed on the host.
#pragma once
#include <cmath>

#include "common.h"

namespace pixelart::kernels {

struct AdamParams {
  double lr, beta1, beta2, eps, weight_decay, bc1, bc2, clip_norm;
  int64_t decay_end;
};

// Factor applied to every gradient so that the global norm is at most clip_norm (0: no clip).
template <class T>
PA_HD T clip_scale(T sumsq, double clip_norm) {
  if (!(clip_norm > 0.0)) return T(1);
  const T norm = std::sqrt(sumsq);
  const T c = T(clip_norm);
  return norm > c ? c / (norm + T(1e-6)) : T(1);
}

template <class T>
PA_HD void adam_elem(T& p, T& m, T& v, T grad, T scale, bool decay, const AdamParams& a) {
  const T g = grad * scale;
  m = T(a.beta1) * m + T(1.0 - a.beta1) * g;
  v = T(a.beta2) * v + T(1.0 - a.beta2) * g * g;
  const T mhat = m / T(a.bc1);
  const T vhat = v / T(a.bc2);
  T upd = mhat / (std::sqrt(vhat) + T(a.eps));
  if (decay) upd += T(a.weight_decay) * p;
  p -= T(a.lr) * upd;
}

}  // namespace pixelart::kernels
