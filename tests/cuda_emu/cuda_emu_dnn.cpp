// tests/cuda_emu/cuda_emu_dnn.cpp — cuDNN and cuBLAS under the emulation (cuda_emu.h): the calls
// of kernels/conv_cudnn.cu and kernels/gemm_cublas.cu that need a GPU, done on the CPU by what the
// libraries document, so that those two files run unchanged (compiled by g++, as every .cu of the
// emulation) and their use of the libraries is tested without a GPU.
//
// What is real: cuDNN's descriptors. Creating, setting and destroying them, and the output size,
// are libcudnn's own host code. The functions defined here (the handle, the algorithm search, the
// workspace sizes, the convolutions, bias and tensor additions; cuBLAS's handle, math mode and
// SGEMM) take precedence over the libraries' at link time. A convolution reads its descriptors
// back through cuDNN's getters and does what they say, whatever the caller meant:
//   - tensors of any 4-d strides (NHWC, NCHW ...), filters in NHWC or NCHW format, float or
//     bfloat16 data; cross-correlation or convolution (the filter flipped); pads per side;
//   - alpha/beta blending, where beta = 0 (alpha2 = 0 for the fused call's z) means the output is
//     not read, as cuDNN documents ("it may contain NaN"; fresh device memory here is NaN);
//   - the checks cuDNN makes before it runs: the descriptors agree with each other (channels, the
//     output size, the bias shape, data types), the algorithm is one the search offered, the
//     workspace is at least the size asked for that algorithm (and it is written to, so a smaller
//     device buffer faults on its guard page), the fused call's ReLU or identity activation.
//     A failed check returns CUDNN_STATUS_BAD_PARAM or _NOT_SUPPORTED and says why on stderr.
// The search offers algorithms the way cuDNN does for these calls: forward deterministic; backward
// data and filter fastest-first with non-deterministic ones ahead, which differ in the last bits
// from call to call here too, so that conv_cudnn.cu's choice of the fastest *deterministic* one is
// exercised (resuming is compared bit for bit).
// The arithmetic is the CPU's (kernels/conv_cpu.cpp, gemm_cpu.cpp) on the operands gathered into
// NHWC, so a correct call gives what the CPU path gives; only stride 1 and dilation 1 are
// emulated (the project's convolutions; others are NOT_SUPPORTED, said on stderr).
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "conv.h"
#include "cpu_ops.h"
#include "cuda_emu.h"
#include "cublas_v2.h"
#include "cudnn.h"

