// src/sprites.cpp — sprite sources (include/pixelart/sprites.h).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "pixelart/safetensors.h"
#include "pixelart/sprites.h"
#include "rng.h"

namespace pixelart {

bool Sprite::empty() const {
  for (size_t i = 3; i < rgba.size(); i += 4)
    if (rgba[i]) return false;
  return true;
}

Rgb parse_rgb(const std::string& hex) {
  std::string h = hex[0] == '#' ? hex.substr(1) : hex;
  if (h.size() == 3) h = {h[0], h[0], h[1], h[1], h[2], h[2]};
  if (h.size() != 6 || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw Error("not a colour: '" + hex + "' (expected #rrggbb)", ErrorKind::Usage);
  const unsigned v = unsigned(std::stoul(h, nullptr, 16));
  return {uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
}

void apply_key(Sprite& s, Rgb key) {
  for (size_t i = 0; i < s.rgba.size(); i += 4)
    if (s.rgba[i] == key.r && s.rgba[i + 1] == key.g && s.rgba[i + 2] == key.b)
      s.rgba[i] = s.rgba[i + 1] = s.rgba[i + 2] = s.rgba[i + 3] = 0;
}

void canonicalise_transparent(Sprite& s) {
  for (size_t i = 0; i < s.rgba.size(); i += 4)
    if (s.rgba[i + 3] == 0) s.rgba[i] = s.rgba[i + 1] = s.rgba[i + 2] = 0;
}

// ---- XPM ---------------------------------------------------------------------------------------
namespace {
// X11's GrayN / GreyN (N = 0..100: N percent of white, rounded as X11's rgb.txt rounds it), or -1.
int x11_grey(const std::string& v) {
  std::string l;
  for (char c : v) l += char(std::tolower(static_cast<unsigned char>(c)));
  if (l.size() < 5 || (l.rfind("gray", 0) != 0 && l.rfind("grey", 0) != 0)) return -1;
  const std::string n = l.substr(4);
  if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos) return -1;
  const int pct = std::stoi(n);
  return pct > 100 ? -1 : int(std::lround(pct * 2.55));
}
// The X11 names XPM files of old games use for plain colours.
std::optional<Rgb> x11_basic_colour(const std::string& v) {
  std::string l;
  for (char c : v) l += char(std::tolower(static_cast<unsigned char>(c)));
  static const std::map<std::string, Rgb> names = {
      {"black", {0, 0, 0}},       {"white", {255, 255, 255}}, {"red", {255, 0, 0}},    {"green", {0, 255, 0}},
      {"blue", {0, 0, 255}},      {"yellow", {255, 255, 0}},  {"cyan", {0, 255, 255}}, {"magenta", {255, 0, 255}},
      {"gray", {190, 190, 190}},  {"grey", {190, 190, 190}},  {"orange", {255, 165, 0}}, {"brown", {165, 42, 42}}};
  const auto it = names.find(l);
  if (it == names.end()) return std::nullopt;
  return it->second;
}
}  // namespace

Sprite read_xpm(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("cannot open " + path + ": " + std::strerror(errno), ErrorKind::BadInput);
  auto bad = [&](int line, const std::string& what) -> Error {
    return Error(path + ":" + std::to_string(line) + ": not a valid XPM: " + what, ErrorKind::BadInput);
  };
  std::vector<std::pair<int, std::string>> strings;  // the quoted strings, with their line numbers
  std::string line;
  int ln = 0;
  while (std::getline(f, line)) {
    ++ln;
    const size_t a = line.find('"');
    if (a == std::string::npos) continue;
    const size_t b = line.find('"', a + 1);
    if (b == std::string::npos) throw bad(ln, "unterminated string");
    strings.emplace_back(ln, line.substr(a + 1, b - a - 1));
  }
  if (strings.empty()) throw bad(ln, "no header string");
  int w = 0, h = 0, ncol = 0, cpp = 0;
  {
    std::istringstream hs(strings[0].second);
    if (!(hs >> w >> h >> ncol >> cpp) || w <= 0 || h <= 0 || ncol <= 0 || cpp <= 0 || cpp > 4 ||
        w > 65536 || h > 65536)
      throw bad(strings[0].first, "header '" + strings[0].second + "' is not 'width height colours chars-per-pixel'");
  }
  if (int64_t(strings.size()) < 1 + int64_t(ncol) + h)
    throw bad(ln, "expected " + std::to_string(ncol) + " colours and " + std::to_string(h) + " rows, found " +
                      std::to_string(strings.size() - 1) + " strings");
  std::map<std::string, std::array<uint8_t, 4>> colours;
  for (int i = 1; i <= ncol; ++i) {
    const auto& [cl, s] = strings[size_t(i)];
    if (int(s.size()) < cpp) throw bad(cl, "short colour line");
    const std::string code = s.substr(0, size_t(cpp));
    std::istringstream cs(s.substr(size_t(cpp)));
    std::string key, value;
    std::array<uint8_t, 4> rgba{0, 0, 0, 0};
    bool found = false;
    while (cs >> key >> value) {
      if (key != "c") continue;  // other visuals (m, g, s) are not needed
      if (value == "None" || value == "none") found = true;
      else if (value[0] == '#') {
        Rgb c;
        try {
          c = parse_rgb(value.size() == 13 ? "#" + value.substr(1, 2) + value.substr(5, 2) + value.substr(9, 2) : value);
        } catch (const Error&) {  // parse_rgb's own message is for a flag: this one names the file and line
          throw bad(cl, "colour '" + value + "' is not #rgb, #rrggbb, #rrrrggggbbbb or None");
        }
        rgba = {c.r, c.g, c.b, 255};
        found = true;
      } else if (const int grey = x11_grey(value); grey >= 0) {
        rgba = {uint8_t(grey), uint8_t(grey), uint8_t(grey), 255};
        found = true;
      } else if (auto named = x11_basic_colour(value)) {
        rgba = {named->r, named->g, named->b, 255};
        found = true;
      } else {
        throw bad(cl, "colour '" + value + "' is not #rrggbb, None, GrayN or a basic X11 colour name");
      }
    }
    if (!found) throw bad(cl, "no 'c' colour for code '" + code + "'");
    colours[code] = rgba;
  }
  Sprite img;
  img.width = w;
  img.height = h;
  img.name = path;
  img.rgba.resize(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y) {
    const auto& [rl, row] = strings[size_t(1 + ncol + y)];
    if (int64_t(row.size()) != int64_t(w) * cpp) throw bad(rl, "row " + std::to_string(y) + " has " + std::to_string(row.size()) + " characters, expected " + std::to_string(w * cpp));
    for (int x = 0; x < w; ++x) {
      auto it = colours.find(row.substr(size_t(x) * cpp, size_t(cpp)));
      if (it == colours.end()) throw bad(rl, "undefined colour code in row " + std::to_string(y));
      std::memcpy(img.px(x, y), it->second.data(), 4);
    }
  }
  return img;
}

// ---- sheets and atlases ------------------------------------------------------------------------
std::vector<Sprite> slice_sheet(const Sprite& sheet, const SheetSpec& sp, const std::string& source) {
  if (sp.tile_w <= 0 || sp.tile_h <= 0 || sp.margin < 0 || sp.spacing < 0)
    throw Error(source + ": tile size must be positive and margin/spacing non-negative", ErrorKind::Usage);
  auto count = [&](int extent, int tile, const char* axis) {
    const int inner = extent - 2 * sp.margin + sp.spacing;
    if (inner <= 0 || inner % (tile + sp.spacing) != 0)
      throw Error(source + ": a " + axis + " of " + std::to_string(extent) + " px does not divide into tiles of " +
                      std::to_string(tile) + " px with margin " + std::to_string(sp.margin) + " and spacing " +
                      std::to_string(sp.spacing) + " (wrong tile size?)",
                  ErrorKind::BadInput);
    return inner / (tile + sp.spacing);
  };
  const int nx = count(sheet.width, sp.tile_w, "width"), ny = count(sheet.height, sp.tile_h, "height");
  std::vector<Sprite> out;
  for (int ty = 0; ty < ny; ++ty)
    for (int tx = 0; tx < nx; ++tx) {
      Sprite t;
      t.width = sp.tile_w;
      t.height = sp.tile_h;
      t.name = source + "#" + std::to_string(ty * nx + tx);
      t.rgba.resize(size_t(sp.tile_w) * sp.tile_h * 4);
      const int x0 = sp.margin + tx * (sp.tile_w + sp.spacing), y0 = sp.margin + ty * (sp.tile_h + sp.spacing);
      for (int y = 0; y < sp.tile_h; ++y) std::memcpy(t.px(0, y), sheet.px(x0, y0 + y), size_t(sp.tile_w) * 4);
      if (sp.key) apply_key(t, *sp.key);
      if (!t.empty()) out.push_back(std::move(t));
    }
  return out;
}

std::vector<Sprite> split_components(const Sprite& atlas, int max_size, const std::string& source,
                                     int* too_big, int min_pixels) {
  const int W = atlas.width, H = atlas.height;
  std::vector<int> label(size_t(W) * H, -1);
  std::vector<Sprite> out;
  int big = 0, next = 0;
  std::vector<int> stack, members;
  for (int y0 = 0; y0 < H; ++y0)
    for (int x0 = 0; x0 < W; ++x0) {
      if (atlas.px(x0, y0)[3] == 0 || label[size_t(y0) * W + x0] >= 0) continue;
      const int id = next++;
      int minx = x0, maxx = x0, miny = y0, maxy = y0;
      members.clear();
      stack.assign(1, y0 * W + x0);
      label[size_t(y0) * W + x0] = id;
      while (!stack.empty()) {  // flood fill over 8-neighbours with alpha > 0
        const int p = stack.back();
        stack.pop_back();
        members.push_back(p);
        const int px = p % W, py = p / W;
        minx = std::min(minx, px), maxx = std::max(maxx, px), miny = std::min(miny, py), maxy = std::max(maxy, py);
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = px + dx, ny = py + dy;
            if (nx < 0 || ny < 0 || nx >= W || ny >= H) continue;
            const size_t q = size_t(ny) * W + nx;
            if (label[q] >= 0 || atlas.rgba[q * 4 + 3] == 0) continue;
            label[q] = id;
            stack.push_back(int(q));
          }
      }
      const int w = maxx - minx + 1, h = maxy - miny + 1;
      if (w > max_size || h > max_size) { ++big; continue; }
      if (int(members.size()) < min_pixels) continue;
      Sprite s;
      s.width = w;
      s.height = h;
      s.name = source + "@" + std::to_string(minx) + "," + std::to_string(miny);
      s.rgba.assign(size_t(w) * h * 4, 0);
      for (int p : members) std::memcpy(s.px(p % W - minx, p / W - miny), &atlas.rgba[size_t(p) * 4], 4);
      out.push_back(std::move(s));
    }
  if (too_big) *too_big = big;
  return out;
}

std::vector<Sprite> dedupe(std::vector<Sprite> sprites) {
  std::unordered_set<std::string> seen;
  std::vector<Sprite> out;
  for (Sprite& s : sprites) {
    canonicalise_transparent(s);
    std::string key(reinterpret_cast<const char*>(s.rgba.data()), s.rgba.size());
    key += std::to_string(s.width) + "x" + std::to_string(s.height);
    if (seen.insert(std::move(key)).second) out.push_back(std::move(s));
  }
  return out;
}

// ---- procedural sprites --------------------------------------------------------------------------
namespace {
struct Rng {  // counter-based: (seed, draw number) -> number, as kernels/rng.h
  uint64_t seed, n = 0;
  float uniform() { return kernels::uniform01(seed, 0x5eed, n++); }
  int below(int k) { return std::min(k - 1, int(uniform() * float(k))); }
};
}  // namespace

Sprite generate_sprite(uint64_t seed, int size, bool holes) {
  PA_CHECK(size >= 4, "generate_sprite: size " << size << " is too small (at least 4)");
  Rng r{seed};
  Sprite s;
  s.width = s.height = size;
  s.name = (holes ? "generated-holes#" : "generated#") + std::to_string(seed);
  s.rgba.assign(size_t(size) * size * 4, 0);
  // Palette: 2-15 fill colours (ramps of light and dark shades of a few hues) plus an outline.
  const int ncol = 2 + r.below(14);
  std::vector<std::array<uint8_t, 3>> pal(static_cast<size_t>(ncol));
  for (int i = 0; i < ncol; ++i) {
    if (i % 3 == 0 || i == 0) {
      for (auto& ch : pal[size_t(i)]) ch = uint8_t(40 + r.below(216));
    } else {  // a shade of the previous hue
      const float k = 0.55f + 0.3f * r.uniform();
      for (int c = 0; c < 3; ++c) pal[size_t(i)][size_t(c)] = uint8_t(float(pal[size_t(i - 1)][size_t(c)]) * k);
    }
  }
  const std::array<uint8_t, 3> outline{uint8_t(r.below(48)), uint8_t(r.below(48)), uint8_t(r.below(48))};
  // Shape: a union of 2-5 ellipses and rectangles, mirrored left-right; colour by region.
  std::vector<int> mask(size_t(size) * size, -1);
  const int nshapes = 2 + r.below(4);
  const int half = (size + 1) / 2;
  for (int k = 0; k < nshapes; ++k) {
    const float cx = 0.2f * size + r.uniform() * 0.35f * size, cy = 0.15f * size + r.uniform() * 0.7f * size;
    const float rx = 1.5f + r.uniform() * 0.3f * size, ry = 1.5f + r.uniform() * 0.35f * size;
    const bool rect = r.uniform() < 0.4f;
    const int col = r.below(ncol);
    for (int y = 1; y < size - 1; ++y)
      for (int x = 1; x < half; ++x) {
        const float dx = (x + 0.5f - cx) / rx, dy = (y + 0.5f - cy) / ry;
        const bool in = rect ? (std::abs(dx) <= 1 && std::abs(dy) <= 1) : (dx * dx + dy * dy <= 1);
        if (in) mask[size_t(y) * size + x] = mask[size_t(y) * size + (size - 1 - x)] = col;
      }
  }
  // Speckles of detail inside, then an outline around the filled region.
  for (int i = 0; i < size; ++i) {
    const int x = 1 + r.below(half - 1), y = 1 + r.below(size - 2);
    if (mask[size_t(y) * size + x] >= 0) mask[size_t(y) * size + x] = mask[size_t(y) * size + (size - 1 - x)] = r.below(ncol);
  }
  // Enclosed pockets (the gap between an arm and a body, the inside of a ring), drawn from their
  // own stream so that the sprite without them is the same: 1-4 ellipses or rectangles of 1 to 5
  // pixels across, each carved only where it and a ring of one pixel around it lie inside the
  // shape (up to 32 placements tried), mirrored or not; the shape's pixels that touch a pocket
  // take the outline colour or keep their fill.
  constexpr int kHole = -2;
  bool ring_outlined = false;
  if (holes) {
    Rng h{seed ^ 0x686f6c6573ull};
    const int count = 1 + h.below(4);
    const bool mirrored = h.uniform() < 0.5f;
    ring_outlined = h.uniform() < 0.6f;
    for (int carved = 0, attempt = 0; carved < count && attempt < 32; ++attempt) {
      const float ux = h.uniform(), uy = h.uniform();  // small pockets more often than large
      const float rx = 0.5f + 2.0f * ux * ux, ry = 0.5f + 2.0f * uy * uy;
      const bool rect = h.uniform() < 0.4f;
      const float cx = 1.0f + h.uniform() * float(size - 2), cy = 1.0f + h.uniform() * float(size - 2);
      std::vector<int> cells;
      for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
          const float dx = (x + 0.5f - cx) / rx, dy = (y + 0.5f - cy) / ry;
          const bool in = rect ? (std::abs(dx) <= 1 && std::abs(dy) <= 1) : (dx * dx + dy * dy <= 1);
          if (!in) continue;
          cells.push_back(y * size + x);
          if (mirrored) cells.push_back(y * size + (size - 1 - x));
        }
      bool enclosed = !cells.empty();
      for (size_t i = 0; i < cells.size() && enclosed; ++i) {
        const int x = cells[i] % size, y = cells[i] / size;
        for (int dy = -1; dy <= 1 && enclosed; ++dy)
          for (int dx = -1; dx <= 1 && enclosed; ++dx) {
            const int nx = x + dx, ny = y + dy;
            const bool in_cells = std::find(cells.begin(), cells.end(), ny * size + nx) != cells.end();
            enclosed = nx >= 0 && ny >= 0 && nx < size && ny < size &&
                       (mask[size_t(ny) * size + nx] >= 0 || in_cells);
          }
      }
      if (!enclosed) continue;
      for (int c : cells) mask[size_t(c)] = kHole;
      ++carved;
    }
  }
  auto touches_hole = [&](int x, int y) {
    for (int d = 0; d < 4; ++d) {
      const int nx = x + (d == 0) - (d == 1), ny = y + (d == 2) - (d == 3);
      if (nx >= 0 && ny >= 0 && nx < size && ny < size && mask[size_t(ny) * size + nx] == kHole) return true;
    }
    return false;
  };
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      uint8_t* px = s.px(x, y);
      const int m = mask[size_t(y) * size + x];
      if (m == kHole) continue;
      if (m >= 0 && ring_outlined && touches_hole(x, y)) {
        std::memcpy(px, outline.data(), 3);
        px[3] = 255;
        continue;
      }
      if (m >= 0) {
        std::memcpy(px, pal[size_t(m)].data(), 3);
        px[3] = 255;
        continue;
      }
      bool edge = false;
      for (int d = 0; d < 4 && !edge; ++d) {
        const int nx = x + (d == 0) - (d == 1), ny = y + (d == 2) - (d == 3);
        edge = nx >= 0 && ny >= 0 && nx < size && ny < size && mask[size_t(ny) * size + nx] >= 0;
      }
      if (edge) {
        std::memcpy(px, outline.data(), 3);
        px[3] = 255;
      }
    }
  return s;
}

