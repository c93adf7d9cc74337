// kernels/loss_cpu.cpp — CPU loops over kernels/loss.h. CUDA twin: loss.cu.
#include "cpu_ops.h"

namespace pixelart::kernels {

template <class T>
void loss_forward_cpu(const T* p, const T* t, const LossShape& s, const double weights[kLossTerms],
                      T* terms, T* total) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;  // one accumulator per term, in double
  const int64_t n = s.numel();
#pragma omp parallel for reduction(+ : a0, a1, a2, a3) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    T c[kLossTerms];
    loss_terms_elem(p, t, i, s, c);
    a0 += c[0];
    a1 += c[1];
    a2 += c[2];
    a3 += c[3];
  }
  double counts[kLossTerms];
  loss_counts(s, counts);
  const double sums[kLossTerms] = {a0, a1, a2, a3};
  double tot = 0;
  for (int k = 0; k < kLossTerms; ++k) {
    const double mean = counts[k] > 0 ? sums[k] / counts[k] : 0.0;
    terms[k] = static_cast<T>(mean);
    tot += weights[k] * mean;
  }
  total[0] = static_cast<T>(tot);
}

template <class T>
void loss_backward_cpu(const T* p, const T* t, const LossShape& s, const LossCoef& coef,
                       const T* gout, T* dp) {
  const T g = gout[0];
  const int64_t n = s.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dp[i] += g * loss_grad_elem(p, t, i, s, coef);
}

template <class T>
void sumsq_cpu(const T* x, int64_t n, T* out) { weighted_sum_cpu(x, x, out, n); }

template void loss_forward_cpu<float>(const float*, const float*, const LossShape&, const double*, float*, float*);
template void loss_forward_cpu<double>(const double*, const double*, const LossShape&, const double*, double*, double*);
template void loss_backward_cpu<float>(const float*, const float*, const LossShape&, const LossCoef&, const float*, float*);
template void loss_backward_cpu<double>(const double*, const double*, const LossShape&, const LossCoef&, const double*, double*);
template void sumsq_cpu<float>(const float*, int64_t, float*);
template void sumsq_cpu<double>(const double*, int64_t, double*);

}  // namespace pixelart::kernels
