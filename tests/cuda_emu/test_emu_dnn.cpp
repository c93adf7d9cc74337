// tests/cuda_emu/test_emu_dnn.cpp — the emulated cuDNN and cuBLAS (cuda_emu_dnn.cpp) against
// what the libraries document, on layouts and modes the project does not use, so that the
// emulation is an oracle for kernels/conv_cudnn.cu and gemm_cublas.cu and not their mirror:
// NCHW tensors and filters, convolution mode (the filter flipped), alpha/beta blending, the
// refusals, the non-deterministic algorithms, and SGEMM in column-major order.
#include <gtest/gtest.h>

#include <vector>

#include "cuda_check.h"
#include "rng.h"

namespace pixelart::cuda {
namespace {

std::vector<float> random(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(2.0 * kernels::uniform01(seed, 1, i) - 1.0);
  return v;
}

// An NCHW problem: x [N, C, H, W], w [K, C, R, S] (cuDNN's NCHW filter format), pad 1.
struct Nchw {
  int N = 2, C = 3, H = 5, W = 4, K = 2, R = 3, S = 3, pad = 1;
  int Ho() const { return H + 2 * pad - R + 1; }
  int Wo() const { return W + 2 * pad - S + 1; }
  size_t xi(int n, int c, int h, int w) const { return ((size_t(n) * C + c) * H + h) * W + w; }
  size_t yi(int n, int k, int h, int w) const { return ((size_t(n) * K + k) * Ho() + h) * Wo() + w; }
  size_t wi(int k, int c, int r, int s) const { return ((size_t(k) * C + c) * R + r) * S + s; }
  // every (output, input, filter) index triple of the convolution; `flip`: convolution mode
  template <class F>
  void each(bool flip, F f) const {
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < K; ++k)
        for (int h = 0; h < Ho(); ++h)
          for (int w = 0; w < Wo(); ++w)
            for (int c = 0; c < C; ++c)
              for (int r = 0; r < R; ++r)
                for (int s = 0; s < S; ++s) {
                  const int ih = h + r - pad, iw = w + s - pad;
                  if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                    f(yi(n, k, h, w), xi(n, c, ih, iw), flip ? wi(k, c, R - 1 - r, S - 1 - s) : wi(k, c, r, s));
                }
  }
};

struct Descriptors {
  cudnnHandle_t h{};
  cudnnTensorDescriptor_t x{}, y{};
  cudnnFilterDescriptor_t w{};
  cudnnConvolutionDescriptor_t conv{};
  Descriptors(const Nchw& p, cudnnConvolutionMode_t mode, int y_height) {
    PA_CUDNN_CHECK(cudnnCreate(&h));
    PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    PA_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    PA_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, p.N, p.C, p.H, p.W));
    PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, p.N, p.K, y_height, p.Wo()));
    PA_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, p.K, p.C, p.R, p.S));
    PA_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, p.pad, p.pad, 1, 1, 1, 1, mode, CUDNN_DATA_FLOAT));
  }
  ~Descriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroy(h);
  }
};

void expect_near(const std::vector<float>& a, const std::vector<float>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << what << " element " << i;
}