// ---- the packed set ------------------------------------------------------------------------------
std::vector<Sprite> crop_windows(const Sprite& s, int size, int stride, double min_opaque) {
  PA_CHECK(size > 0 && stride > 0, "crop_windows: size " << size << ", stride " << stride);
  if (s.width <= size && s.height <= size) return {s};
  auto starts = [&](int n) {
    std::vector<int> v;
    if (n <= size) return std::vector<int>{0};
    for (int o = 0; o + size < n; o += stride) v.push_back(o);
    v.push_back(n - size);
    return v;
  };
  std::vector<Sprite> out;
  for (int oy : starts(s.height))
    for (int ox : starts(s.width)) {
      Sprite w;
      w.width = std::min(size, s.width), w.height = std::min(size, s.height);
      w.name = s.name + "@" + std::to_string(ox) + "," + std::to_string(oy);
      w.rgba.resize(size_t(w.width) * w.height * 4);
      int opaque = 0;
      for (int y = 0; y < w.height; ++y)
        for (int x = 0; x < w.width; ++x) {
          std::memcpy(w.px(x, y), s.px(ox + x, oy + y), 4);
          opaque += w.px(x, y)[3] >= 128;
        }
      if (opaque >= min_opaque * w.width * w.height) out.push_back(std::move(w));
    }
  return out;
}

