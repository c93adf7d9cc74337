// kernels/elementwise.h — per-element math of the small ops, shared by elementwise_cpu.cpp and
// elementwise.cu: sigmoid, ReLU's backward mask, bias epilogue.
#pragma once
#include <cmath>

#include "common.h"

namespace pixelart::kernels {

// Numerically stable logistic: never evaluates exp of a large positive number.
//   sigmoid(x) = 1 / (1 + e^-x)          for x >= 0
//              = e^x / (1 + e^x)          for x <  0
template <class T>
PA_HD T sigmoid_fwd(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
// d sigmoid / dx = y (1 - y), written in terms of the saved output y.
template <class T>
PA_HD T sigmoid_bwd(T y, T dy) { return dy * y * (T(1) - y); }

template <class T>
PA_HD T relu_fwd(T x) { return x > T(0) ? x : T(0); }
// ReLU's backward from its saved output: the kink (y == 0) takes gradient 0.
template <class T>
PA_HD T relu_bwd(T y, T dy) { return y > T(0) ? dy : T(0); }

}  // namespace pixelart::kernels
