// src/cli/synth_cmd.cpp — `pixelart synth`: write damaged/clean training pairs and a contact
// sheet to look at, from packed sprite sets or procedural sprites.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "cli/args.h"
#include "pixelart/files.h"
#include "pixelart/image_io.h"
#include "pixelart/postprocess.h"
#include "pixelart/synth.h"
#include "pixelart/train_run.h"

namespace pixelart::cli {

constexpr const char* kUsage = R"(usage: pixelart synth --data SRC [-n 16] -o DIR [--preset hard|original|none|user] [--seed 1] [--size 256]
       [--canvas 16] [--device D] [--overwrite]
  damaged/clean training pairs as PNGs in DIR, damage.txt (what was done to each) and contact.png
  --data SRC     packed .sprites files (pixelart sprites), folders of sprite images, gen:COUNT and
                 holes:COUNT (procedural sprites, with enclosed pockets), comma-separated
                 (default gen:256)
  -n N           pairs (default 16)
  --preset P     the damage: hard (default), original, none, or user (hard damage at native
                 pitches of 3 to 16, then aligned onto the canonical lattice as restore does)
  --seed S       the sprites and damage drawn (default 1)
  --size S       the damaged image's side in pixels (default 256)
  --canvas C     the sprite canvas in pixels (default 16)
  --device D     auto (default), cpu or cuda
  --overwrite    replace existing files of those names in DIR (default: refused before any work))";

int run_synth(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"data", "n", "output", "preset", "seed", "size", "canvas", "device"}, {"overwrite"});
  if (!a.has("output")) throw Error(kUsage, ErrorKind::Usage);
  a.no_positional("synth");
  const Device dev = parse_device(a.get("device", "auto"));
  const int n = int(a.get_int("n", 16, 1, 100000));
  const int canvas = int(a.get_int("canvas", 16, 4, 256));
  const int size = int(a.get_int("size", 256, 16, 4096));
  const uint64_t seed = uint64_t(a.get_int("seed", 1, 0, 1LL << 62));
  const DamageConfig cfg = DamageConfig::preset(a.get("preset", "hard"));
  const SpriteSet set = load_sprite_sources(a.get("data", "gen:256"), canvas, seed);
  const std::string dir = a.get("output", "");
  {
    std::vector<std::string> outs{dir + "/damage.txt", dir + "/contact.png"};
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%05d", i);
      outs.push_back(dir + "/" + name + "_input.png");
      outs.push_back(dir + "/" + name + "_target.png");
    }
    refuse_replacing(outs, split_commas(a.get("data", "gen:256")), a.has("overwrite"));
  }
  std::filesystem::create_directories(dir);

  Synthesizer synth(set, size, cfg, dev);
  Tensor in, tg;
  const auto t0 = std::chrono::steady_clock::now();
  synth.generate(seed, 0, n, &in, &tg);
  synchronize(dev);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string log;  // damage.txt
  const auto iv = in.to_vector(), tv = tg.to_vector();
  std::vector<Sprite> sheet;
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%05d", i);
    const Sprite input = image_from_values(iv, i, size, size), target = image_from_values(tv, i, canvas, canvas);
    const Existing existing = a.has("overwrite") ? Existing::Replace : Existing::Keep;
    write_png(dir + "/" + name + "_input.png", input, existing);
    write_png(dir + "/" + name + "_target.png", target, existing);
    log += std::string(name) + ": " + synth.describe(i) + " (" + set.names[size_t(synth.sample_sprite(i))] + ")\n";
    if (sheet.size() < 64) {
      sheet.push_back(input);
      sheet.push_back(target);
    }
  }
  write_file_whole(dir + "/damage.txt", log);
  write_png(dir + "/contact.png", make_contact_sheet(sheet, 8, 160));
  std::printf("synth: %d pairs (%dx%d inputs, %dx%d targets) from %lld sprites, preset %s, seed %llu, on %s in %.1f ms\n"
              "wrote %s/NNNNN_input.png, _target.png, damage.txt and contact.png\n",
              n, size, size, canvas, canvas, (long long)set.size(), a.get("preset", "hard").c_str(),
              (unsigned long long)seed, to_string(dev), ms, dir.c_str());
  return kExitOk;
}

}  // namespace pixelart::cli
