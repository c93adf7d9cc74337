// src/holdout.cpp — held-out splits by content, content keys and the held-out records of model
// files (include/pixelart/holdout.h).
#include <cstdio>
#include <cstring>
#include <sstream>

#include "json.h"
#include "pixelart/error.h"
#include "pixelart/holdout.h"
#include "pixelart/model_file.h"
#include "rng.h"

namespace pixelart {

uint64_t content_key(const uint8_t* rgba, int64_t width, int64_t height) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  auto eat = [&h](uint8_t b) { h = (h ^ b) * 0x100000001b3ull; };
  for (int64_t v : {width, height})
    for (int k = 0; k < 4; ++k) eat(uint8_t(uint64_t(v) >> (8 * k)));
  for (int64_t p = 0; p < width * height; ++p) {
    const uint8_t* px = rgba + p * 4;
    for (int c = 0; c < 4; ++c) eat(px[3] ? px[c] : 0);
  }
  return h;
}
uint64_t content_key(const Sprite& img) { return content_key(img.rgba.data(), img.width, img.height); }
uint64_t sprite_key(const SpriteSet& set, int64_t i) {
  return content_key(&set.pixels[size_t(i) * size_t(set.canvas) * set.canvas * 4], set.canvas, set.canvas);
}
std::string key_hex(uint64_t key) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)key);
  return buf;
}

namespace {
// A split's decision: the hash's top 53 bits as a number in [0, 1) against the held-out fraction.
bool below(uint64_t h, double fraction) { return double(h >> 11) * (1.0 / 9007199254740992.0) < fraction; }
}  // namespace

bool held_out_sprite(const SpriteSet& set, int64_t i, uint64_t seed, double fraction) {
  const size_t per = size_t(set.canvas) * set.canvas * 4;
  uint64_t h = seed;  // a hash of the sprite's pixels: the split follows the sprite, not its index
  for (size_t k = 0; k < per; k += 4) {
    uint32_t px;
    std::memcpy(&px, &set.pixels[size_t(i) * per + k], 4);
    if (set.pixels[size_t(i) * per + k + 3] == 0) px = 0;  // a transparent pixel's stored colour shows nowhere
    h = kernels::mix64(h ^ px);
  }
  return below(h, fraction);
}

namespace {
template <class HeldOut>
void split_sprites(const SpriteSet& all, HeldOut held_out, SpriteSet* train, SpriteSet* held) {
  train->canvas = held->canvas = all.canvas;
  train->pixels.clear(), train->names.clear(), held->pixels.clear(), held->names.clear();
  const size_t per = size_t(all.canvas) * all.canvas * 4;
  for (int64_t i = 0; i < all.size(); ++i) {
    SpriteSet* dst = held_out(i) ? held : train;
    dst->pixels.insert(dst->pixels.end(), all.pixels.begin() + i * per, all.pixels.begin() + (i + 1) * per);
    dst->names.push_back(all.names[size_t(i)]);
  }
}
}  // namespace

void split_holdout(const SpriteSet& all, double fraction, uint64_t seed, SpriteSet* train, SpriteSet* held) {
  split_sprites(all, [&](int64_t i) { return held_out_sprite(all, i, seed, fraction); }, train, held);
}
void split_holdout(const SpriteSet& all, const std::set<uint64_t>& keys, SpriteSet* train, SpriteSet* held) {
  split_sprites(all, [&](int64_t i) { return keys.count(sprite_key(all, i)) > 0; }, train, held);
}

bool held_out_image(const Sprite& img, uint64_t seed, double fraction) {
  uint64_t h = seed;
  for (size_t k = 0; k < img.rgba.size(); k += 97) h = kernels::mix64(h ^ img.rgba[k] ^ (uint64_t(k) << 8));
  return below(h, fraction);
}

namespace {
std::set<uint64_t> parse_keys(const std::string& text, const std::string& where) {
  std::set<uint64_t> keys;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    char* end = nullptr;
    const unsigned long long k = std::strtoull(line.c_str(), &end, 16);
    if (line.size() != 16 || end != line.c_str() + 16)
      throw Error(where + ": held_out: '" + line + "' is not a 16-digit hex key", ErrorKind::BadInput);
    keys.insert(k);
  }
  return keys;
}
}  // namespace

std::set<uint64_t> holdout_keys(const std::string& path) {
  const SafeTensors st = load_model_file(path);
  const auto fmt = st.metadata.find("format");
  if (fmt != st.metadata.end() && fmt->second == "pixelart-sprites-v1") {
    const SpriteSet set = SpriteSet::load(path);
    std::set<uint64_t> keys;
    for (int64_t i = 0; i < set.size(); ++i) keys.insert(sprite_key(set, i));
    return keys;
  }
  const auto it = st.metadata.find("held_out");
  if (it == st.metadata.end())
    throw Error(path + ": records no held-out set (a model file from before held-out records; for a restorer, its run's "
                "holdout.sprites names the same sprites)",
                ErrorKind::BadInput);
  return parse_keys(it->second, path);
}

bool trained_split(const std::string& model_path, TrainedSplit* split) {
  const SafeTensors st = load_model_file(model_path);
  const auto it = st.metadata.find("train_config");
  if (it == st.metadata.end()) return false;
  const auto held = st.metadata.find("held_out");
  split->has_keys = held != st.metadata.end();
  if (split->has_keys) split->keys = parse_keys(held->second, model_path);
  const json::Value cfg = json::parse(it->second, model_path + " (train_config)");
  if (const json::Value* v = cfg.find("holdout-from")) split->holdout_from = v->s;
  auto number = [&](const char* key, double* out) {
    const json::Value* v = cfg.find(key);
    if (!v) return false;
    try {
      *out = v->kind == json::Value::Num ? v->num : std::stod(v->s);
    } catch (...) {
      return false;
    }
    return true;
  };
  double s = 0;
  if (!number("seed", &s) || !number("holdout", &split->fraction)) return false;
  split->seed = uint64_t(s);
  return true;
}

}  // namespace pixelart
