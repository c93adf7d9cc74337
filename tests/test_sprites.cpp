// tests/test_sprites.cpp — sprite sources on generated data: sheet slicing with key colours,
// margins and spacing, wrong tile sizes; XPM files; alpha components; de-duplication; the packed
// set and its safetensors file, including malformed files.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "pixelart/files.h"
#include "pixelart/safetensors.h"
#include "pixelart/sprites.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

const Rgb kKey{0x47, 0x6c, 0x6c};

// A sheet of `nx` x `ny` generated tiles on a key-coloured background, with margin and spacing;
// tile (1, 0) is left empty (all key colour).
Sprite make_sheet(int tile, int nx, int ny, int margin, int spacing, std::vector<Sprite>* tiles) {
  Sprite sheet;
  sheet.width = 2 * margin + nx * tile + (nx - 1) * spacing;
  sheet.height = 2 * margin + ny * tile + (ny - 1) * spacing;
  sheet.rgba.resize(size_t(sheet.width) * sheet.height * 4);
  for (size_t i = 0; i < sheet.rgba.size(); i += 4) {
    sheet.rgba[i] = kKey.r, sheet.rgba[i + 1] = kKey.g, sheet.rgba[i + 2] = kKey.b, sheet.rgba[i + 3] = 255;
  }
  for (int ty = 0; ty < ny; ++ty)
    for (int tx = 0; tx < nx; ++tx) {
      if (ty == 0 && tx == 1) continue;
      Sprite t = generate_sprite(uint64_t(ty * nx + tx + 10), tile);
      for (int y = 0; y < tile; ++y)
        for (int x = 0; x < tile; ++x)
          if (t.px(x, y)[3]) std::memcpy(sheet.px(margin + tx * (tile + spacing) + x, margin + ty * (tile + spacing) + y), t.px(x, y), 4);
      tiles->push_back(t);
    }
  return sheet;
}

TEST(Sheets, SlicesKeysAndSkipsEmptyTiles) {
  for (auto [margin, spacing] : {std::pair{0, 0}, {2, 1}, {1, 3}}) {
    std::vector<Sprite> expect;
    const Sprite sheet = make_sheet(16, 5, 3, margin, spacing, &expect);
    SheetSpec spec;
    spec.margin = margin;
    spec.spacing = spacing;
    spec.key = kKey;
    const auto tiles = slice_sheet(sheet, spec, "sheet.png");
    ASSERT_EQ(tiles.size(), expect.size()) << "margin " << margin << " spacing " << spacing;
    for (size_t i = 0; i < tiles.size(); ++i) EXPECT_EQ(tiles[i].rgba, expect[i].rgba) << "tile " << i;
  }
}

TEST(Sheets, AWrongTileSizeIsAClearError) {
  std::vector<Sprite> unused;
  const Sprite sheet = make_sheet(16, 4, 2, 0, 0, &unused);  // 64 x 32
  SheetSpec spec;
  spec.tile_w = spec.tile_h = 24;
  try {
    slice_sheet(sheet, spec, "tiles.png");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("tiles.png"), std::string::npos) << m;
    EXPECT_NE(m.find("64 px does not divide into tiles of 24 px"), std::string::npos) << m;
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
  }
  spec.tile_w = spec.tile_h = 0;
  EXPECT_THROW(slice_sheet(sheet, spec, "tiles.png"), Error);
}

TEST(Sheets, DuplicatesAreRemovedOnce) {
  std::vector<Sprite> s{generate_sprite(1, 16), generate_sprite(2, 16), generate_sprite(1, 16)};
  EXPECT_EQ(dedupe(s).size(), 2u);
}

TEST(Xpm, ReadsColoursNoneAndMultiCharCodes) {
  const std::string path = ::testing::TempDir() + "/t.xpm";
  std::ofstream(path) << "/* XPM */\nstatic char* t[] = {\n\"3 2 3 2\",\n\"aa c #ff0000\",\n\"bb c None\",\n"
                         "\"cc c #00f\",\n\"aabbcc\",\n\"ccaabb\"};\n";
  const Sprite s = read_xpm(path);
  ASSERT_EQ(s.width, 3);
  ASSERT_EQ(s.height, 2);
  EXPECT_EQ(std::vector<uint8_t>(s.px(0, 0), s.px(0, 0) + 4), (std::vector<uint8_t>{255, 0, 0, 255}));
  EXPECT_EQ(s.px(1, 0)[3], 0);
  EXPECT_EQ(std::vector<uint8_t>(s.px(0, 1), s.px(0, 1) + 4), (std::vector<uint8_t>{0, 0, 255, 255}));
}

