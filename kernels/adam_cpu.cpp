// kernels/adam_cpu.cpp — the CPU loop over kernels/adam.h. CUDA twin: adam.cu.
#include "cpu_ops.h"

namespace pixelart::kernels {

template <class T>
void adam_cpu(T* p, T* m, T* v, const T* g, int64_t n, const T* sumsq, const AdamParams& a) {
  const T scale = clip_scale(sumsq[0], a.clip_norm);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) adam_elem(p[i], m[i], v[i], g[i], scale, i < a.decay_end, a);
}

template void adam_cpu<float>(float*, float*, float*, const float*, int64_t, const float*, const AdamParams&);
template void adam_cpu<double>(double*, double*, double*, const double*, int64_t, const double*, const AdamParams&);

}  // namespace pixelart::kernels
