// tests/testing.cpp — see testing.h.
#include "testing.h"

#include <algorithm>
#include <cmath>

#include "pixelart/ops.h"
#include "pixelart/sprites.h"
#include "rng.h"

namespace pixelart::testing {

double max_abs_error(const std::vector<double>& a, const std::vector<double>& ref) {
  if (a.size() != ref.size()) return INFINITY;
  double err = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(a[i] - ref[i]);
    if (!(d <= err)) err = d;  // also catches NaN
  }
  return err;
}

double rel_error(const std::vector<double>& a, const std::vector<double>& ref) {
  double scale = 1e-30;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  return max_abs_error(a, ref) / scale;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& ref, double rel,
                  const std::string& what) {
  ASSERT_EQ(a.size(), ref.size()) << what << ": sizes differ";
  const double e = rel_error(a, ref);
  if (!(e <= rel)) {
    size_t worst = 0;
    double wd = -1;
    for (size_t i = 0; i < a.size(); ++i)
      if (!(std::abs(a[i] - ref[i]) <= wd)) wd = std::abs(a[i] - ref[i]), worst = i;
    ADD_FAILURE() << what << ": relative error " << e << " > " << rel << " (worst element " << worst
                  << ": " << a[worst] << " vs reference " << ref[worst] << ")";
  }
}
void expect_close(const Tensor& a, const Tensor& ref, double rel, const std::string& what) {
  ASSERT_EQ(a.shape(), ref.shape()) << what;
  expect_close(a.to_vector(), ref.to_vector(), rel, what);
}

static Tensor weights_like(const Tensor& out, uint64_t seed) {
  std::vector<double> r(size_t(out.numel()));
  for (size_t i = 0; i < r.size(); ++i) r[i] = 2.0 * kernels::uniform01(seed, 99, i) - 1.0;
  return Tensor::from_vector(r, out.shape(), out.dtype(), out.device());
}

Tensor forward_backward(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                        const std::vector<Tensor>& inputs, std::vector<Tensor>* grads, uint64_t seed) {
  for (const Tensor& t : inputs)
    if (t.requires_grad()) const_cast<Tensor&>(t).set_grad(Tensor());
  Tape tape;
  Tensor out;
  {
    TapeScope scope(tape);
    out = f(inputs);
    Tensor loss = weighted_sum(out, weights_like(out, seed));
    tape.backward(loss);
  }
  grads->clear();
  for (const Tensor& t : inputs) grads->push_back(t.requires_grad() ? t.grad() : Tensor());
  return out;
}

void gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
               const std::vector<bool>& differentiable, const std::string& what, int max_checks,
               int* kinks_found) {
  std::vector<Tensor> grads;
  const Tensor out = forward_backward(f, inputs, &grads);
  // The finite differences weight the *difference* of the outputs, element by element: the
  // outputs that one input element does not reach cancel exactly, so rounding is that of the
  // elements it moves, not of a sum over all of them (whose rounding, divided by h, depends on the
  // length and order of the sum: with one OpenMP thread it once reached 1e-6 of the floor).
  const std::vector<double> R = weights_like(out, 77).to_vector();
  auto outputs = [&] {
    NoGradGuard ng;
    return f(inputs).to_vector();
  };
  auto weighted_difference = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (size_t k = 0; k < R.size(); ++k) s += R[k] * (a[k] - b[k]);
    return s;
  };
  const std::vector<double> f0 = outputs();  // every probe restores its element exactly
  int kinks = 0, checked = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!differentiable[i]) continue;
    ASSERT_EQ(inputs[i].dtype(), DType::F64) << what;
    ASSERT_TRUE(grads[i].defined()) << what << ": input " << i << " got no gradient";
    const std::vector<double> analytic = grads[i].to_vector();
    double* x = inputs[i].data<double>();
    const int64_t n = inputs[i].numel();
    const int64_t stride = std::max<int64_t>(1, n / max_checks);
    for (int64_t j = 0; j < n; j += stride) {
      const double x0 = x[j], h = kGradCheckStep;
      x[j] = x0 + h;
      const std::vector<double> fp = outputs();
      x[j] = x0 - h;
      const std::vector<double> fm = outputs();
      x[j] = x0;
      const double right = weighted_difference(fp, f0) / h, left = weighted_difference(f0, fm) / h,
                   central = weighted_difference(fp, fm) / (2 * h);
      const double a = analytic[size_t(j)];
      const double scale = std::max({std::abs(a), std::abs(central), kGradCheckFloor});
      ++checked;
      if (std::abs(right - left) > 1e-4 * std::max(1.0, std::abs(central))) {  // a kink
        ++kinks;
        const double tol = 1e-6 * std::max(1.0, std::abs(central));
        EXPECT_GE(a, std::min(left, right) - tol) << what << ": input " << i << " element " << j
                                                  << " at a kink: analytic " << a << " outside [" << left << ", " << right << "]";
        EXPECT_LE(a, std::max(left, right) + tol) << what << ": input " << i << " element " << j
                                                  << " at a kink: analytic " << a << " outside [" << left << ", " << right << "]";
      } else {
        EXPECT_LE(std::abs(a - central) / scale, kGradCheckRel)
            << what << ": input " << i << " element " << j << ": analytic " << a << " vs finite difference " << central;
      }
    }
  }
  if (kinks_found) *kinks_found = kinks;
  ::testing::Test::RecordProperty("finite_difference_checks", checked);
}

namespace {
RestorerConfig narrow_fit_config() {
  RestorerConfig cfg = RestorerConfig::narrow();
  cfg.widths = {8, 16, 32};
  return cfg;
}
AdamConfig narrow_fit_adam() {
  AdamConfig ac;
  ac.lr = 3e-3;
  ac.clip_norm = 1.0;
  return ac;
}
}  // namespace

NarrowFit::NarrowFit(int count, uint64_t first_seed, Precision precision)
    : model_(narrow_fit_config(), 7), opt_(model_.params(), narrow_fit_adam()) {
  model_.set_precision(precision);
  std::vector<Sprite> sprites;
  for (int i = 0; i < count; ++i) sprites.push_back(generate_sprite(first_seed + uint64_t(i), 8));
  sprites_to_pair(sprites, model_.config().scale(), Device::CPU, &x_, &t_);
}

double NarrowFit::step() {
  model_.params().zero_grad();
  Tape tape;
  TapeScope scope(tape);
  pred_ = model_.forward(x_);
  const LossResult loss = composite_loss(pred_, t_, LossWeights());
  tape.backward(loss.total);
  opt_.step();
  return loss.total.item();
}

}  // namespace pixelart::testing
