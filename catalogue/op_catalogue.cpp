// catalogue/op_catalogue.cpp — the op cases (see op_catalogue.h). Test sizes are small enough for
// finite differences in double; bench sizes are the restorer's real layer shapes at 256x256.
#include "op_catalogue.h"

#include <cmath>

#include "rng.h"

namespace pixelart::testing {

namespace {
OpCase conv_case(const std::string& name, Shape x, int cout, int k, int pad, bool relu,
                 ConvImpl impl = ConvImpl::Auto) {
  OpCase c;
  c.name = name;
  const int64_t cin = x[3];
  const double wr = 1.0 / std::sqrt(double(k * k * cin));
  c.inputs = {{x, -1, 1}, {{cout, k, k, cin}, -wr * 1.7, wr * 1.7}, {{cout}, -0.1, 0.1}};
  c.fn = [pad, relu, impl](const std::vector<Tensor>& in) {
    return conv2d(in[0], in[1], in[2], {pad, relu, impl});
  };
  const int64_t ho = x[1] + 2 * pad - k + 1, wo = x[2] + 2 * pad - k + 1;
  c.flops = 2.0 * x[0] * ho * wo * cout * k * k * cin;
  c.cuda = impl == ConvImpl::Auto;
  return c;
}
OpCase loss_case(const std::string& name, Shape s, LossWeights w) {
  OpCase c;
  c.name = name;
  c.inputs = {{s, 0.02, 0.98}, {s, 0.0, 1.0, false}};
  c.fn = [w](const std::vector<Tensor>& in) { return composite_loss(in[0], in[1], w).total; };
  c.bytes = 8.0 * shape_numel(s);
  return c;
}
LossWeights only(int term) {
  LossWeights w;
  w.w = {0, 0, 0, 0};
  w[term] = 1.0;
  return w;
}
}  // namespace

std::vector<OpCase> op_catalogue(CatalogueSize size) {
  std::vector<OpCase> cases;
  if (size == CatalogueSize::Test) {
    cases.push_back(conv_case("conv3x3_relu", {2, 5, 6, 3}, 4, 3, 1, true));
    cases.push_back(conv_case("conv3x3_relu_reference", {2, 5, 6, 3}, 4, 3, 1, true, ConvImpl::Reference));
    cases.push_back(conv_case("conv5x5_valid", {1, 7, 8, 2}, 3, 5, 0, false));
    cases.push_back(conv_case("conv5x5_valid_reference", {1, 7, 8, 2}, 3, 5, 0, false, ConvImpl::Reference));
    cases.push_back(conv_case("conv1x1", {2, 4, 4, 3}, 5, 1, 0, false));
    cases.push_back(conv_case("conv7x7_pad2_relu", {1, 8, 8, 2}, 2, 7, 2, true));
  } else {
    // The restorer's four conv layers on one 256x256 RGBA input, each also through the
    // direct-loop reference (the CPU peer the benchmarks compare against; forward only).
    const struct { const char* name; Shape x; int cout; } layers[] = {
        {"conv3x3_relu_256x256_4to64", {1, 256, 256, 4}, 64},
        {"conv3x3_relu_128x128_64to128", {1, 128, 128, 64}, 128},
        {"conv3x3_relu_64x64_128to256", {1, 64, 64, 128}, 256},
        {"conv3x3_relu_32x32_256to512", {1, 32, 32, 256}, 512}};
    for (const auto& l : layers) cases.push_back(conv_case(l.name, l.x, l.cout, 3, 1, true));
    for (const auto& l : layers) {
      OpCase ref = conv_case(std::string(l.name) + "_reference", l.x, l.cout, 3, 1, true, ConvImpl::Reference);
      ref.bench_backward = false;
      cases.push_back(ref);
    }
  }
  const bool t = size == CatalogueSize::Test;
  {
    OpCase c;
    c.name = "max_pool2x2";
    const Shape s = t ? Shape{2, 6, 8, 3} : Shape{1, 256, 256, 64};
    c.inputs = {{s}};
    c.fn = [](const std::vector<Tensor>& in) { return max_pool2x2(in[0]); };
    c.bytes = 4.0 * shape_numel(s) * 1.25 + shape_numel(s) / 4.0;  // read x, write y and argmax
    cases.push_back(c);
  }
  if (t) {
    OpCase c;
    c.name = "max_pool2x2_odd";
    c.inputs = {{{1, 5, 7, 2}}};
    c.fn = [](const std::vector<Tensor>& in) { return max_pool2x2(in[0]); };
    cases.push_back(c);
    OpCase ties = c;
    ties.name = "max_pool2x2_ties";
    ties.inputs = {{{2, 4, 6, 2}, 0.0, 1.0, true, 2}};  // values in {0, 1}: most windows tie
    ties.kinks = true;
    cases.push_back(ties);
  }
  {
    OpCase c;
    c.name = "projection";
    const Shape s = t ? Shape{2, 3, 3, 6} : Shape{256, 16, 16, 512};
    const int64_t cout = 4;
    c.inputs = {{s}, {{cout, s[3]}, -0.3, 0.3}, {{cout}, -0.1, 0.1}};
    c.fn = [](const std::vector<Tensor>& in) { return projection(in[0], in[1], in[2]); };
    c.bytes = 4.0 * (shape_numel(s) + shape_numel(s) / s[3] * cout);  // memory-bound: N = 4
    cases.push_back(c);
  }
  {
    OpCase c;
    c.name = "sigmoid";
    const Shape s = t ? Shape{3, 7} : Shape{256, 16, 16, 4 * 64};
    c.inputs = {{s, -12, 12}};
    c.fn = [](const std::vector<Tensor>& in) { return sigmoid(in[0]); };
    c.bytes = 8.0 * shape_numel(s);
    cases.push_back(c);
  }
  {
    OpCase c;
    c.name = "relu";
    const Shape s = t ? Shape{3, 7} : Shape{1, 256, 256, 64};
    c.inputs = {{s}};
    c.fn = [](const std::vector<Tensor>& in) { return relu(in[0]); };
    c.bytes = 8.0 * shape_numel(s);
    cases.push_back(c);
    if (t) {
      OpCase k = c;
      k.name = "relu_kinks";
      k.inputs = {{{4, 5}, -1.0, 1.0, true, 3}};  // values in {-1, 0, 1}: exact kinks at 0
      k.kinks = true;
      cases.push_back(k);
    }
  }
  {
    OpCase c;
    c.name = "add_center_crop";
    const Shape hs = t ? Shape{2, 3, 4, 4} : Shape{64, 52, 52, 4};
    c.inputs = {{hs}, {{hs[0], hs[1] + 6, hs[2] + 6, hs[3]}, 0.0, 1.0, false}};
    c.fn = [](const std::vector<Tensor>& in) { return add_center_crop(in[0], in[1]); };
    c.bytes = 12.0 * shape_numel(hs);
    cases.push_back(c);
  }
  {
    // The upscaler's --unshuffle 2: RGBA patches into 2x2 blocks, and its 16-channel correction back.
    OpCase c;
    c.name = "pixel_unshuffle";
    const Shape xs = t ? Shape{2, 4, 6, 3} : Shape{32, 64, 64, 4};
    c.inputs = {{xs}};
    c.fn = [](const std::vector<Tensor>& in) { return pixel_unshuffle(in[0], 2); };
    c.bytes = 8.0 * shape_numel(xs);
    cases.push_back(c);
    OpCase d = c;
    d.name = "pixel_shuffle";
    const Shape ds = t ? Shape{2, 2, 3, 12} : Shape{32, 24, 24, 16};
    d.inputs = {{ds}};
    d.fn = [](const std::vector<Tensor>& in) { return pixel_shuffle(in[0], 2); };
    d.bytes = 8.0 * shape_numel(ds);
    cases.push_back(d);
    if (t) {
      OpCase k = c;
      k.name = "pixel_unshuffle_x3";
      k.inputs = {{{1, 6, 3, 2}}};
      k.fn = [](const std::vector<Tensor>& in) { return pixel_unshuffle(in[0], 3); };
      cases.push_back(k);
    }
  }
  {
    // The upscaler's --back-project: its output moved onto the target's 2x2 block means.
    OpCase c;
    c.name = "project_blocks";
    const Shape ps = t ? Shape{2, 4, 6, 3} : Shape{32, 32, 32, 4};
    c.inputs = {{ps}, {ps, 0.0, 1.0, false}};
    c.fn = [](const std::vector<Tensor>& in) { return project_blocks(in[0], in[1], 2); };
    c.bytes = 12.0 * shape_numel(ps);
    cases.push_back(c);
    if (t) {
      OpCase k = c;
      k.name = "project_blocks_x3";
      k.inputs = {{{1, 6, 3, 2}}, {{1, 6, 3, 2}, 0.0, 1.0, false}};
      k.fn = [](const std::vector<Tensor>& in) { return project_blocks(in[0], in[1], 3); };
      cases.push_back(k);
    }
  }
  const Shape ls = t ? Shape{2, 4, 5, 4} : Shape{256, 16, 16, 4};
  cases.push_back(loss_case("loss_mse", ls, only(kLossMse)));
  cases.push_back(loss_case("loss_l1", ls, only(kLossL1)));
  cases.push_back(loss_case("loss_edge", ls, only(kLossEdge)));
  cases.push_back(loss_case("loss_alpha", ls, only(kLossAlpha)));
  LossWeights all;
  all.w = {1.0, 0.5, 0.25, 0.1};
  cases.push_back(loss_case("loss_composite", ls, all));
  if (t) {
    OpCase k = loss_case("loss_l1_kinks", ls, only(kLossL1));
    k.inputs = {{ls, 0.0, 1.0, true, 3}, {ls, 0.0, 1.0, false, 3}};  // many p == t exactly
    k.kinks = true;
    cases.push_back(k);
  }
  return cases;
}

std::vector<Tensor> make_inputs(const OpCase& c, uint64_t seed, DType dtype, Device dev) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& s = c.inputs[i];
    std::vector<double> v(size_t(shape_numel(s.shape)));
    for (size_t k = 0; k < v.size(); ++k) {
      double u = kernels::uniform01(seed, i, k);
      if (s.levels > 1) u = std::floor(u * s.levels) / (s.levels - 1);
      v[k] = s.lo + (s.hi - s.lo) * u;
    }
    Tensor t = Tensor::from_vector(v, s.shape, dtype, dev);
    if (s.differentiable) t.set_requires_grad(true);
    out.push_back(t);
  }
  return out;
}

}  // namespace pixelart::testing
