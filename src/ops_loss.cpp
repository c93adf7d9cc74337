// src/ops_loss.cpp — the composite loss's door. Kernels: kernels/loss.h (math), loss_cpu.cpp,
// loss.cu. The loss is one node: its backward is one fused pass over the prediction.
#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {

const char* loss_term_name(int term) {
  static const char* names[kNumLossTerms] = {"mse", "l1", "edge", "alpha"};
  return term >= 0 && term < kNumLossTerms ? names[term] : "?";
}

LossResult composite_loss(const Tensor& pred, const Tensor& target, const LossWeights& weights) {
  const char* op = "composite_loss";
  detail::check_rank(op, "prediction", pred, 4);
  detail::check_float(op, "prediction", pred);
  detail::check_same(op, "target", target, pred);
  PA_CHECK(target.shape() == pred.shape(), "composite_loss: target " << target.describe()
                                               << " does not match prediction " << pred.describe());
  PA_CHECK(weights[kLossAlpha] == 0.0 || pred.size(3) == 4,
           "composite_loss: the alpha term needs 4 channels, got " << pred.describe());
  const kernels::LossShape s{pred.size(0), pred.size(1), pred.size(2), pred.size(3)};
  LossResult r;
  r.terms = Tensor::empty({kNumLossTerms}, pred.dtype(), pred.device());
  r.total = Tensor::empty({1}, pred.dtype(), pred.device());
  PA_KERNEL(pred, loss_forward, pred.data<T>(), target.data<T>(), s, weights.w.data(), r.terms.data<T>(), r.total.data<T>());
  if (Tape* tape = recording_tape({&pred})) {
    r.total.set_requires_grad(true);
    double counts[kNumLossTerms];
    kernels::loss_counts(s, counts);
    kernels::LossCoef coef{};
    for (int k = 0; k < kNumLossTerms; ++k) coef.c[k] = counts[k] > 0 ? weights[k] / counts[k] : 0.0;
    Tensor total = r.total;
    tape->record([pred, target, total, s, coef] {
      const Tensor g = total.grad();
      if (!g.defined()) return;
      Tensor dp = pred.grad_or_zeros();
      PA_KERNEL(pred, loss_backward, pred.data<T>(), target.data<T>(), s, coef, g.data<T>(), dp.data<T>());
    });
  }
  return r;
}

}  // namespace pixelart