std::vector<Sprite> thin_out(std::vector<Sprite> sprites, size_t limit) {
  if (limit == 0 || sprites.size() <= limit) return sprites;
  std::vector<Sprite> out;
  out.reserve(limit);
  for (size_t i = 0; i < limit; ++i) out.push_back(std::move(sprites[i * sprites.size() / limit]));
  return out;
}

SpriteSet SpriteSet::pack(const std::vector<Sprite>& sprites, int canvas, int* rejected) {
  PA_CHECK(canvas > 0 && canvas <= 1024, "SpriteSet: canvas " << canvas);
  SpriteSet set;
  set.canvas = canvas;
  int rej = 0;
  const size_t per = size_t(canvas) * canvas * 4;
  for (const Sprite& s : sprites) {
    if (s.width > canvas || s.height > canvas) { ++rej; continue; }
    const size_t base = set.pixels.size();
    set.pixels.resize(base + per, 0);
    const int ox = (canvas - s.width) / 2, oy = (canvas - s.height) / 2;
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x) {
        const uint8_t* p = s.px(x, y);
        if (p[3]) std::memcpy(&set.pixels[base + (size_t(oy + y) * canvas + ox + x) * 4], p, 4);  // else (0,0,0,0)
      }
    set.names.push_back(s.name);
  }
  if (rejected) *rejected = rej;
  return set;
}