namespace {
using pixelart::kernels::ConvShape;

cudnnStatus_t refuse(cudnnStatus_t st, const char* call, const std::string& why) {
  std::fprintf(stderr, "cuda emulation: %s: %s\n", call, why.c_str());
  return st;
}

// A 4-d tensor as its descriptor says: dims (n, c, h, w), strides in elements, data type.
struct Tensor4 {
  cudnnDataType_t type{};
  int n = 0, c = 0, h = 0, w = 0, ns = 0, cs = 0, hs = 0, ws = 0;
  int64_t count() const { return int64_t(n) * c * h * w; }
  int64_t at(int in, int ic, int ih, int iw) const { return int64_t(in) * ns + int64_t(ic) * cs + int64_t(ih) * hs + int64_t(iw) * ws; }
  bool same_dims(const Tensor4& o) const { return n == o.n && c == o.c && h == o.h && w == o.w; }
};
bool read(cudnnTensorDescriptor_t d, Tensor4* t) {
  return d && cudnnGetTensor4dDescriptor(d, &t->type, &t->n, &t->c, &t->h, &t->w, &t->ns, &t->cs, &t->hs, &t->ws) ==
                  CUDNN_STATUS_SUCCESS;
}
struct Filter4 {
  cudnnDataType_t type{};
  cudnnTensorFormat_t format{};
  int k = 0, c = 0, r = 0, s = 0;
  int64_t at(int ik, int ic, int ir, int is) const {  // NCHW format: KCRS; NHWC: KRSC
    return format == CUDNN_TENSOR_NHWC ? ((int64_t(ik) * r + ir) * s + is) * c + ic : ((int64_t(ik) * c + ic) * r + ir) * s + is;
  }
};
bool read(cudnnFilterDescriptor_t d, Filter4* f) {
  return d && cudnnGetFilter4dDescriptor(d, &f->type, &f->format, &f->k, &f->c, &f->r, &f->s) == CUDNN_STATUS_SUCCESS;
}
struct Conv2 {
  int ph = 0, pw = 0, u = 0, v = 0, dh = 0, dw = 0;
  cudnnConvolutionMode_t mode{};
  cudnnDataType_t compute{};
};
bool read(cudnnConvolutionDescriptor_t d, Conv2* c) {
  return d && cudnnGetConvolution2dDescriptor(d, &c->ph, &c->pw, &c->u, &c->v, &c->dh, &c->dw, &c->mode, &c->compute) ==
                  CUDNN_STATUS_SUCCESS;
}

float load(const void* p, cudnnDataType_t t, int64_t i) {
  return t == CUDNN_DATA_BFLOAT16 ? pixelart::kernels::bf16_to_f32(static_cast<const uint16_t*>(p)[i])
                                  : static_cast<const float*>(p)[i];
}
void store(void* p, cudnnDataType_t t, int64_t i, float v) {
  if (t == CUDNN_DATA_BFLOAT16) static_cast<uint16_t*>(p)[i] = pixelart::kernels::f32_to_bf16(v);
  else static_cast<float*>(p)[i] = v;
}
bool supported(cudnnDataType_t t) { return t == CUDNN_DATA_FLOAT || t == CUDNN_DATA_BFLOAT16; }

// Gathered into the CPU kernels' layouts: x [N,H,W,C], w [K,R,S,C] (flipped for CUDNN_CONVOLUTION).
std::vector<float> gather(const Tensor4& t, const void* p) {
  std::vector<float> v(size_t(t.count()));
  size_t i = 0;
  for (int in = 0; in < t.n; ++in)
    for (int ih = 0; ih < t.h; ++ih)
      for (int iw = 0; iw < t.w; ++iw)
        for (int ic = 0; ic < t.c; ++ic) v[i++] = load(p, t.type, t.at(in, ic, ih, iw));
  return v;
}
std::vector<float> gather(const Filter4& f, const void* p, bool flip) {
  std::vector<float> v(size_t(f.k) * f.r * f.s * f.c);
  size_t i = 0;
  for (int ik = 0; ik < f.k; ++ik)
    for (int ir = 0; ir < f.r; ++ir)
      for (int is = 0; is < f.s; ++is)
        for (int ic = 0; ic < f.c; ++ic)
          v[i++] = load(p, f.type, f.at(ik, ic, flip ? f.r - 1 - ir : ir, flip ? f.s - 1 - is : is));
  return v;
}
// out = alpha * v + beta * out, v in [N,H,W,C] order; beta = 0: out is not read.
void blend(const Tensor4& t, void* p, const std::vector<float>& v, float alpha, float beta) {
  size_t i = 0;
  for (int in = 0; in < t.n; ++in)
    for (int ih = 0; ih < t.h; ++ih)
      for (int iw = 0; iw < t.w; ++iw)
        for (int ic = 0; ic < t.c; ++ic, ++i) {
          const int64_t at = t.at(in, ic, ih, iw);
          const float r = alpha == 1.f ? v[i] : alpha * v[i];
          store(p, t.type, at, beta == 0.f ? r : r + beta * load(p, t.type, at));
        }
}
void blend(const Filter4& f, void* p, const std::vector<float>& v, float alpha, float beta, bool flip) {
  size_t i = 0;
  for (int ik = 0; ik < f.k; ++ik)
    for (int ir = 0; ir < f.r; ++ir)
      for (int is = 0; is < f.s; ++is)
        for (int ic = 0; ic < f.c; ++ic, ++i) {
          const int64_t at = f.at(ik, ic, flip ? f.r - 1 - ir : ir, flip ? f.s - 1 - is : is);
          const float r = alpha == 1.f ? v[i] : alpha * v[i];
          store(p, f.type, at, beta == 0.f ? r : r + beta * load(p, f.type, at));
        }
}

// The handle cudnnCreate gives out: the calls check they get it.
struct EmuContext {
  int magic = 0x636e6e64;
} the_cudnn;
cudnnHandle_t emu_handle() { return reinterpret_cast<cudnnHandle_t>(&the_cudnn); }

// The workspace each algorithm of each call asks for (algorithm 0 none; forward < backward data <
// backward filter otherwise), so that each call must be handed the workspace sized for its own.
enum class Op { Forward = 1, Data = 2, Filter = 3 };
size_t workspace_for(Op op, int algo, int64_t x_elements) {
  return algo == 0 ? 0 : size_t(algo) * 4096 + size_t(x_elements) * 2 * size_t(op);
}

// What a convolution call is about, read from its descriptors and checked as cuDNN checks it.
struct Problem {
  Tensor4 x, y;  // y: the output (forward) or the gradient flowing back (backward)
  Filter4 w;
  Conv2 conv;
  ConvShape shape{};
  bool flip = false;
};
cudnnStatus_t describe(const char* call, cudnnHandle_t h, cudnnTensorDescriptor_t xd, cudnnFilterDescriptor_t wd,
                       cudnnConvolutionDescriptor_t cd, cudnnTensorDescriptor_t yd, Problem* p) {
  if (h != emu_handle()) return refuse(CUDNN_STATUS_BAD_PARAM, call, "not a handle from cudnnCreate");
  if (!read(xd, &p->x) || !read(wd, &p->w) || !read(cd, &p->conv) || !read(yd, &p->y))
    return refuse(CUDNN_STATUS_BAD_PARAM, call, "a descriptor is null or not set");
  const Tensor4 &x = p->x, &y = p->y;
  const Filter4& w = p->w;
  const Conv2& c = p->conv;
  if (!supported(x.type) || x.type != w.type || x.type != y.type)
    return refuse(CUDNN_STATUS_BAD_PARAM, call, "x, w and y must have one data type (float or bfloat16 here)");
  if (c.compute != CUDNN_DATA_FLOAT) return refuse(CUDNN_STATUS_NOT_SUPPORTED, call, "compute type other than float");
  if (w.c != x.c) return refuse(CUDNN_STATUS_BAD_PARAM, call, "the filter's channels differ from x's");
  if (c.u != 1 || c.v != 1 || c.dh != 1 || c.dw != 1)
    return refuse(CUDNN_STATUS_NOT_SUPPORTED, call, "stride or dilation other than 1 (not emulated)");
  if (c.ph != c.pw) return refuse(CUDNN_STATUS_NOT_SUPPORTED, call, "different pads for height and width (not emulated)");
  p->shape = ConvShape{x.n, x.h, x.w, x.c, w.k, w.r, w.s, c.ph};
  if (y.n != x.n || y.c != w.k || y.h != p->shape.Ho() || y.w != p->shape.Wo())
    return refuse(CUDNN_STATUS_BAD_PARAM, call,
                  "y is " + std::to_string(y.n) + "x" + std::to_string(y.c) + "x" + std::to_string(y.h) + "x" + std::to_string(y.w) +
                      " (NCHW), the convolution gives " + std::to_string(x.n) + "x" + std::to_string(w.k) + "x" +
                      std::to_string(p->shape.Ho()) + "x" + std::to_string(p->shape.Wo()));
  p->flip = c.mode == CUDNN_CONVOLUTION;
  return CUDNN_STATUS_SUCCESS;
}
// The algorithms the search offers for each call, fastest first, each with whether it is
// deterministic: forward ones all are; backward data and filter list non-deterministic ones ahead.
struct Offered {
  int algo;
  bool deterministic;
};
const std::vector<Offered>& offered(Op op) {
  static const std::vector<Offered> forward{{CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, true},
                                            {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, true},
                                            {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, true}};
  static const std::vector<Offered> data{{CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, false}, {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, true}};
  static const std::vector<Offered> filter{{CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, false},
                                           {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, false},
                                           {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, true}};
  return op == Op::Forward ? forward : op == Op::Data ? data : filter;
}
bool deterministic(Op op, int algo) {
  for (const Offered& o : offered(op))
    if (o.algo == algo) return o.deterministic;
  return false;
}

// What a convolution call checks once its descriptors are read, with the device open: an
// algorithm the search offered for it, and a workspace of the size that algorithm asks for
// (written to, so that a smaller device buffer faults on its guard page).
cudnnStatus_t check_algorithm(const char* call, Op op, int algo, const Problem& p, void* ws, size_t bytes) {
  bool known = false;
  for (const Offered& o : offered(op)) known |= o.algo == algo;
  if (!known) return refuse(CUDNN_STATUS_NOT_SUPPORTED, call, "algorithm " + std::to_string(algo) + ": the search did not offer it");
  const size_t need = workspace_for(op, algo, p.x.count());
  if (bytes < need || (need > 0 && !ws))
    return refuse(CUDNN_STATUS_BAD_PARAM, call,
                  "algorithm " + std::to_string(algo) + " needs a workspace of " + std::to_string(need) + " bytes, got " +
                      std::to_string(bytes) + (ws ? "" : " at null"));
  if (need) std::memset(ws, 0xA5, need);  // the algorithm uses it: a smaller buffer faults
  return CUDNN_STATUS_SUCCESS;
}
// A non-deterministic algorithm's result may differ in the last bits from call to call (its
// atomic additions land in another order): here a random eighth of the values move by one unit in
// the last place, differently at each call, so that choosing one shows up wherever runs are
// compared bit for bit (resuming).
void jitter(std::vector<float>* v) {
  static std::atomic<uint64_t> calls{0};
  uint64_t s = 0x9E3779B97F4A7C15ull * ++calls;
  for (float& x : *v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    if ((s & 7) == 0) x = std::nextafter(x, (s & 8) ? INFINITY : -INFINITY);
  }
}

float scalar(const void* p) { return *static_cast<const float*>(p); }  // float and bfloat16 data: float scalars

// The algorithms a search offers, fastest first (times are made up; the order and the
// determinism are what conv_cudnn.cu acts on).
template <class Perf>
void offer(Op op, int64_t elements, int requested, int* returned, Perf* perf) {
  const std::vector<Offered>& algos = offered(op);
  *returned = 0;
  for (size_t i = 0; i < algos.size() && *returned < requested; ++i) {
    Perf& q = perf[(*returned)++];
    q = Perf{};
    q.algo = decltype(q.algo)(algos[i].algo);
    q.status = CUDNN_STATUS_SUCCESS;
    q.time = 0.1f * float(i + 1);
    q.memory = workspace_for(op, algos[i].algo, elements);
    q.determinism = algos[i].deterministic ? CUDNN_DETERMINISTIC : CUDNN_NON_DETERMINISTIC;
    q.mathType = CUDNN_FMA_MATH;
  }
}

}  // namespace