TEST(CudaEmulatedCudnn, ConvolutionsFollowTheDescriptorsNchwFlippedAndBlended) {
  const Nchw p;
  for (const cudnnConvolutionMode_t mode : {CUDNN_CROSS_CORRELATION, CUDNN_CONVOLUTION}) {
    const bool flip = mode == CUDNN_CONVOLUTION;
    const Descriptors d(p, mode, p.Ho());
    const std::vector<float> x = random(size_t(p.N) * p.C * p.H * p.W, 1), w = random(size_t(p.K) * p.C * p.R * p.S, 2),
                             dy = random(size_t(p.N) * p.K * p.Ho() * p.Wo(), 3);
    const float alpha = 2.f, beta = 0.5f, one = 1.f;
    // forward: y = alpha conv(x) + beta y
    std::vector<float> y = random(dy.size(), 4), want = y;
    for (float& v : want) v *= beta;
    p.each(flip, [&](size_t yi, size_t xi, size_t wi) { want[yi] += alpha * x[xi] * w[wi]; });
    ASSERT_EQ(cudnnConvolutionForward(d.h, &alpha, d.x, x.data(), d.w, w.data(), d.conv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                      nullptr, 0, &beta, d.y, y.data()),
              CUDNN_STATUS_SUCCESS);
    expect_near(y, want, flip ? "forward, convolution mode" : "forward");
    // backward data and filter, added to what is there (beta = 1)
    std::vector<float> dx = random(x.size(), 5), dw = random(w.size(), 6), want_dx = dx, want_dw = dw;
    p.each(flip, [&](size_t yi, size_t xi, size_t wi) { want_dx[xi] += dy[yi] * w[wi], want_dw[wi] += dy[yi] * x[xi]; });
    ASSERT_EQ(cudnnConvolutionBackwardData(d.h, &one, d.w, w.data(), d.y, dy.data(), d.conv, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                                           nullptr, 0, &one, d.x, dx.data()),
              CUDNN_STATUS_BAD_PARAM)
        << "ALGO_1 asks for a workspace";
    size_t ws_bytes = 0;
    ASSERT_EQ(cudnnGetConvolutionBackwardDataWorkspaceSize(d.h, d.w, d.y, d.conv, d.x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, &ws_bytes),
              CUDNN_STATUS_SUCCESS);
    std::vector<char> ws(ws_bytes);
    ASSERT_EQ(cudnnConvolutionBackwardData(d.h, &one, d.w, w.data(), d.y, dy.data(), d.conv, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                                           ws.data(), ws.size(), &one, d.x, dx.data()),
              CUDNN_STATUS_SUCCESS);
    expect_near(dx, want_dx, "backward data");
    ASSERT_EQ(cudnnGetConvolutionBackwardFilterWorkspaceSize(d.h, d.x, d.y, d.conv, d.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, &ws_bytes),
              CUDNN_STATUS_SUCCESS);
    ws.resize(ws_bytes);
    ASSERT_EQ(cudnnConvolutionBackwardFilter(d.h, &one, d.x, x.data(), d.y, dy.data(), d.conv, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                                             ws.data(), ws.size(), &one, d.w, dw.data()),
              CUDNN_STATUS_SUCCESS);
    expect_near(dw, want_dw, "backward filter");
  }
}

