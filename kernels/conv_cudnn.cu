// kernels/conv_cudnn.cu — every cuDNN call of the project lives in this file (behind the plain
// pointers of cuda_ops.h). CPU twin: conv_cpu.cpp (im2col + GEMM) and its direct-loop oracle.
//
// Forward: cudnnConvolutionBiasActivationForward (conv + bias + ReLU in one call). Without ReLU
// (the upscaler's last layer) cuDNN's fused call only supports one algorithm, so we use
// cudnnConvolutionForward followed by cudnnAddTensor for the bias.
// Backward: a ReLU mask kernel (dz = dy * [y > 0]) then backward bias, filter and data, each
// accumulating (beta = 1) into the caller's gradients.
// A plan (descriptors, algorithms, workspace sizes) is built once per shape and cached; the
// algorithms are the fastest *deterministic* ones cudnnFind* measured, so training repeats.
// fp32 math (CUDNN_FMA_MATH: no TF32) unless a call asks for TF32, so CUDA matches the CPU within
// fp32 tolerances by default. BF16: the plan's x, w and y are bf16 tensors (fp32 compute, tensor
// cores); the caller casts the operands to bf16 once (kept for backward), the bias and ReLU are applied in fp32
// after the convolution, and dx and dw come back as bf16 and are added to the fp32 gradients:
// the rounding points of pixelart::Precision::BF16, which the CPU reproduces around its fp32
// kernels (src/ops_conv.cpp).
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "common.h"
#include "cuda_check.h"
#include "cuda_launch.cuh"
#include "cuda_ops.h"

namespace pixelart::cuda {
using kernels::ConvShape;

namespace {

struct CudnnHandle {
  cudnnHandle_t h = nullptr;
  CudnnHandle() { PA_CUDNN_CHECK(cudnnCreate(&h)); }
  ~CudnnHandle() {
    if (h && cudnnDestroy(h) != CUDNN_STATUS_SUCCESS)
      std::fprintf(stderr, "%s:%d: cudnnDestroy failed (ignored)\n", __FILE__, __LINE__);
  }
};
cudnnHandle_t handle() {
  static CudnnHandle h;
  return h.h;
}

struct Plan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnTensorDescriptor_t y32 = nullptr;  // bf16 plans: y as fp32, for the bias gradient
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnActivationDescriptor_t relu = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  bool have_bwd = false;
  size_t ws_fwd = 0, ws_data = 0, ws_filter = 0;

  ~Plan() {  // destructors log, never throw
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (bias) cudnnDestroyTensorDescriptor(bias);
    if (y32) cudnnDestroyTensorDescriptor(y32);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    if (relu) cudnnDestroyActivationDescriptor(relu);
  }
};

using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int>;
using kernels::ConvMath;

class PlanCache {
 public:
  Plan& get(const ConvShape& s, ConvMath math) {
    std::lock_guard<std::mutex> lock(mu_);
    const Key k{s.N, s.H, s.W, s.Cin, s.Cout, s.KH, s.KW, s.pad, int(math)};
    auto it = plans_.find(k);
    if (it != plans_.end()) return *it->second;
    auto p = std::make_unique<Plan>();
    build(*p, s, math);
    return *plans_.emplace(k, std::move(p)).first->second;
  }
  // One workspace for every plan, grown on demand (never per step once shapes repeat).
  void* workspace(size_t bytes) {
    if (bytes > ws_bytes_) {
      if (ws_) free(ws_, ws_bytes_);
      ws_ = alloc(bytes);
      ws_bytes_ = bytes;
    }
    return ws_;
  }
  ~PlanCache() {
    if (ws_) free(ws_, ws_bytes_);
  }