extern "C" {

// ---- cuDNN -------------------------------------------------------------------------------------

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) {
  if (!handle) return CUDNN_STATUS_BAD_PARAM;
  *handle = emu_handle();
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
  return handle == emu_handle() ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_BAD_PARAM;
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                   const cudnnFilterDescriptor_t wd, const cudnnConvolutionDescriptor_t cd,
                                                   const cudnnTensorDescriptor_t yd, const int requested, int* returned,
                                                   cudnnConvolutionFwdAlgoPerf_t* perf) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, wd, cd, yd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  offer(Op::Forward, p.x.count(), requested, returned, perf);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t h, const cudnnFilterDescriptor_t wd,
                                                        const cudnnTensorDescriptor_t dyd,
                                                        const cudnnConvolutionDescriptor_t cd,
                                                        const cudnnTensorDescriptor_t dxd, const int requested, int* returned,
                                                        cudnnConvolutionBwdDataAlgoPerf_t* perf) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, dxd, wd, cd, dyd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  offer(Op::Data, p.x.count(), requested, returned, perf);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                          const cudnnTensorDescriptor_t dyd,
                                                          const cudnnConvolutionDescriptor_t cd,
                                                          const cudnnFilterDescriptor_t dwd, const int requested,
                                                          int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, dwd, cd, dyd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  offer(Op::Filter, p.x.count(), requested, returned, perf);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                      const cudnnFilterDescriptor_t wd, const cudnnConvolutionDescriptor_t cd,
                                                      const cudnnTensorDescriptor_t yd, cudnnConvolutionFwdAlgo_t algo,
                                                      size_t* bytes) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, wd, cd, yd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  *bytes = workspace_for(Op::Forward, int(algo), p.x.count());
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t h, const cudnnFilterDescriptor_t wd,
                                                           const cudnnTensorDescriptor_t dyd,
                                                           const cudnnConvolutionDescriptor_t cd,
                                                           const cudnnTensorDescriptor_t dxd, cudnnConvolutionBwdDataAlgo_t algo,
                                                           size_t* bytes) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, dxd, wd, cd, dyd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  *bytes = workspace_for(Op::Data, int(algo), p.x.count());
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                             const cudnnTensorDescriptor_t dyd,
                                                             const cudnnConvolutionDescriptor_t cd,
                                                             const cudnnFilterDescriptor_t dwd,
                                                             cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, dwd, cd, dyd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  *bytes = workspace_for(Op::Filter, int(algo), p.x.count());
  return CUDNN_STATUS_SUCCESS;
}

