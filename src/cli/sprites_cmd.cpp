// src/cli/sprites_cmd.cpp — `pixelart sprites`: build a packed sprite set from sources and say
// what was found (tiles, empty tiles skipped, duplicates removed, sprites too large).
#include <cstdio>
#include <fstream>

#include "cli/args.h"
#include "pixelart/image_io.h"
#include "pixelart/sprites.h"

namespace pixelart::cli {
namespace {

constexpr const char* kUsage = R"(usage: pixelart sprites --mode MODE [INPUTS...] -o OUT.sprites [options]

modes:
  sheet     cut each input sheet (PNG, ..., or XPM) into tiles: --tile 16 | --tile 16x24,
            --margin 0, --spacing 0, --key '#476c6c' (background colour; else the sheet's alpha)
  atlas     split each input atlas into alpha-connected sprites of at most --max 32 pixels,
            dropping specks of fewer than --min-pixels 32 opaque pixels (--key: that colour is
            transparent first)
  folder    every image in each input folder is one sprite (--key for RGB images)
  generate  --count N procedural sprites of --size 16 from --seed 1 (no inputs); --holes carves
            1-4 enclosed transparent pockets into each where they fit

options:
  --canvas 16|32   the packed canvas: smaller sprites are centred, larger ones are dropped
  --crop           instead of dropping them, cut sprites larger than the canvas into canvas-sized
                   windows every half canvas (those at least 1/8 opaque)
  --limit N        keep at most N sprites (every k-th, after duplicates are removed)
  --preview PNG    also write a contact sheet of the first 512 sprites
  --overwrite      replace an existing -o or --preview file (default: refused before any work)
)";

bool is_xpm(const std::string& path) {
  std::ifstream f(path);
  std::string first;
  std::getline(f, first);
  return first.find("XPM") != std::string::npos;
}

std::pair<int, int> parse_tile(const std::string& v) {
  const size_t x = v.find('x');
  try {
    if (x == std::string::npos) return {std::stoi(v), std::stoi(v)};
    return {std::stoi(v.substr(0, x)), std::stoi(v.substr(x + 1))};
  } catch (...) {
    throw Error("--tile must be N or WxH, got '" + v + "'", ErrorKind::Usage);
  }
}

}  // namespace

int run_sprites(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"mode", "output", "tile", "margin", "spacing", "key", "max", "min-pixels", "count", "size", "seed", "canvas", "preview", "limit"},
         {"crop", "overwrite", "holes"});
  const std::string mode = a.get("mode", "");
  const std::string out = a.get("output", "");
  if (mode.empty() || out.empty()) throw Error(std::string("--mode and -o are required\n") + kUsage, ErrorKind::Usage);
  {
    std::vector<std::string> outs{out};
    if (a.has("preview")) outs.push_back(a.get("preview", ""));
    refuse_replacing(outs, a.positional(), a.has("overwrite"));
  }
  const int canvas = int(a.get_int("canvas", 16, 4, 256));
  std::optional<Rgb> key;
  if (a.has("key")) key = parse_rgb(a.get("key", ""));
  const auto& inputs = a.positional();
  if (mode != "generate" && inputs.empty()) throw Error("no inputs given for --mode " + mode, ErrorKind::Usage);

  std::vector<Sprite> found;
  int failures = 0;
  auto each_input = [&](auto&& read) {  // one bad input is named and the others go on
    for (const auto& in : inputs) {
      try {
        read(in);
      } catch (const Error& e) {
        std::fprintf(stderr, "pixelart sprites: %s\n", e.what());
        ++failures;
      }
    }
  };
  if (mode == "sheet") {
    SheetSpec spec;
    std::tie(spec.tile_w, spec.tile_h) = parse_tile(a.get("tile", "16"));
    spec.margin = int(a.get_int("margin", 0, 0, 4096));
    spec.spacing = int(a.get_int("spacing", 0, 0, 4096));
    spec.key = key;
    each_input([&](const std::string& in) {
      const Sprite sheet = is_xpm(in) ? read_xpm(in) : read_image(in);
      auto tiles = slice_sheet(sheet, spec, in);
      const int total = ((sheet.width - 2 * spec.margin + spec.spacing) / (spec.tile_w + spec.spacing)) *
                        ((sheet.height - 2 * spec.margin + spec.spacing) / (spec.tile_h + spec.spacing));
      std::printf("%s: %dx%d sheet, %d tiles of %dx%d, %zu non-empty\n", in.c_str(), sheet.width, sheet.height,
                  total, spec.tile_w, spec.tile_h, tiles.size());
      found.insert(found.end(), tiles.begin(), tiles.end());
    });
  } else if (mode == "atlas") {
    const int max = int(a.get_int("max", 32, 1, 1024));
    const int min_pixels = int(a.get_int("min-pixels", 32, 1, 1 << 20));
    each_input([&](const std::string& in) {
      Sprite atlas = is_xpm(in) ? read_xpm(in) : read_image(in);
      if (key) apply_key(atlas, *key);
      int too_big = 0;
      auto parts = split_components(atlas, max, in, &too_big, min_pixels);
      std::printf("%s: %dx%d atlas, %zu sprites of at most %dx%d, %d larger components dropped\n", in.c_str(),
                  atlas.width, atlas.height, parts.size(), max, max, too_big);
      found.insert(found.end(), parts.begin(), parts.end());
    });
  } else if (mode == "folder") {
    each_input([&](const std::string& in) {
      FolderLoad fl = load_sprite_folder(in, key);
      for (const auto& err : fl.errors) std::fprintf(stderr, "pixelart sprites: %s\n", err.c_str());
      failures += int(fl.errors.size());
      std::printf("%s: %zu images read, %zu unreadable\n", in.c_str(), fl.sprites.size(), fl.errors.size());
      found.insert(found.end(), fl.sprites.begin(), fl.sprites.end());
    });
  } else if (mode == "generate") {
    const int64_t count = a.get_int("count", 1000, 1, 10000000);
    const int size = int(a.get_int("size", canvas, 4, 256));
    const uint64_t seed = uint64_t(a.get_int("seed", 1, 0, 1LL << 62));
    const bool holes = a.has("holes");
    for (int64_t i = 0; i < count; ++i) found.push_back(generate_sprite(seed * 1000003ull + uint64_t(i), size, holes));
    std::printf("generated %lld sprites of %dx%d%s from seed %llu\n", (long long)count, size, size,
                holes ? " with enclosed pockets" : "", (unsigned long long)seed);
  } else {
    throw Error("--mode must be sheet, atlas, folder or generate (got '" + mode + "')", ErrorKind::Usage);
  }

  if (a.has("crop")) {
    std::vector<Sprite> cut;
    size_t cropped = 0;
    for (Sprite& s : found) {
      if (s.width > canvas || s.height > canvas) ++cropped;
      for (Sprite& w : crop_windows(s, canvas, std::max(1, canvas / 2))) cut.push_back(std::move(w));
    }
    std::printf("%zu sprites larger than %dx%d cut into windows: %zu sprites\n", cropped, canvas, canvas, cut.size());
    found = std::move(cut);
  }
  const size_t before = found.size();
  found = dedupe(std::move(found));
  const size_t unique = found.size();
  found = thin_out(std::move(found), size_t(a.get_int("limit", 0, 0, 1LL << 40)));
  int rejected = 0;
  const SpriteSet set = SpriteSet::pack(found, canvas, &rejected);
  std::printf("%zu sprites found, %zu duplicates removed, %zu left out by --limit, %d larger than the %dx%d canvas dropped: %lld packed\n",
              before, before - unique, unique - found.size(), rejected, canvas, canvas, (long long)set.size());
  if (set.size() == 0) throw Error("no sprites to write to " + out, ErrorKind::BadInput);
  set.save(out, mode + ": " + std::to_string(inputs.size()) + " input(s)");
  std::printf("wrote %s\n", out.c_str());
  if (a.has("preview")) {
    std::vector<Sprite> first;
    for (int64_t i = 0; i < std::min<int64_t>(set.size(), 512); ++i) first.push_back(set.sprite(i));
    write_png(a.get("preview", ""), make_contact_sheet(first, 32, std::max(32, canvas * 2)), a.has("overwrite") ? Existing::Replace : Existing::Keep);
    std::printf("wrote %s (contact sheet of %zu sprites)\n", a.get("preview", "").c_str(), first.size());
  }
  return failures ? kExitPartial : kExitOk;
}

}  // namespace pixelart::cli