 private:
  static void build(Plan& p, const ConvShape& s, ConvMath math) {
    describe(p, s, math);
    constexpr int kMax = 16;
    int found = 0;
    cudnnConvolutionFwdAlgoPerf_t fperf[kMax];
    PA_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(handle(), p.x, p.w, p.conv, p.y, kMax, &found, fperf));
    p.fwd = pick(fperf, found, "forward").algo;
    PA_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle(), p.x, p.w, p.conv, p.y, p.fwd, &p.ws_fwd));
  }
  template <class Perf>
  static const Perf& pick(const Perf* perf, int found, const char* what) {
    for (int i = 0; i < found; ++i)  // sorted fastest first
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC)
        return perf[i];
    for (int i = 0; i < found; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS) {
        static std::once_flag warned;  // said once: training goes on, only its repeatability is lost
        std::call_once(warned, [what] {
          std::fprintf(stderr, "pixelart: cuDNN has no deterministic %s convolution algorithm for a shape; using a "
                               "non-deterministic one, so runs and resumed runs may differ in the last bits\n", what);
        });
        return perf[i];
      }
    fail(__FILE__, __LINE__, std::string("cuDNN found no usable ") + what + " convolution algorithm");
  }

 public:
  // The plan's descriptors (tensors, filter, convolution, activation), checked against ConvShape.
  // cuDNN builds descriptors on the host, so this runs without a GPU (tests/test_cudnn_descriptors.cpp).
  static void describe(Plan& p, const ConvShape& s, ConvMath math) {
    const int n = int(s.N), h = int(s.H), w = int(s.W), ci = int(s.Cin), co = int(s.Cout);
    const cudnnDataType_t dt = math == ConvMath::BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    const cudnnMathType_t mt = math == ConvMath::BF16   ? CUDNN_TENSOR_OP_MATH
                               : math == ConvMath::TF32 ? CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
                                                        : CUDNN_FMA_MATH;
    PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p.x));
    PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p.y));
    PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p.bias));
    PA_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p.w));
    PA_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p.conv));
    PA_CUDNN_CHECK(cudnnCreateActivationDescriptor(&p.relu));
    PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p.x, CUDNN_TENSOR_NHWC, dt, n, ci, h, w));
    PA_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p.w, dt, CUDNN_TENSOR_NHWC, co, ci, int(s.KH), int(s.KW)));
    PA_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p.conv, int(s.pad), int(s.pad), 1, 1, 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    PA_CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, mt));
    int on, oc, oh, ow;
    PA_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p.conv, p.x, p.w, &on, &oc, &oh, &ow));
    if (oh != s.Ho() || ow != s.Wo() || oc != co)
      fail(__FILE__, __LINE__, "cuDNN output shape disagrees with ConvShape");
    PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p.y, CUDNN_TENSOR_NHWC, dt, n, co, oh, ow));
    if (math == ConvMath::BF16) {
      PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p.y32));
      PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p.y32, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, n, co, oh, ow));
    }
    PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p.bias, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, 1, co, 1, 1));
    PA_CUDNN_CHECK(cudnnSetActivationDescriptor(p.relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  }
  static void build_backward(Plan& p) {
    constexpr int kMax = 16;
    int found = 0;
    cudnnConvolutionBwdDataAlgoPerf_t dperf[kMax];
    PA_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle(), p.w, p.y, p.conv, p.x, kMax, &found, dperf));
    p.bwd_data = pick(dperf, found, "backward-data").algo;
    PA_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(handle(), p.w, p.y, p.conv, p.x, p.bwd_data, &p.ws_data));
    cudnnConvolutionBwdFilterAlgoPerf_t wperf[kMax];
    PA_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(handle(), p.x, p.y, p.conv, p.w, kMax, &found, wperf));
    p.bwd_filter = pick(wperf, found, "backward-filter").algo;
    PA_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle(), p.x, p.y, p.conv, p.w, p.bwd_filter, &p.ws_filter));
    p.have_bwd = true;
  }

 private:
  std::mutex mu_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
  void* ws_ = nullptr;
  size_t ws_bytes_ = 0;
};

PlanCache& plans() {
  static PlanCache c;
  return c;
}

}  // namespace

namespace {
__global__ void k_bias_act_from_bf16(const uint16_t* z, const float* b, float* y, int64_t n, int64_t C, bool relu) {
  PA_GRID_STRIDE(i, n) {
    const float v = kernels::bf16_to_f32(z[i]) + (b ? b[i % C] : 0.f);
    y[i] = relu ? fmaxf(v, 0.f) : v;
  }
}
__global__ void k_add_bf16(const uint16_t* src, float* dst, int64_t n) {
  PA_GRID_STRIDE(i, n) dst[i] += kernels::bf16_to_f32(src[i]);
}

}  // namespace

void check_conv_descriptors(const ConvShape& s, ConvMath math) {
  Plan p;
  PlanCache::describe(p, s, math);
}

// Precision::BF16 (the file's comment): cuDNN on the caller's bf16 copies of x and w.
void conv2d_forward_bf16(const uint16_t* x, const uint16_t* w, const float* b, float* y, const ConvShape& s, bool relu) {
  Plan& p = plans().get(s, ConvMath::BF16);
  const int64_t ny = s.N * s.Ho() * s.Wo() * s.Cout;
  Scratch zb(ny * 2);
  const float one = 1.f, zero = 0.f;
  void* ws = plans().workspace(p.ws_fwd);
  PA_CUDNN_CHECK(cudnnConvolutionForward(handle(), &one, p.x, x, p.w, w, p.conv, p.fwd, ws, p.ws_fwd, &zero, p.y, zb.p));
  k_bias_act_from_bf16<<<grid_for(ny), kThreads>>>(zb.as<uint16_t>(), b, y, ny, s.Cout, relu);
  PA_CUDA_CHECK_LAUNCH();
}

