// tests/testing.h — helpers shared by the tests: named tolerances, comparisons, the
// finite-difference gradient checker and the device-typed fixture.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "pixelart/autograd.h"
#include "pixelart/optim.h"
#include "pixelart/restorer.h"
#include "pixelart/tensor.h"

namespace pixelart::testing {

// ---- tolerances: each with its reason --------------------------------------------------------
// Finite differences in double: central-difference truncation ~h^2 and rounding ~eps/h with
// h = 1e-6 leave ~1e-9 relative error; the bar is 1e-6.
constexpr double kGradCheckRel = 1e-6;
// Below this magnitude a gradient is compared absolutely (relative error of ~0 is meaningless).
constexpr double kGradCheckFloor = 1e-4;
constexpr double kGradCheckStep = 1e-6;
// fp32 against fp32 with a different summation order: reductions of length K lose ~sqrt(K) ulp;
// our longest (K = 2304, or a 65536-pixel bias sum) stay well inside 1e-4 relative to the
// tensor's own scale.
constexpr double kF32Rel = 1e-4;
// fp32 implementation against the fp64 twin (golden files) through the whole restorer: fp32
// rounding accumulates over four conv layers (reductions up to 2304 long) and the full-size
// model's 65536-pixel first layer; measured worst case 2.4e-4 on the full model's conv1 gradient.
constexpr double kF32vsF64Rel = 1e-3;
// Synthesis on CUDA against the CPU: device and host libm (sinf, expf, logf) differ by ulps,
// which moves a value by one 8-bit level now and then and rarely flips a JPEG coefficient.
constexpr double kSynthMeanAbs = 1e-3;        // mean |cuda - cpu| over all values, [0, 1] scale
constexpr double kSynthFarFraction = 1e-3;    // values differing by more than one level
// Our resampling against cv::resize on float images: the same weights in a different summation
// order (OpenCV sums rows then columns with its own tables), so float rounding only.
constexpr double kResampleVsOpenCV = 1e-4;
// fp64 implementation against the fp64 twin: only summation order differs.
constexpr double kF64Rel = 1e-9;

// max |a - b| (NaN where either has one; infinity where the sizes differ).
double max_abs_error(const std::vector<double>& a, const std::vector<double>& ref);
// max |a - b| / max(max |b|, tiny): the error relative to the reference tensor's scale.
double rel_error(const std::vector<double>& a, const std::vector<double>& ref);
// EXPECT that a matches ref within rel (scale-relative as above); names `what` on failure.
void expect_close(const std::vector<double>& a, const std::vector<double>& ref, double rel,
                  const std::string& what);
void expect_close(const Tensor& a, const Tensor& ref, double rel, const std::string& what);

// Finite-difference check of d(sum(f(inputs) * R))/d(input) for every differentiable input, in
// double. Inputs must be f64 CPU tensors. Where the one-sided differences disagree (a kink:
// ReLU at 0, |d| at 0, a max-pool tie) the analytic value must lie between them (a valid
// subgradient); elsewhere it must match the central difference within kGradCheckRel.
// `max_checks` elements per input are checked (all when the input is smaller).
void gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
               std::vector<Tensor> inputs, const std::vector<bool>& differentiable,
               const std::string& what, int max_checks = 400, int* kinks_found = nullptr);

// Runs f under a fresh tape, backward through sum(out * R) with R seeded, returns out and fills
// grads (one per input; undefined for inputs without requires_grad).
Tensor forward_backward(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                        const std::vector<Tensor>& inputs, std::vector<Tensor>* grads,
                        uint64_t seed = 77);

// The whole training loop at a size CI can afford: the narrow restorer at widths 8-16-32 (8x8
// sprites from 64x64 inputs, seed 7) fitting `count` procedural sprites (seeds first_seed, ...)
// with MSE and AdamW (lr 3e-3, clip 1) on the CPU.
class NarrowFit {
 public:
  NarrowFit(int count, uint64_t first_seed, Precision precision = Precision::FP32);
  NarrowFit(const NarrowFit&) = delete;  // the optimiser holds the model's parameters
  NarrowFit& operator=(const NarrowFit&) = delete;
  double step();  // one training step; returns its loss
  const Tensor& prediction() const { return pred_; }  // the last step's output
  const Tensor& target() const { return t_; }

 private:
  Restorer model_;
  Tensor x_, t_, pred_;
  Adam opt_;
};

// Typed tests over devices (Caffe style): the CUDA instance skips at run time without a GPU.
struct CpuDevice { static constexpr Device value = Device::CPU; };
struct CudaDevice { static constexpr Device value = Device::CUDA; };
using Devices = ::testing::Types<CpuDevice, CudaDevice>;

template <class D>
class OnDevice : public ::testing::Test {
 protected:
  static constexpr Device dev = D::value;
  void SetUp() override {
    if (dev == Device::CUDA && !cuda_available())
      GTEST_SKIP() << "CUDA case skipped: " << cuda_unavailable_reason();
  }
};

#define PA_SKIP_WITHOUT_CUDA()                                                      \
  do {                                                                              \
    if (!::pixelart::cuda_available())                                              \
      GTEST_SKIP() << "needs a GPU: " << ::pixelart::cuda_unavailable_reason();     \
  } while (0)

}  // namespace pixelart::testing