TEST(CudaEmulatedCudnn, RefusesWhatCudnnRefusesAndSaysWhy) {
  const Nchw p;
  const std::vector<float> x(size_t(p.N) * p.C * p.H * p.W, 1.f), w(size_t(p.K) * p.C * p.R * p.S, 1.f);
  std::vector<float> y(size_t(p.N) * p.K * (p.Ho() + 1) * p.Wo());
  const float one = 1.f, zero = 0.f;
  {  // an output one row too tall
    const Descriptors d(p, CUDNN_CROSS_CORRELATION, p.Ho() + 1);
    EXPECT_EQ(cudnnConvolutionForward(d.h, &one, d.x, x.data(), d.w, w.data(), d.conv, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                      nullptr, 0, &zero, d.y, y.data()),
              CUDNN_STATUS_BAD_PARAM);
  }
  const Descriptors d(p, CUDNN_CROSS_CORRELATION, p.Ho());
  // an algorithm that needs a workspace, given none
  EXPECT_EQ(cudnnConvolutionForward(d.h, &one, d.x, x.data(), d.w, w.data(), d.conv,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, nullptr, 0, &zero, d.y, y.data()),
            CUDNN_STATUS_BAD_PARAM);
  // a handle that cudnnCreate did not give
  EXPECT_EQ(cudnnConvolutionForward(reinterpret_cast<cudnnHandle_t>(y.data()), &one, d.x, x.data(), d.w, w.data(), d.conv,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &zero, d.y, y.data()),
            CUDNN_STATUS_BAD_PARAM);
  // the fused call: identity activation only with IMPLICIT_PRECOMP_GEMM
  cudnnTensorDescriptor_t bias;
  cudnnActivationDescriptor_t identity;
  PA_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
  PA_CUDNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, p.K, 1, 1));
  PA_CUDNN_CHECK(cudnnCreateActivationDescriptor(&identity));
  PA_CUDNN_CHECK(cudnnSetActivationDescriptor(identity, CUDNN_ACTIVATION_IDENTITY, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  const std::vector<float> b(size_t(p.K), 0.f);
  EXPECT_EQ(cudnnConvolutionBiasActivationForward(d.h, &one, d.x, x.data(), d.w, w.data(), d.conv,
                                                  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &zero, d.y, y.data(), bias,
                                                  b.data(), identity, d.y, y.data()),
            CUDNN_STATUS_NOT_SUPPORTED);
  cudnnDestroyActivationDescriptor(identity);
  cudnnDestroyTensorDescriptor(bias);
}

TEST(CudaEmulatedCudnn, TheSearchPutsNonDeterministicAlgorithmsFirstAndTheyVaryInTheLastBits) {
  const Nchw p;
  const Descriptors d(p, CUDNN_CROSS_CORRELATION, p.Ho());
  cudnnConvolutionBwdFilterAlgoPerf_t perf[8];
  int found = 0;
  ASSERT_EQ(cudnnFindConvolutionBackwardFilterAlgorithm(d.h, d.x, d.y, d.conv, d.w, 8, &found, perf), CUDNN_STATUS_SUCCESS);
  ASSERT_GE(found, 2);
  EXPECT_EQ(perf[0].determinism, CUDNN_NON_DETERMINISTIC);
  bool any_deterministic = false;
  for (int i = 0; i < found; ++i) any_deterministic |= perf[i].determinism == CUDNN_DETERMINISTIC;
  EXPECT_TRUE(any_deterministic);
  const std::vector<float> x = random(size_t(p.N) * p.C * p.H * p.W, 7), dy = random(size_t(p.N) * p.K * p.Ho() * p.Wo(), 8);
  const float one = 1.f, zero = 0.f;
  auto filter_grad = [&](cudnnConvolutionBwdFilterAlgo_t algo) {
    size_t bytes = 0;
    PA_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(d.h, d.x, d.y, d.conv, d.w, algo, &bytes));
    std::vector<char> ws(bytes);
    std::vector<float> dw(size_t(p.K) * p.C * p.R * p.S);
    PA_CUDNN_CHECK(cudnnConvolutionBackwardFilter(d.h, &one, d.x, x.data(), d.y, dy.data(), d.conv, algo, ws.data(), ws.size(), &zero,
                                                  d.w, dw.data()));
    return dw;
  };
  EXPECT_EQ(filter_grad(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1), filter_grad(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1));
  EXPECT_NE(filter_grad(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0), filter_grad(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0));
}

TEST(CudaEmulatedCublas, SgemmIsColumnMajorWithCublassChecks) {
  cublasHandle_t h;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  // column-major A (2 x 3) = [1 2 3; 4 5 6], B (3 x 2) = [1 0; 0 1; 1 1]: A B = [4 5; 10 11]
  const float A[] = {1, 4, 2, 5, 3, 6}, B[] = {1, 0, 1, 0, 1, 1};
  float C[4] = {100, 100, 100, 100};
  const float one = 1.f, zero = 0.f, half = 0.5f;
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &one, A, 2, B, 3, &zero, C, 2), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(std::vector<float>(C, C + 4), (std::vector<float>{4, 10, 5, 11}));
  // A^T A (3 x 3) with beta: op(A) = A^T is 3 x 2, lda stays A's 2 rows
  std::vector<float> D(9, 2.f);
  ASSERT_EQ(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, 3, 3, 2, &one, A, 2, A, 2, &half, D.data(), 3), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(D, (std::vector<float>{18, 23, 28, 23, 30, 37, 28, 37, 46}));  // [17 22 27; 22 29 36; 27 36 45] + 1
  // lda smaller than op(A)'s stored rows
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &one, A, 1, B, 3, &zero, C, 2), CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &one, A, 2, B, 2, &zero, C, 2), CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cublasDestroy(h), CUBLAS_STATUS_SUCCESS);
}

}  // namespace
}  // namespace pixelart::cuda
