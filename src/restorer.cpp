// src/restorer.cpp — the sprite restorer model (include/pixelart/restorer.h).
#include <cmath>
#include <sstream>

#include "internal.h"
#include "pixelart/ops.h"
#include "pixelart/restorer.h"
#include "rng.h"

namespace pixelart {

std::string RestorerConfig::describe() const {
  std::ostringstream os;
  os << in_channels;
  for (int w : widths) os << "-" << w;
  if (context > 0) os << "+" << context << "ctx";
  os << "-" << out_channels;
  return os.str();
}

RestorerConfig RestorerConfig::narrow() {
  RestorerConfig c;
  c.widths = {8, 16, 32, 32};
  return c;
}

std::vector<ParamSpec> RestorerConfig::param_specs() const {
  PA_CHECK(!widths.empty(), "restorer: at least one conv block is needed");
  std::vector<ParamSpec> specs;
  int cin = in_channels;
  for (int i = 0; i < depth(); ++i) {
    PA_CHECK(widths[i] > 0, "restorer: width " << widths[i] << " of block " << i);
    specs.push_back({"conv" + std::to_string(i) + ".weight", {widths[i], 3, 3, cin}, true});
    cin = widths[i];
  }
  PA_CHECK(context >= 0 && context <= 16, "restorer: " << context << " context layers (0 to 16)");
  for (int j = 0; j < context; ++j) specs.push_back({"ctx" + std::to_string(j) + ".weight", {cin, 3, 3, cin}, true});
  specs.push_back({"proj.weight", {out_channels, cin}, true});
  for (int i = 0; i < depth(); ++i)
    specs.push_back({"conv" + std::to_string(i) + ".bias", {widths[i]}, false});
  for (int j = 0; j < context; ++j) specs.push_back({"ctx" + std::to_string(j) + ".bias", {cin}, false});
  specs.push_back({"proj.bias", {out_channels}, false});
  return specs;
}

int64_t RestorerConfig::forward_flops(int64_t h, int64_t w) const {
  int64_t flops = 0, cin = in_channels;
  for (int width : widths) {
    flops += 2 * h * w * width * 9 * cin;
    cin = width;
    h /= 2;
    w /= 2;
  }
  flops += int64_t(context) * 2 * h * w * cin * 9 * cin;
  return flops + 2 * h * w * cin * out_channels;
}

Restorer::Restorer(const RestorerConfig& cfg, uint64_t seed, DType dtype, Device dev) : cfg_(cfg) {
  // Initialise on the host in double (identical on every machine), then convert and move.
  ParamArena host(cfg.param_specs(), DType::F64, Device::CPU);
  for (size_t i = 0; i < host.size(); ++i) {
    const ParamSpec& s = host.spec(i);
    if (!s.decay) continue;  // biases start at zero
    double* p = host.param(i).data<double>();
    if (s.name.rfind("ctx", 0) == 0) {  // context layers start as the identity ([out, 3, 3, in])
      const int64_t c = s.shape[0];
      for (int64_t k = 0; k < shape_numel(s.shape); ++k) p[k] = 0.0;
      for (int64_t o = 0; o < c; ++o) p[((o * 3 + 1) * 3 + 1) * c + o] = 1.0;
      continue;
    }
    // fan_in = everything but the output dimension. Kaiming-uniform for the ReLU convs
    // (bound sqrt(6 / fan_in)), LeCun-uniform for the projection into the sigmoid.
    const int64_t fan_in = shape_numel(s.shape) / s.shape[0];
    const bool is_proj = s.shape.size() == 2;
    const double bound = std::sqrt((is_proj ? 3.0 : 6.0) / double(fan_in));
    for (int64_t k = 0; k < shape_numel(s.shape); ++k)
      p[k] = bound * (2.0 * kernels::uniform01(seed, i, uint64_t(k)) - 1.0);
  }
  arena_ = dtype == DType::F64 ? host : host.to(dtype);
  if (dev != Device::CPU) arena_ = arena_.to(dev);
}

Restorer::Restorer(const RestorerConfig& cfg, ParamArena arena) : cfg_(cfg), arena_(std::move(arena)) {
  const auto specs = cfg.param_specs();
  PA_CHECK(specs.size() == arena_.size(), "restorer " << cfg.describe() << ": the arena has "
                                                      << arena_.size() << " parameters, expected " << specs.size());
  for (const ParamSpec& s : specs)
    PA_CHECK(arena_.param(s.name).shape() == s.shape,
             "restorer: parameter " << s.name << " is " << arena_.param(s.name).describe()
                                    << ", expected " << shape_str(s.shape));
}

Tensor Restorer::forward(const Tensor& x) const {
  detail::check_rank("restorer", "input", x, 4);
  PA_CHECK(x.size(3) == cfg_.in_channels, "restorer " << cfg_.describe() << ": input " << x.describe()
                                                     << " has " << x.size(3) << " channels, expected " << cfg_.in_channels);
  PA_CHECK(x.size(1) % cfg_.scale() == 0 && x.size(2) % cfg_.scale() == 0,
           "restorer: input " << x.describe() << " must have height and width multiples of " << cfg_.scale());
  PA_CHECK(x.device() == arena_.device() && x.dtype() == arena_.dtype(),
           "restorer: input " << x.describe() << " but the weights are " << to_string(arena_.dtype())
                              << "@" << to_string(arena_.device()));
  Tensor h = x;
  for (int i = 0; i < cfg_.depth(); ++i) {
    const std::string n = "conv" + std::to_string(i);
    h = conv2d(h, arena_.param(n + ".weight"), arena_.param(n + ".bias"), {1, true, impl_, precision_});
    h = max_pool2x2(h);
  }
  for (int j = 0; j < cfg_.context; ++j) {
    const std::string n = "ctx" + std::to_string(j);
    h = conv2d(h, arena_.param(n + ".weight"), arena_.param(n + ".bias"), {1, true, impl_, precision_});
  }
  return sigmoid(projection(h, arena_.param("proj.weight"), arena_.param("proj.bias"), precision_));
}

}  // namespace pixelart
