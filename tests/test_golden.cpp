// tests/test_golden.cpp — ring 3: the whole restorer (full-size and narrow) against files written
// by its independent NumPy/autograd twin, tools/golden_restorer.py: forward output, loss terms,
// every parameter gradient, and three AdamW steps with clipping. In f64 on the CPU (tight), in
// f32 on the CPU and on CUDA (forward and gradients, fp32 tolerance).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "pixelart/ops.h"
#include "pixelart/restorer.h"
#include "rng.h"
#include "testing.h"

namespace pixelart::testing {
namespace {

constexpr const char* kHint =
    "HINT: if the model or the twin changed on purpose, regenerate with "
    "`python3 tools/golden_restorer.py` (needs numpy and autograd) and commit data/golden/";

struct Golden {
  std::map<std::string, std::vector<double>> rec;
  const std::vector<double>& at(const std::string& k) const {
    auto it = rec.find(k);
    if (it == rec.end()) throw Error("golden record missing: " + k + ". " + kHint);
    return it->second;
  }
  bool has(const std::string& k) const { return rec.count(k) > 0; }
};

// Reads and validates the file: magic, version, and every length against the bytes left.
Golden read_golden(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open golden file " + path);
  std::vector<char> buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t pos = 0;
  auto take = [&](void* dst, size_t n) {
    if (n > buf.size() - pos) throw Error(path + ": truncated at byte " + std::to_string(pos));
    std::memcpy(dst, buf.data() + pos, n);
    pos += n;
  };
  char magic[8];
  take(magic, 8);
  if (std::memcmp(magic, "PAGOLDEN", 8) != 0) throw Error(path + ": not a golden file (bad magic)");
  uint32_t version = 0, count = 0;
  take(&version, 4);
  take(&count, 4);
  if (version != 1) throw Error(path + ": version " + std::to_string(version) + ", expected 1. " + kHint);
  Golden g;
  for (uint32_t r = 0; r < count; ++r) {
    uint32_t len = 0, ndim = 0;
    take(&len, 4);
    if (len > 256) throw Error(path + ": record name too long");
    std::string name(len, '\0');
    take(name.data(), len);
    take(&ndim, 4);
    if (ndim > 8) throw Error(path + ": rank " + std::to_string(ndim) + " in record " + name);
    std::vector<int64_t> dims(ndim);
    take(dims.data(), ndim * 8);
    uint64_t n = 0;
    take(&n, 8);
    if (n > (buf.size() - pos) / 8) throw Error(path + ": record " + name + " runs past the end");
    std::vector<double> v(n);
    take(v.data(), n * 8);
    g.rec[name] = std::move(v);
  }
  if (pos != buf.size()) throw Error(path + ": trailing bytes");
  return g;
}

std::vector<double> uniform(uint64_t seed, uint64_t stream, size_t n) {
  std::vector<double> v(n);
  for (size_t k = 0; k < n; ++k) v[k] = kernels::uniform01(seed, stream, k);
  return v;
}

// Compares a tensor with its golden record: whole, or strided samples + sum + sum of squares.
void expect_golden(const Golden& g, const std::string& name, const Tensor& t, double rel, bool sums) {
  const std::vector<double> v = t.to_vector();
  if (g.has(name)) {
    expect_close(v, g.at(name), rel, name);
    return;
  }
  const auto& ref = g.at(name + ":samples");
  const size_t stride = v.size() / 512;
  std::vector<double> s;
  for (size_t i = 0; i < ref.size(); ++i) s.push_back(v[i * stride]);
  expect_close(s, ref, rel, name + " samples");
  double sum = 0, sumsq = 0;
  for (double x : v) sum += x, sumsq += x * x;
  const double rsum = g.at(name + ":sum")[0], rsq = g.at(name + ":sumsq")[0];
  EXPECT_LE(std::abs(sumsq - rsq), rel * 10 * rsq) << name << " sum of squares " << sumsq << " vs " << rsq;
  if (sums) {
    EXPECT_LE(std::abs(sum - rsum), rel * 10 * std::max(std::abs(rsum), std::sqrt(rsq))) << name << " sum";
  }
}

struct GoldenCase {
  std::string model;  // narrow | full
  Device dev;
  DType dtype;
  std::string label() const { return model + "_" + to_string(dev) + "_" + to_string(dtype); }
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.label(); }

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesTheIndependentTwin) {
  const GoldenCase& gc = GetParam();
  if (gc.dev == Device::CUDA) PA_SKIP_WITHOUT_CUDA();
  // The source tree's location, overridable at run time (the GPU machine runs a carried build).
  const char* env = std::getenv("PIXELART_SOURCE_DIR");
  const std::string root = env ? env : PIXELART_SOURCE_DIR;
  const Golden g = read_golden(root + "/data/golden/restorer_" + gc.model + ".bin");
  const auto& cfgv = g.at("config");
  const int batch = int(cfgv[0]), size = int(cfgv[1]);
  const uint64_t seed = uint64_t(cfgv.back());
  RestorerConfig cfg;
  cfg.widths.assign(cfgv.begin() + 2, cfgv.end() - 1);
  const auto specs = cfg.param_specs();

  // Weights and inputs from the shared counter-based hash (see tools/golden_restorer.py).
  ParamArena host(specs, DType::F64, Device::CPU);
  for (size_t i = 0; i < specs.size(); ++i) {
    const int64_t n = shape_numel(specs[i].shape);
    const double bound = specs[i].decay ? std::sqrt(6.0 / double(n / specs[i].shape[0])) : 0.1;
    auto u = uniform(seed, i, size_t(n));
    for (auto& x : u) x = bound * (2 * x - 1);
    host.param(specs[i].name).copy_from(Tensor::from_vector(u, specs[i].shape, DType::F64));
  }
  const int s = size / cfg.scale();
  std::vector<double> xv = uniform(seed, 1000, size_t(batch) * size * size * 4);
  std::vector<double> tv = uniform(seed, 1001, size_t(batch) * s * s * 4);
  for (size_t k = 3; k < tv.size(); k += 4) tv[k] = tv[k] > 0.5 ? 1.0 : 0.0;

  ParamArena arena = host.to(gc.dtype).to(gc.dev);
  Restorer model(cfg, arena);
  const Tensor x = Tensor::from_vector(xv, {batch, size, size, 4}, gc.dtype, gc.dev);
  const Tensor t = Tensor::from_vector(tv, {batch, s, s, 4}, gc.dtype, gc.dev);
  LossWeights w;
  w.w = {1.0, 0.5, 0.25, 0.1};

  const bool f64 = gc.dtype == DType::F64;
  const double rel = f64 ? kF64Rel : kF32vsF64Rel;
  {
    Tape tape;
    TapeScope scope(tape);
    const Tensor pred = model.forward(x);
    const LossResult loss = composite_loss(pred, t, w);
    tape.backward(loss.total);
    expect_golden(g, "output", pred, rel, true);
    expect_close(loss.terms.to_vector(), g.at("loss_terms"), rel, "loss terms");
    expect_close(loss.total.to_vector(), g.at("loss"), rel, "loss");
    for (const auto& sp : specs) expect_golden(g, "grad/" + sp.name, model.params().param(sp.name).grad(), rel, f64);
  }
  if (!f64) return;  // Adam's first steps move each weight by ~lr * sign(g): compared in f64 only
  model.params().zero_grad();
  AdamConfig ac;
  ac.lr = 1e-3;
  ac.weight_decay = 0.01;
  ac.clip_norm = 1.0;
  Adam opt(model.params(), ac);
  std::vector<double> losses, norms;
  for (int step = 0; step < 3; ++step) {
    model.params().zero_grad();
    Tape tape;
    TapeScope scope(tape);
    const LossResult loss = composite_loss(model.forward(x), t, w);
    losses.push_back(loss.total.item());
    tape.backward(loss.total);
    opt.step();
    norms.push_back(opt.last_grad_norm());
  }
  expect_close(losses, g.at("adam/loss_before_step"), rel, "loss before each Adam step");
  expect_close(norms, g.at("adam/grad_norm"), rel, "gradient norm at each Adam step");
  for (const auto& sp : specs) expect_golden(g, "adam/param/" + sp.name, model.params().param(sp.name), rel, true);
}

INSTANTIATE_TEST_SUITE_P(Restorer, GoldenTest,
                         ::testing::Values(GoldenCase{"narrow", Device::CPU, DType::F64},
                                           GoldenCase{"narrow", Device::CPU, DType::F32},
                                           GoldenCase{"narrow", Device::CUDA, DType::F32},
                                           GoldenCase{"full", Device::CPU, DType::F64},
                                           GoldenCase{"full", Device::CPU, DType::F32},
                                           GoldenCase{"full", Device::CUDA, DType::F32}),
                         [](const auto& info) { return info.param.label(); });

TEST(GoldenFile, MalformedFilesAreClearErrors) {
  const std::string path = ::testing::TempDir() + "/bad_golden.bin";
  {
    std::ofstream f(path, std::ios::binary);
    f.write("PAGOLDEN\x01\0\0\0\x05\0\0\0", 16);  // promises 5 records, holds none
  }
  try {
    read_golden(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pixelart::testing
