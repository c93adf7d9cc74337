// pixelart/sprites.h — procedural sprites (seeded) and the simplest input/target pairing.
// The generator makes what tests need without any data file: an outlined, left-right symmetric
// shape in a palette of 3-8 colours on a transparent background. The damage pipeline that turns
// a sprite into a realistic training input is a later layer; here a pair is the sprite upscaled
// by nearest neighbour (the input) and the sprite itself (the target).
#pragma once
#include <cstdint>
#include <vector>

#include "pixelart/tensor.h"

namespace pixelart {

struct Sprite {
  int width = 0, height = 0;
  std::vector<uint8_t> rgba;  // height * width * 4, row-major, straight (non-premultiplied) alpha
};

Sprite generate_sprite(uint64_t seed, int size);

// inputs: [N, size*scale, size*scale, 4] nearest-upscaled; targets: [N, size, size, 4]; both f32
// in [0,1], on `dev`.
void sprites_to_pair(const std::vector<Sprite>& sprites, int scale, Device dev, Tensor* inputs,
                     Tensor* targets);

}  // namespace pixelart