void SpriteSet::append(const SpriteSet& o) {
  PA_CHECK(o.canvas == canvas || o.size() == 0, "SpriteSet::append: canvas " << o.canvas << " into " << canvas);
  pixels.insert(pixels.end(), o.pixels.begin(), o.pixels.end());
  names.insert(names.end(), o.names.begin(), o.names.end());
}

Sprite SpriteSet::sprite(int64_t i) const {
  PA_CHECK(i >= 0 && i < size(), "SpriteSet: index " << i << " of " << size());
  Sprite s;
  s.width = s.height = canvas;
  s.name = names[size_t(i)];
  const size_t per = size_t(canvas) * canvas * 4;
  s.rgba.assign(pixels.begin() + i * per, pixels.begin() + (i + 1) * per);
  return s;
}

Tensor SpriteSet::tensor(Device dev) const {
  Tensor t = Tensor::empty({size(), canvas, canvas, 4}, DType::U8, Device::CPU);
  if (!pixels.empty()) std::memcpy(t.raw(), pixels.data(), pixels.size());
  return t.to(dev);
}

void SpriteSet::save(const std::string& path, const std::string& source) const {
  SafeTensors st;
  st.tensors["sprites"] = tensor(Device::CPU);
  st.metadata["format"] = "pixelart-sprites-v1";
  st.metadata["canvas"] = std::to_string(canvas);
  st.metadata["source"] = source;
  std::string joined;
  for (const auto& n : names) joined += n + "\n";
  st.metadata["names"] = joined;
  save_safetensors(path, st);
}