// The emulated device computes a convolution as the CPU backend does (oneDNN where the build has
// it, else im2col + GEMM: kernels/conv.h), so that the device's results follow the CPU's.
static void cpu_conv_forward(const float* x, const float* w, const float* b, float* y, const pixelart::kernels::ConvShape& s, bool relu) {
  if (pixelart::kernels::dnnl_available()) pixelart::kernels::conv2d_dnnl_forward(x, w, b, y, s, relu);
  else pixelart::kernels::conv2d_fast_forward<float>(x, w, b, y, s, relu);
}
static void cpu_conv_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, const pixelart::kernels::ConvShape& s) {
  if (pixelart::kernels::dnnl_available()) pixelart::kernels::conv2d_dnnl_backward(x, w, nullptr, dy, dx, dw, nullptr, s, false);
  else pixelart::kernels::conv2d_fast_backward<float>(x, w, nullptr, dy, dx, dw, nullptr, s, false);
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t xd, const void* x,
                                      const cudnnFilterDescriptor_t wd, const void* w,
                                      const cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t algo, void* ws,
                                      size_t ws_bytes, const void* beta, const cudnnTensorDescriptor_t yd, void* y) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, wd, cd, yd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  pixelart::emu::DeviceAccess open;
  if (const cudnnStatus_t st = check_algorithm(__func__, Op::Forward, int(algo), p, ws, ws_bytes); st != CUDNN_STATUS_SUCCESS) return st;
  const std::vector<float> xv = gather(p.x, x), wv = gather(p.w, w, p.flip);
  std::vector<float> yv(size_t(p.y.count()));
  cpu_conv_forward(xv.data(), wv.data(), nullptr, yv.data(), p.shape, false);
  blend(p.y, y, yv, scalar(alpha), scalar(beta));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBiasActivationForward(
    cudnnHandle_t h, const void* alpha1, const cudnnTensorDescriptor_t xd, const void* x, const cudnnFilterDescriptor_t wd,
    const void* w, const cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t algo, void* ws, size_t ws_bytes,
    const void* alpha2, const cudnnTensorDescriptor_t zd, const void* z, const cudnnTensorDescriptor_t bd, const void* bias,
    const cudnnActivationDescriptor_t ad, const cudnnTensorDescriptor_t yd, void* y) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, wd, cd, yd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  Tensor4 zt, bt;
  if (!read(zd, &zt) || !zt.same_dims(p.y) || zt.type != p.y.type)
    return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "z must be described as y is");
  if (!read(bd, &bt) || bt.n != 1 || bt.c != p.w.k || bt.h != 1 || bt.w != 1 || bt.type != CUDNN_DATA_FLOAT)
    return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "the bias must be a float 1 x K x 1 x 1 tensor");
  cudnnActivationMode_t mode;
  cudnnNanPropagation_t nan;
  double coef;
  if (!ad || cudnnGetActivationDescriptor(ad, &mode, &nan, &coef) != CUDNN_STATUS_SUCCESS)
    return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "no activation descriptor");
  if (mode != CUDNN_ACTIVATION_RELU && mode != CUDNN_ACTIVATION_IDENTITY)
    return refuse(CUDNN_STATUS_NOT_SUPPORTED, __func__, "the fused call takes ReLU or identity only");
  if (mode == CUDNN_ACTIVATION_IDENTITY && algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
    return refuse(CUDNN_STATUS_NOT_SUPPORTED, __func__, "identity activation needs IMPLICIT_PRECOMP_GEMM");
  pixelart::emu::DeviceAccess open;
  if (const cudnnStatus_t st = check_algorithm(__func__, Op::Forward, int(algo), p, ws, ws_bytes); st != CUDNN_STATUS_SUCCESS) return st;
  const bool relu = mode == CUDNN_ACTIVATION_RELU;
  const std::vector<float> xv = gather(p.x, x), wv = gather(p.w, w, p.flip), bv = gather(bt, bias);
  std::vector<float> yv(size_t(p.y.count()));
  const float a1 = scalar(alpha1), a2 = scalar(alpha2);
  if (a1 == 1.f && a2 == 0.f) {  // conv + bias + activation in one: the CPU's own order
    cpu_conv_forward(xv.data(), wv.data(), bv.data(), yv.data(), p.shape, relu);
  } else {
    cpu_conv_forward(xv.data(), wv.data(), nullptr, yv.data(), p.shape, false);
    const std::vector<float> zv = a2 != 0.f ? gather(zt, z) : std::vector<float>();
    for (size_t i = 0; i < yv.size(); ++i) {
      float v = a1 * yv[i] + (a2 != 0.f ? a2 * zv[i] : 0.f) + bv[i % bv.size()];
      yv[i] = relu ? (v > 0.f ? v : 0.f) : v;
    }
  }
  blend(p.y, y, yv, 1.f, 0.f);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void* alpha, const cudnnFilterDescriptor_t wd, const void* w,
                                           const cudnnTensorDescriptor_t dyd, const void* dy,
                                           const cudnnConvolutionDescriptor_t cd, cudnnConvolutionBwdDataAlgo_t algo, void* ws,
                                           size_t ws_bytes, const void* beta, const cudnnTensorDescriptor_t dxd, void* dx) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, dxd, wd, cd, dyd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  pixelart::emu::DeviceAccess open;
  if (const cudnnStatus_t st = check_algorithm(__func__, Op::Data, int(algo), p, ws, ws_bytes); st != CUDNN_STATUS_SUCCESS) return st;
  const std::vector<float> wv = gather(p.w, w, p.flip), dyv = gather(p.y, dy);
  std::vector<float> dxv(size_t(p.x.count()), 0.f);
  cpu_conv_backward(nullptr, wv.data(), dyv.data(), dxv.data(), nullptr, p.shape);
  if (!deterministic(Op::Data, int(algo))) jitter(&dxv);
  blend(p.x, dx, dxv, scalar(alpha), scalar(beta));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t xd, const void* x,
                                             const cudnnTensorDescriptor_t dyd, const void* dy,
                                             const cudnnConvolutionDescriptor_t cd, cudnnConvolutionBwdFilterAlgo_t algo,
                                             void* ws, size_t ws_bytes, const void* beta, const cudnnFilterDescriptor_t dwd,
                                             void* dw) {
  Problem p;
  if (const cudnnStatus_t st = describe(__func__, h, xd, dwd, cd, dyd, &p); st != CUDNN_STATUS_SUCCESS) return st;
  pixelart::emu::DeviceAccess open;
  if (const cudnnStatus_t st = check_algorithm(__func__, Op::Filter, int(algo), p, ws, ws_bytes); st != CUDNN_STATUS_SUCCESS) return st;
  const std::vector<float> xv = gather(p.x, x), dyv = gather(p.y, dy);
  std::vector<float> dwv(size_t(p.w.k) * p.w.r * p.w.s * p.w.c, 0.f);
  cpu_conv_backward(xv.data(), nullptr, dyv.data(), nullptr, dwv.data(), p.shape);
  if (!deterministic(Op::Filter, int(algo))) jitter(&dwv);
  blend(p.w, dw, dwv, scalar(alpha), scalar(beta), p.flip);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionBackwardBias(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t dyd, const void* dy,
                                           const void* beta, const cudnnTensorDescriptor_t dbd, void* db) {
  if (h != emu_handle()) return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "not a handle from cudnnCreate");
  Tensor4 g, b;
  if (!read(dyd, &g) || !read(dbd, &b)) return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "a descriptor is null or not set");
  if (b.n != 1 || b.c != g.c || b.h != 1 || b.w != 1)
    return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "db must be 1 x C x 1 x 1 for dy's C = " + std::to_string(g.c));
  if (!supported(g.type) || b.type != CUDNN_DATA_FLOAT) return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "data types");
  pixelart::emu::DeviceAccess open;
  const std::vector<float> gv = gather(g, dy);
  std::vector<float> sum(size_t(g.c), 0.f);
  pixelart::kernels::sum_rows_cpu<float>(gv.data(), sum.data(), int64_t(g.n) * g.h * g.w, g.c);
  blend(b, db, sum, scalar(alpha), scalar(beta));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnAddTensor(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t ad, const void* A,
                             const void* beta, const cudnnTensorDescriptor_t cd, void* C) {
  if (h != emu_handle()) return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "not a handle from cudnnCreate");
  Tensor4 a, c;
  if (!read(ad, &a) || !read(cd, &c)) return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "a descriptor is null or not set");
  // each of A's dimensions is C's or 1 (broadcast)
  if ((a.n != c.n && a.n != 1) || (a.c != c.c && a.c != 1) || (a.h != c.h && a.h != 1) || (a.w != c.w && a.w != 1))
    return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "A's dimensions must be C's or 1");
  if (!supported(a.type) || !supported(c.type)) return refuse(CUDNN_STATUS_BAD_PARAM, __func__, "data types");
  pixelart::emu::DeviceAccess open;
  const float al = scalar(alpha), be = scalar(beta);
  for (int in = 0; in < c.n; ++in)
    for (int ic = 0; ic < c.c; ++ic)
      for (int ih = 0; ih < c.h; ++ih)
        for (int iw = 0; iw < c.w; ++iw) {
          const int64_t at = c.at(in, ic, ih, iw);
          const float va = load(A, a.type, a.at(a.n == 1 ? 0 : in, a.c == 1 ? 0 : ic, a.h == 1 ? 0 : ih, a.w == 1 ? 0 : iw));
          store(C, c.type, at, be == 0.f ? al * va : be * load(C, c.type, at) + al * va);
        }
  return CUDNN_STATUS_SUCCESS;
}

