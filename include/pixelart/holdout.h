// pixelart/holdout.h — what a training run keeps out of training, and how a later run or an
// evaluation finds the same: splits by content (never by index, so they survive reordering and
// re-packing), content keys, and the held-out record a model file carries.
#pragma once
#include <cstdint>
#include <set>
#include <string>

#include "pixelart/sprites.h"

namespace pixelart {

// Splits a set by sprite: each sprite goes to the held-out part with probability `fraction`,
// decided by hash(seed, sprite content), so the split survives reordering and re-packing.
void split_holdout(const SpriteSet& all, double fraction, uint64_t seed, SpriteSet* train, SpriteSet* held);
bool held_out_sprite(const SpriteSet& set, int64_t i, uint64_t seed, double fraction);  // sprite i's side of it
// The split --holdout-from gives: exactly the sprites whose sprite_key is in `keys` are held out.
void split_holdout(const SpriteSet& all, const std::set<uint64_t>& keys, SpriteSet* train, SpriteSet* held);

// The upscaler's split, image by image: held out with probability `fraction`, decided by
// hash(seed, a sample of the image's pixels).
bool held_out_image(const Sprite& img, uint64_t seed, double fraction);

// The identity of a sprite or image in held-out records: FNV-1a (64 bit) over its width and height
// (4 bytes each, little-endian) and its RGBA bytes, a transparent pixel counted as (0, 0, 0, 0)
// whatever colour it stores (packers differ there, and nothing shows it). As 16 hex digits in files.
uint64_t content_key(const uint8_t* rgba, int64_t width, int64_t height);
uint64_t content_key(const Sprite& img);
uint64_t sprite_key(const SpriteSet& set, int64_t i);  // sprite i on its canvas
std::string key_hex(uint64_t key);

// The held-out split of the run that trained a model file: --seed and --holdout from the
// train_config in its metadata, and the keys of what it held out (metadata
// "held_out", one key_hex per line; has_keys false for older files). False if it records no
// split. For `train --init MODEL`: a run with another split would train on MODEL's held-out data,
// and figures on them would flatter it.
struct TrainedSplit {
  uint64_t seed = 0;
  double fraction = 0;
  std::string holdout_from;    // the run's own --holdout-from, if any
  bool has_keys = false;
  std::set<uint64_t> keys;
};
bool trained_split(const std::string& model_path, TrainedSplit* split);
// The keys a --holdout-from names: a model file's recorded held-out set, or a .sprites file's sprites.
std::set<uint64_t> holdout_keys(const std::string& path);

}  // namespace pixelart