SpriteSet SpriteSet::load(const std::string& path) {
  const SafeTensors st = load_safetensors(path);
  auto it = st.tensors.find("sprites");
  auto fmt = st.metadata.find("format");
  if (it == st.tensors.end() || fmt == st.metadata.end() || fmt->second != "pixelart-sprites-v1")
    throw Error(path + ": not a pixelart sprite set (no 'sprites' tensor or format metadata)", ErrorKind::BadInput);
  const Tensor& t = it->second;
  if (t.dtype() != DType::U8 || t.dim() != 4 || t.size(1) != t.size(2) || t.size(3) != 4)
    throw Error(path + ": 'sprites' must be u8 [count, canvas, canvas, 4], got " + t.describe(), ErrorKind::BadInput);
  SpriteSet set;
  set.canvas = int(t.size(1));
  set.pixels.assign(t.data<uint8_t>(), t.data<uint8_t>() + t.numel());
  std::istringstream names(st.metadata.count("names") ? st.metadata.at("names") : "");
  for (std::string n; std::getline(names, n);) set.names.push_back(n);
  set.names.resize(size_t(t.size(0)), path);
  return set;
}

Sprite make_contact_sheet(const std::vector<Sprite>& images, int cols, int cell) {
  PA_CHECK(!images.empty() && cols > 0 && cell > 0, "make_contact_sheet: nothing to show");
  const int pad = 2;
  const int rows = int((images.size() + size_t(cols) - 1) / size_t(cols));
  Sprite out;
  out.width = cols * (cell + pad) + pad;
  out.height = rows * (cell + pad) + pad;
  out.rgba.assign(size_t(out.width) * out.height * 4, 255);
  for (size_t i = 0; i < out.rgba.size(); i += 4) out.rgba[i] = out.rgba[i + 1] = out.rgba[i + 2] = 40;
  for (size_t k = 0; k < images.size(); ++k) {
    const Sprite& im = images[k];
    const int x0 = pad + int(k % size_t(cols)) * (cell + pad), y0 = pad + int(k / size_t(cols)) * (cell + pad);
    for (int y = 0; y < cell; ++y)
      for (int x = 0; x < cell; ++x) {
        // nearest sample of the image, fitted into the cell (aspect kept)
        const int big = std::max(im.width, im.height);
        const int sx = x * big / cell, sy = y * big / cell;
        const uint8_t check = ((x / 8 + y / 8) & 1) ? 200 : 150;
        uint8_t* d = out.px(x0 + x, y0 + y);
        if (sx >= im.width || sy >= im.height) {
          d[0] = d[1] = d[2] = 40;
          continue;
        }
        const uint8_t* p = im.px(sx, sy);
        for (int c = 0; c < 3; ++c) d[c] = uint8_t((p[c] * p[3] + check * (255 - p[3]) + 127) / 255);
      }
  }
  return out;
}

