// kernels/conv_dnnl.cpp — the CPU convolution through oneDNN, forward and backward (kernels/conv.h).
// Built where CMake finds oneDNN (PIXELART_WITH_DNNL); elsewhere dnnl_available() is false and
// conv2d falls back to im2col + OpenBLAS.
#include <cstdlib>
#include <cstring>

#include "conv.h"
#include "cpu_ops.h"
#include "elementwise.h"
#include "host_memory.h"
#include "pixelart/error.h"

#ifdef PIXELART_WITH_DNNL
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace pixelart::kernels {

#ifdef PIXELART_WITH_DNNL

namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

// The tensors of one shape as conv2d keeps them: x and y NHWC, w [Cout, KH, KW, Cin] (OHWI);
// wei_any lets a primitive choose its own weight layout.
struct Layout {
  dnnl::memory::desc src, wei_user, wei_any, bias, dst;
  dnnl::memory::dims stride{1, 1}, pad;
};

Layout layout(const ConvShape& s) {
  const dnnl::memory::dims wei{s.Cout, s.Cin, s.KH, s.KW};
  Layout l;
  l.src = dnnl::memory::desc({s.N, s.Cin, s.H, s.W}, dt::f32, tag::nhwc);
  l.wei_user = dnnl::memory::desc(wei, dt::f32, tag::ohwi);
  l.wei_any = dnnl::memory::desc(wei, dt::f32, tag::any);
  l.bias = dnnl::memory::desc({s.Cout}, dt::f32, tag::a);
  l.dst = dnnl::memory::desc({s.N, s.Cout, s.Ho(), s.Wo()}, dt::f32, tag::nhwc);
  l.pad = {s.pad, s.pad};
  return l;
}

// One shape's primitive, made once: oneDNN picks its kernel (and the weights' blocked layout)
// when the primitive is created, which costs far more than running it on a sprite.
struct Plan {
  Layout io;
  dnnl::memory::desc wei, scratch;
  dnnl::convolution_forward conv;
  dnnl::reorder to_blocked;  // the weights from [Cout, KH, KW, Cin] to the primitive's layout
  bool reorder = false;
};

// The backward pass of one shape: gradients with respect to the input (backward data) and to
// the weights and bias (backward weights), each primitive made once.
struct BackwardPlan {
  Layout io;
  dnnl::memory::desc wei_data, wei_grad, scratch_data, scratch_grad;
  dnnl::convolution_backward_data data;
  dnnl::convolution_backward_weights grad;
  dnnl::reorder to_blocked, from_blocked;
  bool reorder_data = false, reorder_grad = false;
};

// The plans, shared with the calls running them: a full cache is emptied (a batch of images of
// many sizes makes a plan per size and layer) while the calls in flight keep theirs.
constexpr size_t kMaxPlans = 512;
struct Engine {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  std::mutex mu;
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, bool>,
           std::shared_ptr<const Plan>>
      plans;
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>, std::shared_ptr<const BackwardPlan>>
      backward;
};

Engine& engine() {
  static Engine e;
  return e;
}

Plan make_plan(dnnl::engine& eng, const ConvShape& s, bool relu, bool bias) {
  Plan p;
  p.io = layout(s);
  const Layout& l = p.io;
  const auto fwd = dnnl::prop_kind::forward_inference;
  const auto algo = dnnl::algorithm::convolution_direct;
  const auto d = bias ? dnnl::convolution_forward::desc(fwd, algo, l.src, l.wei_any, l.bias, l.dst, l.stride, l.pad, l.pad)
                      : dnnl::convolution_forward::desc(fwd, algo, l.src, l.wei_any, l.dst, l.stride, l.pad, l.pad);
  dnnl::primitive_attr attr;
  if (relu) {
    dnnl::post_ops po;
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
  }
  // the scratchpad is the caller's (below), so that one primitive serves every thread
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto pd = dnnl::convolution_forward::primitive_desc(d, attr, eng);
  p.conv = dnnl::convolution_forward(pd);
  p.wei = pd.weights_desc();
  p.scratch = pd.scratchpad_desc();
  p.reorder = p.wei != l.wei_user;
  if (p.reorder) p.to_blocked = dnnl::reorder(dnnl::reorder::primitive_desc(eng, l.wei_user, eng, p.wei));
  return p;
}

BackwardPlan make_backward_plan(dnnl::engine& eng, const ConvShape& s) {
  BackwardPlan p;
  p.io = layout(s);
  const Layout& l = p.io;
  const auto algo = dnnl::algorithm::convolution_direct;
  // the forward pass they are the gradients of: the hint both backward primitives need
  const auto fwd = dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, l.src, l.wei_any, l.bias, l.dst, l.stride, l.pad, l.pad),
      eng);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto dpd = dnnl::convolution_backward_data::primitive_desc(
      dnnl::convolution_backward_data::desc(algo, l.src, l.wei_any, l.dst, l.stride, l.pad, l.pad), attr, eng, fwd);
  const auto gpd = dnnl::convolution_backward_weights::primitive_desc(
      dnnl::convolution_backward_weights::desc(algo, l.src, l.wei_any, l.bias, l.dst, l.stride, l.pad, l.pad), attr, eng, fwd);
  p.data = dnnl::convolution_backward_data(dpd);
  p.grad = dnnl::convolution_backward_weights(gpd);
  p.wei_data = dpd.weights_desc();
  p.wei_grad = gpd.diff_weights_desc();
  p.scratch_data = dpd.scratchpad_desc();
  p.scratch_grad = gpd.scratchpad_desc();
  p.reorder_data = p.wei_data != l.wei_user;
  p.reorder_grad = p.wei_grad != l.wei_user;
  if (p.reorder_data) p.to_blocked = dnnl::reorder(dnnl::reorder::primitive_desc(eng, l.wei_user, eng, p.wei_data));
  if (p.reorder_grad) p.from_blocked = dnnl::reorder(dnnl::reorder::primitive_desc(eng, p.wei_grad, eng, l.wei_user));
  return p;
}