// ---- cuBLAS ------------------------------------------------------------------------------------

struct cublasContext {
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) {
  if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int base = int(mode) & ~int(CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION);
  if (base != CUBLAS_DEFAULT_MATH && base != CUBLAS_TENSOR_OP_MATH && base != CUBLAS_PEDANTIC_MATH &&
      base != CUBLAS_TF32_TENSOR_OP_MATH)
    return CUBLAS_STATUS_INVALID_VALUE;
  handle->math = mode;  // TF32 is emulated as fp32 (a result TF32 math may also give)
  return CUBLAS_STATUS_SUCCESS;
}
const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    default: return "CUBLAS_STATUS (another)";
  }
}

// Column-major, as cuBLAS: C (m x n, ldc) = alpha op(A) op(B) + beta C, op(A) m x k, op(B) k x n.
// Read as row-major, each matrix is its transpose, so this is the row-major GEMM
// C^T = op(B)^T op(A)^T on the same memory: the CPU's gemm with the operands swapped.
cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
                              const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta, float* C,
                              int ldc) {
  if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
  const bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "cuda emulation: cublasSgemm: %s\n", why.c_str());
    return CUBLAS_STATUS_INVALID_VALUE;
  };
  if (m < 0 || n < 0 || k < 0) return fail("a negative size");
  if (lda < std::max(1, ta ? k : m)) return fail("lda " + std::to_string(lda) + " < rows of A (" + std::to_string(ta ? k : m) + ")");
  if (ldb < std::max(1, tb ? n : k)) return fail("ldb " + std::to_string(ldb) + " < rows of B (" + std::to_string(tb ? n : k) + ")");
  if (ldc < std::max(1, m)) return fail("ldc " + std::to_string(ldc) + " < rows of C (" + std::to_string(m) + ")");
  if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
  pixelart::emu::DeviceAccess open;
  pixelart::kernels::gemm_cpu<float>(tb, ta, n, m, k, *alpha, B, ldb, A, lda, *beta, C, ldc);
  return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"
