// tests/test_fuzz.cpp — the readers of the files a user hands the tool, fed mutated copies of good
// files (random bytes, truncations, JSON punctuation; fixed seeds): each copy is read or refused
// with a pixelart::Error that names the file, never a crash or another exception. The model
// files are the shipped restorer and x2 upscaler (safetensors header and shapes); an XPM sheet;
// a --config JSON file. tools/sanitize.sh runs this under ASan and UBSan, which also catch reads
// out of bounds that happen not to crash. (A longer run, 18000 mutations of the model
// files, found an XPM colour error without the file and line.)
#include <fstream>
#include <random>
#include <string>

#include "pixelart/error.h"
#include "pixelart/sprites.h"
#include "pixelart/train.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Mutates `good` `rounds` times within its first `span` bytes (all of it where 0) and reads each
// copy from `path` with `read`; counts the copies read and refused.
template <class Read>
void fuzz(const std::string& good, const std::string& path, size_t span, int rounds, uint64_t seed, Read read) {
  std::mt19937_64 rng(seed);
  const std::string punctuation = "0123456789\"\\ ,:{}[]#-e.";
  span = span ? std::min(span, good.size()) : good.size();
  int read_ok = 0, refused = 0;
  for (int round = 0; round < rounds; ++round) {
    std::string s = good;
    switch (rng() % 4) {
      case 0:  // a few random bytes
        for (int j = 0, n = 1 + int(rng() % 4); j < n; ++j) s[rng() % span] = char(rng());
        break;
      case 1:  // cut short
        s.resize(rng() % s.size());
        break;
      case 2:  // punctuation where it may still parse
        for (int j = 0, n = 1 + int(rng() % 4); j < n; ++j) s[rng() % span] = punctuation[rng() % punctuation.size()];
        break;
      default:  // the first bytes (a safetensors header's length)
        s[rng() % std::min<size_t>(8, s.size())] = char(rng());
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << s;
    try {
      read(path);
      ++read_ok;
    } catch (const Error& e) {
      ++refused;
      ASSERT_NE(std::string(e.what()).find(path), std::string::npos) << "round " << round << ": " << e.what();
    } catch (const std::exception& e) {
      FAIL() << "round " << round << ": not a pixelart::Error: " << e.what();
    }
  }
  EXPECT_GT(refused, rounds / 4) << "the mutations should break most copies (" << read_ok << " read)";
}

TEST(Fuzz, MutatedModelFilesAreReadOrRefusedNamingTheFile) {
  const std::string dir = std::string(PIXELART_SOURCE_DIR) + "/data/models/";
  const std::string path = ::testing::TempDir() + "/fuzzed.safetensors";
  for (const char* name : {"restorer16.safetensors", "upscaler.safetensors"}) {
    const std::string good = slurp(dir + name);
    ASSERT_GT(good.size(), 8u) << name;
    uint64_t header = 0;
    for (int i = 7; i >= 0; --i) header = header << 8 | uint8_t(good[size_t(i)]);
    const bool restorer = name[0] == 'r';
    fuzz(good, path, 8 + header, 300, 14, [&](const std::string& p) {
      if (restorer) {
        int canvas = 0;
        load_restorer(p, Device::CPU, &canvas);
      } else {
        double trained = 0;
        load_upscaler(p, Device::CPU, &trained);
      }
    });
  }
}

TEST(Fuzz, MutatedXpmFilesAreReadOrRefusedNamingTheFile) {
  std::string good = "/* XPM */\nstatic char *sheet[] = {\n\"8 4 3 1\",\n\". c None\",\n\"a c #ff0000\",\n\"b c #00FF0000ffff\",\n";
  for (const char* row : {"..aabb..", ".aabbaa.", "aabbaabb", "........"}) good += std::string("\"") + row + "\",\n";
  good += "};\n";
  const std::string path = ::testing::TempDir() + "/fuzzed.xpm";
  std::ofstream(path) << good;
  ASSERT_EQ(read_xpm(path).width, 8);
  fuzz(good, path, 0, 600, 15, [](const std::string& p) { read_xpm(p); });
}

TEST(Fuzz, MutatedConfigFilesAreReadOrRefusedNamingTheFile) {
  TrainConfig cfg;
  const std::string good = cfg.to_json() + "\n";
  const std::string path = ::testing::TempDir() + "/fuzzed.json";
  fuzz(good, path, 0, 600, 16, [](const std::string& p) {
    TrainConfig c;
    c.load_json_file(p);  // syntax and keys: named by file
    try {
      c.validate();  // the values: named by setting (the CLI adds the file)
    } catch (const Error&) {
    }
  });
}

}  // namespace
}  // namespace pixelart::testing