// The plan of `key` in `plans`, made by `make` the first time (an emptied cache when full).
template <class Map, class Make>
auto cached(std::mutex& mu, Map& plans, const typename Map::key_type& key, Make&& make) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = plans.find(key);
  if (it == plans.end()) {
    if (plans.size() >= kMaxPlans) plans.clear();
    it = plans.emplace(key, std::make_shared<const typename Map::mapped_type::element_type>(make())).first;
  }
  return it->second;
}

// Memory for a primitive's scratchpad or reordered weights, from the host cache (kernels/host_memory.h)
// rather than oneDNN's own allocation per call; empty for an empty descriptor.
class Scratch {
 public:
  explicit Scratch(const dnnl::memory::desc& d) : buf_((d.get_size() + sizeof(float) - 1) / sizeof(float) + 1) {}
  void* get() const { return buf_.get(); }

 private:
  HostBuffer<float> buf_;
};

std::string describe(const ConvShape& s) {
  std::ostringstream o;
  o << "a " << s.KH << "x" << s.KW << " convolution of " << s.N << "x" << s.H << "x" << s.W << "x" << s.Cin << " to " << s.Cout
    << " channels";
  return o.str();
}

}  // namespace

bool dnnl_available() {
  static const bool on = [] {
    const char* e = std::getenv("PIXELART_CPU_CONV");
    return !(e && std::strcmp(e, "im2col") == 0);
  }();
  return on;
}

void conv2d_dnnl_forward(const float* x, const float* w, const float* b, float* y, const ConvShape& s, bool relu) {
  Engine& e = engine();
  try {
    const auto plan = cached(e.mu, e.plans, std::make_tuple(s.N, s.H, s.W, s.Cin, s.Cout, s.KH, s.KW, s.pad, relu, b != nullptr),
                             [&] { return make_plan(e.eng, s, relu, b != nullptr); });
    dnnl::stream st(e.eng);
    const Scratch pad_buf(plan->scratch), wei_buf(plan->reorder ? plan->wei : dnnl::memory::desc());
    dnnl::memory xm(plan->io.src, e.eng, const_cast<float*>(x)), wm(plan->io.wei_user, e.eng, const_cast<float*>(w)),
        ym(plan->io.dst, e.eng, y), pad(plan->scratch, e.eng, pad_buf.get());
    dnnl::memory wb = wm;
    if (plan->reorder) {
      wb = dnnl::memory(plan->wei, e.eng, wei_buf.get());
      plan->to_blocked.execute(st, wm, wb);
    }
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wb}, {DNNL_ARG_DST, ym}, {DNNL_ARG_SCRATCHPAD, pad}};
    if (b) args.emplace(DNNL_ARG_BIAS, dnnl::memory(plan->io.bias, e.eng, const_cast<float*>(b)));
    plan->conv.execute(st, args);
    st.wait();
  } catch (const dnnl::error& err) {
    PA_CHECK(false, "conv2d: oneDNN failed (" << err.what() << ", status " << int(err.status) << ") on " << describe(s));
  }
}

