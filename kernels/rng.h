// kernels/rng.h — a counter-based random generator: the same (seed, stream, counter) gives the
// same number on the CPU and on the GPU, with no state to carry between threads.
#pragma once
#include "common.h"

namespace pixelart::kernels {

// A 64-bit finaliser (splitmix64 / Stafford's mix 13): full avalanche of the counter bits.
PA_HD uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
PA_HD uint64_t hash3(uint64_t seed, uint64_t stream, uint64_t counter) {
  return mix64(mix64(mix64(seed) ^ stream) ^ counter);
}
// Uniform in [0, 1) with 24 random bits (exactly representable in float).
PA_HD float uniform01(uint64_t seed, uint64_t stream, uint64_t counter) {
  return static_cast<float>(hash3(seed, stream, counter) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace pixelart::kernels