void sprites_to_pair(const std::vector<Sprite>& sprites, int scale, Device dev, Tensor* inputs,
                     Tensor* targets) {
  PA_CHECK(!sprites.empty(), "sprites_to_pair: no sprites");
  const int h = sprites[0].height, w = sprites[0].width;
  const int64_t n = int64_t(sprites.size());
  Tensor in = Tensor::empty({n, int64_t(h) * scale, int64_t(w) * scale, 4});
  Tensor tg = Tensor::empty({n, h, w, 4});
  float* ip = in.data<float>();
  float* tp = tg.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const Sprite& s = sprites[size_t(i)];
    PA_CHECK(s.width == w && s.height == h, "sprites_to_pair: sprites differ in size");
    for (size_t k = 0; k < s.rgba.size(); ++k) tp[size_t(i) * h * w * 4 + k] = s.rgba[k] / 255.f;
    for (int y = 0; y < h * scale; ++y)
      for (int x = 0; x < w * scale; ++x)
        for (int c = 0; c < 4; ++c)
          ip[((i * h * scale + y) * w * scale + x) * 4 + c] = s.rgba[((y / scale) * w + (x / scale)) * 4 + c] / 255.f;
  }
  *inputs = in.to(dev);
  *targets = tg.to(dev);
}

}  // namespace pixelart
