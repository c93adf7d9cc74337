// tests/test_fuzz.cpp — the readers of the files a user hands the tool, fed mutated copies of good
// files (random bytes, truncations, JSON punctuation; fixed seeds): each copy is read or refused
// with a pixelart::Error that names the file, never a crash or another exception. The model
// files are the shipped restorer and x2 upscaler (safetensors header and shapes); an XPM sheet;
// a --config JSON file. tools/sanitize.sh runs this under ASan and UBSan, which also catch reads
// out of bounds that happen not to crash. (A longer run, 18000 mutations of the model
// files, found an XPM colour error without the file and line.)
#include <cmath>
#include <fstream>
#include <random>
#include <string>

#include "pixelart/error.h"
#include "pixelart/model_file.h"
#include "pixelart/restore.h"
#include "pixelart/safetensors.h"
#include "pixelart/sprites.h"
#include "pixelart/train_config.h"
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

// Valid files, hostile values: the shipped models with one metadata field set to a value the code
// cannot honour (shapes made to match where the field decides them, as a crafted file would), or a
// weight set to NaN or an infinity. Each is refused with an Error naming the file and the field.
// Before these checks, out_channels = 1 loaded and overflowed a buffer in the refinement (ASan),
// NaN weights gave black sprites, and canvas = 4096 asked OpenCV for 17 GB in `eval`.
struct Hostile {
  std::string key, value, named;  // `named`: what the message must name (the field or parameter)
};

// Writes `good` with the case's value (metadata field, or a weight made NaN or infinite), then
// `load` must refuse it with an Error naming the file and `named`, never an internal check.
template <class Shape, class Load>
void expect_refused(const SafeTensors& good, const Hostile& h, const std::string& path, Shape shape, Load load) {
  SafeTensors st = good;
  if (h.key == "weight") {
    Tensor& t = st.tensors.at(h.named);
    t = t.to(Device::CPU);  // a copy of its own
    t.data<float>()[t.numel() / 2] = h.value == "nan" ? std::nanf("") : INFINITY;
  } else {
    st.metadata[h.key] = h.value;
  }
  shape(h, &st);
  save_safetensors(path, st);
  try {
    load(path);
    ADD_FAILURE() << h.key << " = " << h.value << " was not refused";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << h.key << " = " << h.value << ": " << what;
    EXPECT_NE(what.find(h.named), std::string::npos) << h.key << " = " << h.value << ": " << what;
    EXPECT_EQ(what.find("check failed"), std::string::npos) << h.key << " = " << h.value << ": an internal check: " << what;
  }
}

TEST(Fuzz, HostileModelValuesAreRefusedNamingTheFileAndTheField) {
  const std::string dir = std::string(PIXELART_SOURCE_DIR) + "/data/models/";
  const std::string path = ::testing::TempDir() + "/hostile.safetensors";
  const SafeTensors good = load_safetensors(dir + "restorer16.safetensors");
  const std::vector<Hostile> restorer_cases = {
      {"out_channels", "1", "out_channels"}, {"out_channels", "3", "out_channels"}, {"out_channels", "0", "out_channels"},
      {"in_channels", "1", "in_channels"},   {"in_channels", "-4", "in_channels"},  {"in_channels", "4x", "in_channels"},
      {"canvas", "4096", "canvas"},          {"canvas", "0", "canvas"},             {"canvas", "-16", "canvas"},
      {"canvas", "1e9", "canvas"},           {"context", "-1", "context"},          {"context", "99", "context"},
      {"context", "13", "ctx12"},            {"widths", "", "widths"},              {"widths", "4,,8", "widths"},
      {"widths", "0,16,32,64", "widths"},    {"widths", "4,16,32,64,64,64,64,64,64", "widths"},
      {"widths", "4,16,32,-64", "widths"},   {"widths", "2147483648,16,32,64", "widths"},
      {"weight", "nan", "conv0.weight"},     {"weight", "inf", "proj.bias"}};
  // out_channels = 1 or 3 with the projection shaped to match, as a crafted file would have it
  auto shape_projection = [&](const Hostile& h, SafeTensors* st) {
    if (h.key != "out_channels" || h.value == "0") return;
    const int out = std::stoi(h.value);
    const Tensor w = good.tensors.at("proj.weight"), b = good.tensors.at("proj.bias");
    Tensor nw = Tensor::empty({out, w.size(1)}), nb = Tensor::empty({out});
    std::copy(w.data<float>(), w.data<float>() + nw.numel(), nw.data<float>());
    std::copy(b.data<float>(), b.data<float>() + out, nb.data<float>());
    st->tensors["proj.weight"] = nw;
    st->tensors["proj.bias"] = nb;
  };
  for (const Hostile& h : restorer_cases)
    expect_refused(good, h, path, shape_projection, [](const std::string& p) {
      int canvas = 0;
      const Restorer m = load_restorer(p, Device::CPU, &canvas);
      // were it taken, restoring with it must still be safe (ASan in tools/sanitize.sh)
      Sprite img = generate_sprite(3, 16), big;
      big.width = big.height = 16 * 8;
      big.rgba.resize(size_t(big.width) * big.height * 4);
      for (int y = 0; y < big.height; ++y)
        for (int x = 0; x < big.width; ++x) std::copy(img.px(x / 8, y / 8), img.px(x / 8, y / 8) + 4, big.px(x, y));
      restore_image(m, big, RestoreOptions{}, Device::CPU);
    });
  const SafeTensors up = load_safetensors(dir + "upscaler.safetensors");
  const std::vector<Hostile> upscaler_cases = {
      {"factor", "0", "factor"},     {"factor", "9", "factor"},       {"factor", "nan", "factor"},
      {"factor", "inf", "factor"},   {"factor", "2x", "factor"},      {"channels", "1", "channels"},
      {"channels", "5", "channels"}, {"unshuffle", "0", "unshuffle"}, {"unshuffle", "9", "unshuffle"},
      {"filters", "", "filters"},    {"filters", "0,64", "filters"},  {"kernels", "4,4,4,4", "kernel"},
      {"kernels", "", "kernels"},    {"weight", "nan", "conv0.weight"}};
  for (const Hostile& h : upscaler_cases)
    expect_refused(up, h, path, [](const Hostile&, SafeTensors*) {}, [](const std::string& p) {
      double trained = 0;
      load_upscaler(p, Device::CPU, &trained);
    });
}

}  // namespace
}  // namespace pixelart::testing