void conv2d_backward_bf16(const uint16_t* x, const uint16_t* w, const float* y, const float* dy, float* dx, float* dw,
                          float* db, const ConvShape& s, bool relu) {
  Plan& p = plans().get(s, ConvMath::BF16);
  if (!p.have_bwd) PlanCache::build_backward(p);
  const float one = 1.f, zero = 0.f;
  const int64_t nx = s.N * s.H * s.W * s.Cin, nw = s.Cout * s.K(), ny = s.N * s.Ho() * s.Wo() * s.Cout;
  Scratch dz_buf(relu ? ny * sizeof(float) : 0), dzb(ny * 2);
  const float* dz = dy;
  if (relu) {
    relu_mask(y, dy, dz_buf.as<float>(), ny);
    dz = dz_buf.as<float>();
  }
  if (db) PA_CUDNN_CHECK(cudnnConvolutionBackwardBias(handle(), &one, p.y32, dz, &one, p.bias, db));
  f32_to_bf16(dz, dzb.as<uint16_t>(), ny);
  if (dw) {
    Scratch dwb(nw * 2);
    void* ws = plans().workspace(p.ws_filter);
    PA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(), &one, p.x, x, p.y, dzb.p, p.conv, p.bwd_filter, ws,
                                                  p.ws_filter, &zero, p.w, dwb.p));
    k_add_bf16<<<grid_for(nw), kThreads>>>(dwb.as<uint16_t>(), dw, nw);
    PA_CUDA_CHECK_LAUNCH();
  }
  if (dx) {
    Scratch dxb(nx * 2);
    void* ws = plans().workspace(p.ws_data);
    PA_CUDNN_CHECK(cudnnConvolutionBackwardData(handle(), &one, p.w, w, p.y, dzb.p, p.conv, p.bwd_data, ws, p.ws_data,
                                                &zero, p.x, dxb.p));
    k_add_bf16<<<grid_for(nx), kThreads>>>(dxb.as<uint16_t>(), dx, nx);
    PA_CUDA_CHECK_LAUNCH();
  }
}

void conv2d_forward(const float* x, const float* w, const float* b, float* y, const ConvShape& s,
                    bool relu, ConvMath math) {
  if (math == ConvMath::BF16) fail(__FILE__, __LINE__, "conv2d_forward: bf16 takes bf16 operands (conv2d_forward_bf16)");
  Plan& p = plans().get(s, math);
  const float one = 1.f, zero = 0.f;
  if (relu) {
    // The fused call may reject an algorithm for some shapes; IMPLICIT_PRECOMP_GEMM is the one
    // it documents as always supported, so a plan falls back to it once and remembers.
    void* ws = plans().workspace(p.ws_fwd);
    cudnnStatus_t st = cudnnConvolutionBiasActivationForward(
        handle(), &one, p.x, x, p.w, w, p.conv, p.fwd, ws, p.ws_fwd, &zero, p.y, y, p.bias, b,
        p.relu, p.y, y);
    if (st == CUDNN_STATUS_NOT_SUPPORTED && p.fwd != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM) {
      p.fwd = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
      PA_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle(), p.x, p.w, p.conv, p.y, p.fwd, &p.ws_fwd));
      ws = plans().workspace(p.ws_fwd);
      st = cudnnConvolutionBiasActivationForward(handle(), &one, p.x, x, p.w, w, p.conv, p.fwd, ws,
                                                 p.ws_fwd, &zero, p.y, y, p.bias, b, p.relu, p.y, y);
    }
    PA_CUDNN_CHECK(st);
  } else {
    void* ws = plans().workspace(p.ws_fwd);
    PA_CUDNN_CHECK(cudnnConvolutionForward(handle(), &one, p.x, x, p.w, w, p.conv, p.fwd, ws,
                                           p.ws_fwd, &zero, p.y, y));
    if (b) PA_CUDNN_CHECK(cudnnAddTensor(handle(), &one, p.bias, b, &one, p.y, y));
  }
}

void conv2d_backward(const float* x, const float* w, const float* y, const float* dy, float* dx,
                     float* dw, float* db, const ConvShape& s, bool relu, ConvMath math) {
  if (math == ConvMath::BF16) fail(__FILE__, __LINE__, "conv2d_backward: bf16 takes bf16 operands (conv2d_backward_bf16)");
  Plan& p = plans().get(s, math);
  if (!p.have_bwd) PlanCache::build_backward(p);
  const float one = 1.f;
  const int64_t ny = s.N * s.Ho() * s.Wo() * s.Cout;
  Scratch dz_buf(relu ? ny * sizeof(float) : 0);
  const float* dz = dy;
  if (relu) {
    relu_mask(y, dy, dz_buf.as<float>(), ny);
    dz = dz_buf.as<float>();
  }
  if (db) PA_CUDNN_CHECK(cudnnConvolutionBackwardBias(handle(), &one, p.y, dz, &one, p.bias, db));
  if (dw) {
    void* ws = plans().workspace(p.ws_filter);
    PA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle(), &one, p.x, x, p.y, dz, p.conv,
                                                  p.bwd_filter, ws, p.ws_filter, &one, p.w, dw));
  }
  if (dx) {
    void* ws = plans().workspace(p.ws_data);
    PA_CUDNN_CHECK(cudnnConvolutionBackwardData(handle(), &one, p.w, w, p.y, dz, p.conv,
                                                p.bwd_data, ws, p.ws_data, &one, p.x, dx));
  }
}

}  // namespace pixelart::cuda
