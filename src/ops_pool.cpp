// src/ops_pool.cpp — max_pool2x2's door. Kernels: kernels/pool.h (math), pool_cpu.cpp, pool.cu.
#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {

Tensor max_pool2x2(const Tensor& x) {
  detail::check_rank("max_pool2x2", "input", x, 4);
  detail::check_float("max_pool2x2", "input", x);
  const kernels::PoolShape s{x.size(0), x.size(1), x.size(2), x.size(3)};
  PA_CHECK(s.Ho() > 0 && s.Wo() > 0, "max_pool2x2: input " << x.describe() << " is smaller than 2x2");
  Tensor y = Tensor::empty({s.N, s.Ho(), s.Wo(), s.C}, x.dtype(), x.device());
  Tensor arg = Tensor::empty({s.N, s.Ho(), s.Wo(), s.C}, DType::U8, x.device());  // window index 0..3
  PA_KERNEL(x, maxpool2x2_forward, x.data<T>(), y.data<T>(), arg.data<uint8_t>(), s);
  if (Tape* tape = recording_tape({&x})) {
    y.set_requires_grad(true);
    tape->record([x, y, arg, s] {
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dx = x.grad_or_zeros();
      PA_KERNEL(x, maxpool2x2_backward, dy.data<T>(), arg.data<uint8_t>(), dx.data<T>(), s);
    });
  }
  return y;
}

}  // namespace pixelart