void conv2d_dnnl_backward(const float* x, const float* w, const float* y, const float* dy, float* dx, float* dw, float* db,
                          const ConvShape& s, bool relu) {
  if (!dx && !dw && !db) return;
  Engine& e = engine();
  try {
    const auto plan = cached(e.mu, e.backward, std::make_tuple(s.N, s.H, s.W, s.Cin, s.Cout, s.KH, s.KW, s.pad),
                             [&] { return make_backward_plan(e.eng, s); });
    // the gradient at the convolution's output: through the fused ReLU first
    const int64_t ny = s.N * s.Ho() * s.Wo() * s.Cout;
    // (scratch every element of which is written before it is read: not zeroed)
    const HostBuffer<float> dz{size_t(ny)};
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < ny; ++i) dz.get()[i] = relu ? relu_bwd(y[i], dy[i]) : dy[i];
    dnnl::stream st(e.eng);
    dnnl::memory dzm(plan->io.dst, e.eng, dz.get());
    if (dx) {
      const int64_t ng = s.N * s.H * s.W * s.Cin;
      const HostBuffer<float> g{size_t(ng)};
      const Scratch pad_buf(plan->scratch_data), wei_buf(plan->reorder_data ? plan->wei_data : dnnl::memory::desc());
      dnnl::memory wm(plan->io.wei_user, e.eng, const_cast<float*>(w)), gm(plan->io.src, e.eng, g.get()),
          pad(plan->scratch_data, e.eng, pad_buf.get());
      dnnl::memory wb = wm;
      if (plan->reorder_data) {
        wb = dnnl::memory(plan->wei_data, e.eng, wei_buf.get());
        plan->to_blocked.execute(st, wm, wb);
      }
      plan->data.execute(st, {{DNNL_ARG_DIFF_DST, dzm}, {DNNL_ARG_WEIGHTS, wb}, {DNNL_ARG_DIFF_SRC, gm}, {DNNL_ARG_SCRATCHPAD, pad}});
      st.wait();
      axpy_cpu<float>(1.f, g.get(), dx, ng);
    }
    if (dw || db) {
      std::vector<float> gw(static_cast<size_t>(s.Cout * s.KH * s.KW * s.Cin)), gb(static_cast<size_t>(s.Cout));
      const Scratch pad_buf(plan->scratch_grad), wei_buf(plan->reorder_grad ? plan->wei_grad : dnnl::memory::desc());
      dnnl::memory xm(plan->io.src, e.eng, const_cast<float*>(x)), gwm(plan->io.wei_user, e.eng, gw.data()),
          gbm(plan->io.bias, e.eng, gb.data()), pad(plan->scratch_grad, e.eng, pad_buf.get());
      dnnl::memory gwb = plan->reorder_grad ? dnnl::memory(plan->wei_grad, e.eng, wei_buf.get()) : gwm;
      plan->grad.execute(st, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, dzm}, {DNNL_ARG_DIFF_WEIGHTS, gwb},
                              {DNNL_ARG_DIFF_BIAS, gbm}, {DNNL_ARG_SCRATCHPAD, pad}});
      if (plan->reorder_grad) plan->from_blocked.execute(st, gwb, gwm);
      st.wait();
      if (dw) axpy_cpu<float>(1.f, gw.data(), dw, int64_t(gw.size()));
      if (db) axpy_cpu<float>(1.f, gb.data(), db, int64_t(gb.size()));
    }
  } catch (const dnnl::error& err) {
    PA_CHECK(false, "conv2d backward: oneDNN failed (" << err.what() << ", status " << int(err.status) << ") on " << describe(s));
  }
}

#else

bool dnnl_available() { return false; }

void conv2d_dnnl_forward(const float*, const float*, const float*, float*, const ConvShape&, bool) {
  PA_CHECK(false, "conv2d: this build has no oneDNN (libdnnl-dev was not found when it was configured)");
}

void conv2d_dnnl_backward(const float*, const float*, const float*, const float*, float*, float*, float*, const ConvShape&,
                          bool) {
  PA_CHECK(false, "conv2d: this build has no oneDNN (libdnnl-dev was not found when it was configured)");
}

#endif

}  // namespace pixelart::kernels