TEST(Xpm, MalformedFilesNameTheFileAndLine) {
  const std::string path = ::testing::TempDir() + "/bad.xpm";
  std::ofstream(path) << "/* XPM */\n\"2 1 1 1\",\n\"a c #00ff00\",\n\"ab\"\n";
  try {
    read_xpm(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":4"), std::string::npos) << e.what();
  }
  // a colour that is not hex (found by fuzzing: the message named neither the file nor the line)
  std::ofstream(path) << "/* XPM */\n\"2 1 1 1\",\n\"a c #00f*00\",\n\"aa\"\n";
  try {
    read_xpm(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(e.what()).find(path + ":3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("#00f*00"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_xpm(::testing::TempDir() + "/missing.xpm"), Error);
}

TEST(Atlas, SplitsAlphaComponentsAndDropsLargeOnes) {
  Sprite atlas;
  atlas.width = 80, atlas.height = 40;
  atlas.rgba.assign(size_t(80) * 40 * 4, 0);
  auto fill = [&](int x0, int y0, int w, int h) {
    for (int y = y0; y < y0 + h; ++y)
      for (int x = x0; x < x0 + w; ++x) atlas.px(x, y)[0] = 200, atlas.px(x, y)[3] = 255;
  };
  fill(1, 1, 10, 12);   // a sprite
  fill(11, 13, 3, 3);   // touches it diagonally: the same component (8-connectivity)
  fill(30, 2, 8, 8);    // a second sprite
  fill(45, 0, 34, 6);   // too wide for max 32
  fill(2, 30, 1, 1);    // a speck
  int too_big = 0;
  const auto parts = split_components(atlas, 32, "atlas.png", &too_big, 4);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].width, 13);
  EXPECT_EQ(parts[0].height, 15);
  EXPECT_EQ(parts[1].width, 8);
  EXPECT_EQ(too_big, 1);
}

TEST(SpriteSet, PacksCentredAndRoundTripsThroughSafetensors) {
  std::vector<Sprite> s{generate_sprite(5, 16), generate_sprite(6, 12), generate_sprite(7, 40)};
  int rejected = 0;
  const SpriteSet set = SpriteSet::pack(s, 16, &rejected);
  EXPECT_EQ(rejected, 1);
  ASSERT_EQ(set.size(), 2);
  const Sprite small = set.sprite(1);  // 12x12 centred at (2, 2)
  EXPECT_EQ(std::vector<uint8_t>(small.px(2, 2), small.px(2, 2) + 4), std::vector<uint8_t>(s[1].px(0, 0), s[1].px(0, 0) + 4));
  EXPECT_EQ(small.px(0, 0)[3], 0);
  const std::string path = ::testing::TempDir() + "/set.sprites";
  set.save(path, "test");
  const SpriteSet back = SpriteSet::load(path);
  EXPECT_EQ(back.canvas, 16);
  EXPECT_EQ(back.pixels, set.pixels);
  EXPECT_EQ(back.names, set.names);
  const Tensor t = back.tensor(Device::CPU);
  EXPECT_EQ(t.describe(), "u8[2,16,16,4]@cpu");
}

// Procedural sprites with holes: the same sprite with enclosed transparent pockets carved into it.
// Every pixel made transparent was opaque and cannot be reached from the border through
// transparent pixels; colours change only next to a pocket (its ring in the outline colour);
// nearly every sprite gets a pocket (NetHack's and Angband's 16 px tiles have one in 35 to 41%).
TEST(GeneratedSprites, HolesAreEnclosedPocketsCarvedIntoTheSameSprite) {
  int with_pocket = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const Sprite plain = generate_sprite(seed, 16), holed = generate_sprite(seed, 16, true);
    ASSERT_EQ(holed.width, 16);
    ASSERT_EQ(holed.height, 16);
    const int n = 16;
    // transparent pixels reachable from the border (4-connected)
    std::vector<char> outside(size_t(n) * n, 0);
    std::vector<int> stack;
    for (int i = 0; i < n; ++i)
      for (int p : {i, (n - 1) * n + i, i * n, i * n + n - 1})
        if (holed.rgba[size_t(p) * 4 + 3] == 0 && !outside[size_t(p)]) outside[size_t(p)] = 1, stack.push_back(p);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int x = p % n, y = p / n;
      for (int d = 0; d < 4; ++d) {
        const int nx = x + (d == 0) - (d == 1), ny = y + (d == 2) - (d == 3);
        if (nx < 0 || ny < 0 || nx >= n || ny >= n) continue;
        const int q = ny * n + nx;
        if (holed.rgba[size_t(q) * 4 + 3] == 0 && !outside[size_t(q)]) outside[size_t(q)] = 1, stack.push_back(q);
      }
    }
    int carved = 0;
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) {
        const uint8_t *a = plain.px(x, y), *b = holed.px(x, y);
        if (b[3] == 0 && a[3] != 0) {
          ++carved;
          EXPECT_FALSE(outside[size_t(y) * n + x]) << "seed " << seed << " (" << x << "," << y << ") is not enclosed";
        } else if (a[3] == 0) {
          EXPECT_EQ(b[3], 0) << "seed " << seed << ": a pocket only removes pixels";
        } else if (std::memcmp(a, b, 4) != 0) {
          bool next_to_pocket = false;
          for (int d = 0; d < 4; ++d) {
            const int nx = x + (d == 0) - (d == 1), ny = y + (d == 2) - (d == 3);
            next_to_pocket |= nx >= 0 && ny >= 0 && nx < n && ny < n && holed.px(nx, ny)[3] == 0 && plain.px(nx, ny)[3] != 0;
          }
          EXPECT_TRUE(next_to_pocket) << "seed " << seed << " (" << x << "," << y << ") changed away from a pocket";
        }
      }
    with_pocket += carved > 0;
  }
  EXPECT_GE(with_pocket, 180) << "of 200";
}

