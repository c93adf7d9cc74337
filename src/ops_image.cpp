// src/ops_image.cpp — image preprocessing ops (no gradients). Kernels: kernels/synth.h
// (resample_pixel) and kernels/elementwise.h (premultiply), CPU loops and CUDA kernels.
#include "cpu_ops.h"
#include "internal.h"
#include "pixelart/ops.h"

namespace pixelart {

namespace {
void check_rgba(const char* op, const Tensor& x) {
  detail::check_rank(op, "input", x, 4);
  PA_CHECK(x.dtype() == DType::F32 && x.size(3) == 4, op << ": expects f32 RGBA [N, H, W, 4], got " << x.describe());
}
}  // namespace

Tensor resize_images(const Tensor& x, int64_t H, int64_t W, ResizeFilter f) {
  check_rgba("resize_images", x);
  PA_CHECK(H > 0 && W > 0 && H <= 65536 && W <= 65536, "resize_images: target size " << H << "x" << W);
  const int n = int(x.size(0)), sh = int(x.size(1)), sw = int(x.size(2));
  Tensor y = Tensor::empty({n, H, W, 4}, DType::F32, x.device());
  if (x.device() == Device::CPU) kernels::resize_batch_cpu(x.data<float>(), y.data<float>(), n, sh, sw, int(H), int(W), int(f));
  else PA_ON_CUDA(cuda::resize_batch(x.data<float>(), y.data<float>(), n, sh, sw, int(H), int(W), int(f)));
  return y;
}

Tensor add_center_crop(const Tensor& h, const Tensor& x) {
  detail::check_rank("add_center_crop", "h", h, 4);
  detail::check_float("add_center_crop", "h", h);
  detail::check_rank("add_center_crop", "x", x, 4);
  detail::check_same("add_center_crop", "x", x, h);
  const int64_t n = h.size(0), H = h.size(1), W = h.size(2), C = h.size(3), m = (x.size(1) - H) / 2;
  PA_CHECK(x.size(0) == n && x.size(3) == C && m >= 0 && x.size(1) == H + 2 * m && x.size(2) == W + 2 * m,
           "add_center_crop: x " << x.describe() << " is not h " << h.describe() << " plus an equal margin on every side");
  Tensor y = Tensor::empty(h.shape(), h.dtype(), h.device());
  PA_KERNEL(h, add_center_crop, h.data<T>(), x.data<T>(), y.data<T>(), n, H, W, C, m);
  if (Tape* tape = recording_tape({&h})) {
    y.set_requires_grad(true);
    tape->record([h, y] {  // dh += dy
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dh = h.grad_or_zeros();
      PA_KERNEL(h, axpy, T(1), dy.data<T>(), dh.data<T>(), dy.numel());
    });
  }
  return y;
}

namespace {
// d = x's blocks (to_depth) or x = d's pixels, with the other direction as the gradient.
Tensor space_depth(const Tensor& x, int S, bool to_depth) {
  const char* op = to_depth ? "pixel_unshuffle" : "pixel_shuffle";
  detail::check_rank(op, "input", x, 4);
  detail::check_float(op, "input", x);
  PA_CHECK(S >= 1 && S <= 16, op << ": factor " << S << " must be in 1..16");
  const int64_t n = x.size(0);
  int64_t H, W, C;  // the blocked grid and the pixel channels
  if (to_depth) {
    PA_CHECK(x.size(1) % S == 0 && x.size(2) % S == 0,
             op << ": input " << x.describe() << " is not a whole number of " << S << "x" << S << " blocks");
    H = x.size(1) / S, W = x.size(2) / S, C = x.size(3);
  } else {
    PA_CHECK(x.size(3) % (int64_t(S) * S) == 0, op << ": input " << x.describe() << " has channels that are not a multiple of " << S * S);
    H = x.size(1), W = x.size(2), C = x.size(3) / (int64_t(S) * S);
  }
  const Shape out = to_depth ? Shape{n, H, W, C * S * S} : Shape{n, H * S, W * S, C};
  Tensor y = Tensor::empty(out, x.dtype(), x.device());
  auto run = [=](const Tensor& src, Tensor& dst, bool dir, bool acc) {
    PA_KERNEL(src, space_depth, src.data<T>(), dst.data<T>(), n, H, W, C, S, dir, acc);
  };
  run(x, y, to_depth, false);
  if (Tape* tape = recording_tape({&x})) {
    y.set_requires_grad(true);
    tape->record([x, y, run, to_depth] {  // dx += the other direction of dy
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dx = x.grad_or_zeros();
      run(dy, dx, !to_depth, true);
    });
  }
  return y;
}
}  // namespace

Tensor pixel_unshuffle(const Tensor& x, int S) { return space_depth(x, S, true); }
Tensor pixel_shuffle(const Tensor& x, int S) { return space_depth(x, S, false); }

Tensor project_blocks(const Tensor& pred, const Tensor& target, int S) {
  detail::check_rank("project_blocks", "pred", pred, 4);
  detail::check_float("project_blocks", "pred", pred);
  detail::check_same("project_blocks", "target", target, pred);
  PA_CHECK(target.shape() == pred.shape(), "project_blocks: target " << target.describe() << " is not pred's shape " << pred.describe());
  PA_CHECK(S >= 1 && S <= 16 && pred.size(1) % S == 0 && pred.size(2) % S == 0,
           "project_blocks: " << pred.describe() << " is not a whole number of " << S << "x" << S << " blocks");
  const int64_t n = pred.size(0), H = pred.size(1), W = pred.size(2), C = pred.size(3);
  auto run = [=](const Tensor& a, const Tensor* b, Tensor& y, bool acc) {
    PA_KERNEL(a, project_blocks, a.data<T>(), b ? b->data<T>() : nullptr, y.data<T>(), n, H, W, C, S, acc);
  };
  Tensor y = Tensor::empty(pred.shape(), pred.dtype(), pred.device());
  run(pred, &target, y, false);
  if (Tape* tape = recording_tape({&pred})) {
    y.set_requires_grad(true);
    tape->record([pred, y, run] {  // dpred += dy less its block means
      const Tensor dy = y.grad();
      if (!dy.defined()) return;
      Tensor dp = pred.grad_or_zeros();
      run(dy, nullptr, dp, true);
    });
  }
  return y;
}

namespace {
// A copy of x with an in-place per-pixel kernel applied (CPU loop or CUDA kernel).
Tensor per_pixel(const Tensor& x, const char* op, void (*cpu)(float*, int64_t), void (*gpu)(float*, int64_t)) {
  check_rgba(op, x);
  Tensor y = x.clone();
  if (y.device() == Device::CPU) cpu(y.data<float>(), y.numel() / 4);
  else PA_ON_CUDA(gpu(y.data<float>(), y.numel() / 4));
  return y;
}
}  // namespace

#if defined(PIXELART_WITH_CUDA)
Tensor premultiply(const Tensor& x) { return per_pixel(x, "premultiply", kernels::premultiply_cpu, cuda::premultiply); }
Tensor unpremultiply(const Tensor& x) { return per_pixel(x, "unpremultiply", kernels::unpremultiply_cpu, cuda::unpremultiply); }
#else
Tensor premultiply(const Tensor& x) { return per_pixel(x, "premultiply", kernels::premultiply_cpu, nullptr); }
Tensor unpremultiply(const Tensor& x) { return per_pixel(x, "unpremultiply", kernels::unpremultiply_cpu, nullptr); }
#endif

}  // namespace pixelart
