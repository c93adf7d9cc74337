// kernels/conv_cpu.cpp — CPU convolutions: the direct-loop reference and im2col + GEMM.
// CUDA twin: conv_cudnn.cu. Declared in conv.h.
#include <algorithm>
#include <vector>

#include "conv.h"
#include "cpu_ops.h"
#include "elementwise.h"

namespace pixelart::kernels {

// ---- direct loops (the oracle) -------------------------------------------------------------
template <class T>
void conv2d_ref_forward(const T* x, const T* w, const T* b, T* y, const ConvShape& s, bool relu) {
  const int64_t Ho = s.Ho(), Wo = s.Wo();
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy)
      for (int64_t ox = 0; ox < Wo; ++ox)
        for (int64_t co = 0; co < s.Cout; ++co) {
          T acc = b ? b[co] : T(0);
          for (int64_t kh = 0; kh < s.KH; ++kh) {
            const int64_t iy = oy + kh - s.pad;
            if (iy < 0 || iy >= s.H) continue;
            for (int64_t kw = 0; kw < s.KW; ++kw) {
              const int64_t ix = ox + kw - s.pad;
              if (ix < 0 || ix >= s.W) continue;
              const T* xp = x + ((n * s.H + iy) * s.W + ix) * s.Cin;
              const T* wp = w + ((co * s.KH + kh) * s.KW + kw) * s.Cin;
              for (int64_t ci = 0; ci < s.Cin; ++ci) acc += xp[ci] * wp[ci];
            }
          }
          y[((n * Ho + oy) * Wo + ox) * s.Cout + co] = relu ? relu_fwd(acc) : acc;
        }
}

template <class T>
void conv2d_ref_backward(const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
                         const ConvShape& s, bool relu) {
  const int64_t Ho = s.Ho(), Wo = s.Wo();
  const int64_t P = s.N * Ho * Wo;
  // dz = dy masked by ReLU's saved output
  std::vector<T> dz(static_cast<size_t>(P * s.Cout));
  for (int64_t i = 0; i < P * s.Cout; ++i) dz[i] = relu ? relu_bwd(y[i], dy[i]) : dy[i];
  if (db)
    for (int64_t co = 0; co < s.Cout; ++co) {
      T acc = T(0);
      for (int64_t p = 0; p < P; ++p) acc += dz[p * s.Cout + co];
      db[co] += acc;
    }
  if (dw) {
#pragma omp parallel for schedule(static)
    for (int64_t co = 0; co < s.Cout; ++co)
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw)
          for (int64_t ci = 0; ci < s.Cin; ++ci) {
            T acc = T(0);
            for (int64_t n = 0; n < s.N; ++n)
              for (int64_t oy = 0; oy < Ho; ++oy) {
                const int64_t iy = oy + kh - s.pad;
                if (iy < 0 || iy >= s.H) continue;
                for (int64_t ox = 0; ox < Wo; ++ox) {
                  const int64_t ix = ox + kw - s.pad;
                  if (ix < 0 || ix >= s.W) continue;
                  acc += dz[((n * Ho + oy) * Wo + ox) * s.Cout + co] *
                         x[((n * s.H + iy) * s.W + ix) * s.Cin + ci];
                }
              }
            dw[((co * s.KH + kh) * s.KW + kw) * s.Cin + ci] += acc;
          }
  }
  if (dx) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t iy = 0; iy < s.H; ++iy)
        for (int64_t ix = 0; ix < s.W; ++ix)
          for (int64_t ci = 0; ci < s.Cin; ++ci) {
            T acc = T(0);
            for (int64_t kh = 0; kh < s.KH; ++kh) {
              const int64_t oy = iy + s.pad - kh;
              if (oy < 0 || oy >= Ho) continue;
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t ox = ix + s.pad - kw;
                if (ox < 0 || ox >= Wo) continue;
                for (int64_t co = 0; co < s.Cout; ++co)
                  acc += dz[((n * Ho + oy) * Wo + ox) * s.Cout + co] *
                         w[((co * s.KH + kh) * s.KW + kw) * s.Cin + ci];
              }
            }
            dx[((n * s.H + iy) * s.W + ix) * s.Cin + ci] += acc;
          }
  }
}