// Files the program writes appear whole or not at all: written beside, then renamed over; a write
// that fails names the file and leaves no temporary behind (nor touches what is there).
TEST(Files, AppearWholeOrNotAtAll) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "whole";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "list.txt").string();
  auto read = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  write_file_whole(path, "old\n");
  EXPECT_EQ(read(path), "old\n");
  write_file_whole(path, std::vector<std::string_view>{"a", "", "bc\n"});
  EXPECT_EQ(read(path), "abc\n");
  // a directory where the file should go: the rename fails, the directory stays, no temporary
  fs::create_directories(dir / "taken");
  try {
    write_file_whole((dir / "taken").string(), "x");
    FAIL() << "writing over a directory must fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "taken").string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(dir / "taken"));
  // a folder that does not exist: nothing is created
  EXPECT_THROW(write_file_whole((dir / "missing" / "x.txt").string(), "x"), Error);
  EXPECT_FALSE(fs::exists(dir / "missing"));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"list.txt", "taken"}));
  EXPECT_EQ(read(path), "abc\n");
}

// Ctrl-C (or SIGTERM) in the middle of a write: the program ends by the signal as it would have,
// and the temporary file being written is gone (write_file_whole holds an InFlightFile on it);
// a file no longer in flight stays.
TEST(FilesDeathTest, AnInterruptedWriteLeavesNoTemporaryFile) {
  namespace fs = std::filesystem;
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const fs::path dir = fs::path(::testing::TempDir()) / "interrupted";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const int sig : {SIGINT, SIGTERM}) {
    const std::string tmp = (dir / ("out.png.tmp" + std::to_string(sig))).string(), done = (dir / "done.tmp").string();
    std::ofstream(tmp) << "half a PNG";
    std::ofstream(done) << "written";
    EXPECT_EXIT(
        {
          { const InFlightFile finished(done); }
          const InFlightFile writing(tmp);
          std::raise(sig);
        },
        ::testing::KilledBySignal(sig), "");
    EXPECT_FALSE(fs::exists(tmp)) << "signal " << sig;
    EXPECT_TRUE(fs::exists(done)) << "signal " << sig;
  }
}

TEST(Safetensors, MalformedFilesAreClearErrorsNeverCrashes) {
  const std::string dir = ::testing::TempDir();
  SafeTensors st;
  st.tensors["w"] = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  st.metadata["note"] = "a \"quoted\" value";
  save_safetensors(dir + "/ok.safetensors", st);
  const SafeTensors back = load_safetensors(dir + "/ok.safetensors");
  EXPECT_EQ(back.tensors.at("w").to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(back.metadata.at("note"), "a \"quoted\" value");

  std::ifstream in(dir + "/ok.safetensors", std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto expect_bad = [&](const std::string& bytes, const std::string& needle) {
    const std::string p = dir + "/bad.safetensors";
    std::ofstream(p, std::ios::binary) << bytes;
    try {
      load_safetensors(p);
      ADD_FAILURE() << "accepted a malformed file (" << needle << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_bad(good.substr(0, 5), "shorter than");
  expect_bad(good.substr(0, good.size() - 4), "past the data");
  std::string huge = good;
  huge[7] = char(0x7f);
  expect_bad(huge, "exceeds the file");
  std::string garbled = good;
  garbled[8] = '[';
  expect_bad(garbled, "JSON header");
  std::string dtype = good;
  dtype.replace(dtype.find("F32"), 3, "I64");
  expect_bad(dtype, "unsupported dtype");
}

}  // namespace
}  // namespace pixelart::testing
