// catalogue/op_catalogue.h — one catalogue of op cases (ggml's test-backend-ops idea) drives the
// finite-difference gradient checks, the CUDA-vs-CPU parity tests and the kernel benchmarks, so
// nothing is benchmarked that is not tested.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "pixelart/ops.h"
#include "pixelart/tensor.h"

namespace pixelart::testing {

struct InputSpec {
  Shape shape;
  double lo = -1.0, hi = 1.0;  // uniform range
  bool differentiable = true;  // gradient-checked (false: targets, constants)
  int levels = 0;              // >0: quantise to this many values in [lo, hi] (makes ties/kinks)
};

struct OpCase {
  std::string name;
  std::vector<InputSpec> inputs;
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  double flops = 0;         // per call, forward (0: memory-bound op)
  double bytes = 0;         // minimum bytes moved per call, forward
  bool kinks = false;       // inputs sit on kinks/ties on purpose (one-sided FD check)
  bool cuda = true;         // has a CUDA implementation to compare
  bool bench_backward = true;  // benchmark fwd+bwd too (off for the slow direct references)
};

// gtest prints parameters with this (the case's name, not its bytes).
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

enum class CatalogueSize { Test, Bench };
std::vector<OpCase> op_catalogue(CatalogueSize size);

// Inputs for a case: seeded uniform (or quantised) values, converted to dtype, on dev.
std::vector<Tensor> make_inputs(const OpCase& c, uint64_t seed, DType dtype, Device dev);

}  // namespace pixelart::testing