// ---- im2col + GEMM ---------------------------------------------------------------------------
// col[(oy*Wo + ox), (kh*KW + kw)*Cin + ci] = x[n, oy+kh-pad, ox+kw-pad, ci] (0 outside), for
// output rows [oy0, oy1) of image n. The K ordering matches the KRSC weight layout.
template <class T>
static void im2col(const T* x, T* col, const ConvShape& s, int64_t n, int64_t oy0, int64_t oy1) {
  const int64_t Wo = s.Wo(), K = s.K();
#pragma omp parallel for schedule(static)
  for (int64_t oy = oy0; oy < oy1; ++oy)
    for (int64_t ox = 0; ox < Wo; ++ox) {
      T* dst = col + ((oy - oy0) * Wo + ox) * K;
      for (int64_t kh = 0; kh < s.KH; ++kh) {
        const int64_t iy = oy + kh - s.pad;
        for (int64_t kw = 0; kw < s.KW; ++kw, dst += s.Cin) {
          const int64_t ix = ox + kw - s.pad;
          if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) {
            std::fill(dst, dst + s.Cin, T(0));
          } else {
            const T* src = x + ((n * s.H + iy) * s.W + ix) * s.Cin;
            std::copy(src, src + s.Cin, dst);
          }
        }
      }
    }
}

// dx[n, iy, ix, ci] += sum over the (oy, ox, kh, kw) that read it of dcol[...]: a gather per input
// pixel, so the parallel loop has no write conflicts.
template <class T>
static void col2im_add(const T* dcol, T* dx, const ConvShape& s, int64_t n) {
  const int64_t Ho = s.Ho(), Wo = s.Wo(), K = s.K();
#pragma omp parallel for schedule(static)
  for (int64_t iy = 0; iy < s.H; ++iy)
    for (int64_t ix = 0; ix < s.W; ++ix) {
      T* dst = dx + ((n * s.H + iy) * s.W + ix) * s.Cin;
      for (int64_t kh = 0; kh < s.KH; ++kh) {
        const int64_t oy = iy + s.pad - kh;
        if (oy < 0 || oy >= Ho) continue;
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const int64_t ox = ix + s.pad - kw;
          if (ox < 0 || ox >= Wo) continue;
          const T* src = dcol + (oy * Wo + ox) * K + (kh * s.KW + kw) * s.Cin;
          for (int64_t ci = 0; ci < s.Cin; ++ci) dst[ci] += src[ci];
        }
      }
    }
}

// Rows of output pixels per GEMM: bounds the im2col buffer (~8 MiB) while keeping M large.
template <class T>
static int64_t rows_per_chunk(const ConvShape& s) {
  const int64_t bytes_per_row = s.Wo() * s.K() * static_cast<int64_t>(sizeof(T));
  return std::clamp<int64_t>((8 << 20) / std::max<int64_t>(bytes_per_row, 1), 1, s.Ho());
}

template <class T>
void conv2d_fast_forward(const T* x, const T* w, const T* b, T* y, const ConvShape& s, bool relu) {
  const int64_t Ho = s.Ho(), Wo = s.Wo(), K = s.K();
  const bool pointwise = s.KH == 1 && s.KW == 1 && s.pad == 0;
  const int64_t chunk = rows_per_chunk<T>(s);
  std::vector<T> col(pointwise ? 0 : static_cast<size_t>(chunk * Wo * K));
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oy0 = 0; oy0 < Ho; oy0 += chunk) {
      const int64_t oy1 = std::min(Ho, oy0 + chunk);
      const int64_t M = (oy1 - oy0) * Wo;
      T* yp = y + (n * Ho + oy0) * Wo * s.Cout;
      const T* A = x + (n * s.H + oy0) * s.W * s.Cin;
      if (!pointwise) {
        im2col(x, col.data(), s, n, oy0, oy1);
        A = col.data();
      }
      // y = b (broadcast), then y += A W^T, then ReLU in place.
      if (b) {
#pragma omp parallel for schedule(static)
        for (int64_t p = 0; p < M; ++p) std::copy(b, b + s.Cout, yp + p * s.Cout);
      }
      gemm_cpu<T>(false, true, M, s.Cout, K, T(1), A, K, w, K, b ? T(1) : T(0), yp, s.Cout);
      if (relu) {
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < M * s.Cout; ++i) yp[i] = relu_fwd(yp[i]);
      }
    }
}

template <class T>
void conv2d_fast_backward(const T* x, const T* w, const T* y, const T* dy, T* dx, T* dw, T* db,
                          const ConvShape& s, bool relu) {
  const int64_t Ho = s.Ho(), Wo = s.Wo(), K = s.K();
  const int64_t P = Ho * Wo;  // output pixels of one image
  std::vector<T> dz(static_cast<size_t>(P * s.Cout));
  std::vector<T> col(dw ? static_cast<size_t>(P * K) : 0);
  std::vector<T> dcol(dx ? static_cast<size_t>(P * K) : 0);
  for (int64_t n = 0; n < s.N; ++n) {
    const int64_t off = n * P * s.Cout;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < P * s.Cout; ++i)
      dz[i] = relu ? relu_bwd(y[off + i], dy[off + i]) : dy[off + i];
    if (db) sum_rows_cpu(dz.data(), db, P, s.Cout);
    if (dw) {  // dw[Cout, K] += dz^T [Cout, P] * col [P, K]
      im2col(x, col.data(), s, n, 0, Ho);
      gemm_cpu<T>(true, false, s.Cout, K, P, T(1), dz.data(), s.Cout, col.data(), K, T(1), dw, K);
    }
    if (dx) {  // dcol[P, K] = dz [P, Cout] * w [Cout, K], scattered back into dx
      gemm_cpu<T>(false, false, P, K, s.Cout, T(1), dz.data(), s.Cout, w, K, T(0), dcol.data(), K);
      col2im_add(dcol.data(), dx, s, n);
    }
  }
}

// ---- Precision::BF16: the rounding points around the fp32 kernels (conv.h) ---------------------
namespace {
void round_bf16(float* p, int64_t n) {  // to the nearest bfloat16 (even on ties), kept as float
  for (int64_t i = 0; i < n; ++i) p[i] = bf16_to_f32(f32_to_bf16(p[i]));
}
}  // namespace

void conv2d_bf16_forward_cpu(const float* xr, const float* wr, const float* b, float* y, const ConvShape& s, bool relu,
                             bool ref) {
  if (ref) conv2d_ref_forward<float>(xr, wr, nullptr, y, s, false);
  else conv2d_fast_forward<float>(xr, wr, nullptr, y, s, false);
  const int64_t P = s.N * s.Ho() * s.Wo(), C = s.Cout;
  round_bf16(y, P * C);
  if (b) add_bias_rows_cpu<float>(y, b, P, C);
  if (relu) relu_forward_cpu<float>(y, y, P * C);
}

void conv2d_bf16_backward_cpu(const float* xr, const float* wr, const float* y, const float* dy, float* dx, float* dw,
                              float* db, const ConvShape& s, bool relu, bool ref) {
  const int64_t P = s.N * s.Ho() * s.Wo(), C = s.Cout;
  std::vector<float> dz(size_t(P * C), 0.f);
  if (relu) relu_backward_cpu<float>(y, dy, dz.data(), P * C);
  else axpy_cpu<float>(1.f, dy, dz.data(), P * C);
  if (db) sum_rows_cpu<float>(dz.data(), db, P, C);
  round_bf16(dz.data(), P * C);
  auto part = [&](float* into, int64_t n, bool data) {  // one of dx, dw: rounded, then added
    std::vector<float> t(size_t(n), 0.f);
    float* tx = data ? t.data() : nullptr;
    float* tw = data ? nullptr : t.data();
    if (ref) conv2d_ref_backward<float>(xr, wr, y, dz.data(), tx, tw, nullptr, s, false);
    else conv2d_fast_backward<float>(xr, wr, y, dz.data(), tx, tw, nullptr, s, false);
    round_bf16(t.data(), n);
    axpy_cpu<float>(1.f, t.data(), into, n);
  };
  if (dx) part(dx, s.N * s.H * s.W * s.Cin, true);
  if (dw) part(dw, s.Cout * s.K(), false);
}

#define PA_INSTANTIATE(T)                                                                        \
  template void conv2d_ref_forward<T>(const T*, const T*, const T*, T*, const ConvShape&, bool); \
  template void conv2d_ref_backward<T>(const T*, const T*, const T*, const T*, T*, T*, T*,      \
                                       const ConvShape&, bool);                                 \
  template void conv2d_fast_forward<T>(const T*, const T*, const T*, T*, const ConvShape&, bool); \
  template void conv2d_fast_backward<T>(const T*, const T*, const T*, const T*, T*, T*, T*,     \
                                        const ConvShape&, bool);
PA_INSTANTIATE(float)
PA_INSTANTIATE(double)
#undef PA_INSTANTIATE

}  // namespace pixelart::kernels
