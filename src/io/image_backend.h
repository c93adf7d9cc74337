// src/io/image_backend.h — the two implementations behind include/pixelart/image_io.h and
// eval_render.h (private to src/io/):
//   io_opencv   OpenCV's codecs and resamplers (backend_opencv.cpp; Debian's libopencv-dev)
//   io_builtin  libpng and libjpeg, linked statically, and the project's own resamplers
//               (backend_builtin.cpp, resample.cpp): a build that needs no OpenCV, for machines
//               that lack it (the GPU machine) and for a small, self-contained binary
// The build picks one (CMake option PIXELART_IMAGE_IO; image_io.cpp's `backend` alias). Where both
// are available both are compiled, so that the tests hold each to the other.
//
// Every function has the same contract in both namespaces:
//   decode        the file at `path` as 8-bit RGBA (16-bit samples scaled by 255/65535, grey and
//                 palettes expanded, no alpha -> 255); a JPEG with its EXIF orientation applied.
//                 Throws Error(BadInput) naming the file. `format` is read_image_header's.
//   encode_png    RGBA -> PNG bytes
//   jpeg_roundtrip  libjpeg at `quality` (4:2:0, the codec's defaults), colour only: alpha kept
//   resize        cv::resize's filters and pixel-centre geometry (Filter in image_io.h)
//   warp_nearest  dst(x, y) = src(round((x - tx) / sx), round((y - ty) / sy)), transparent outside:
//                 cv::warpAffine(INTER_NEAREST, BORDER_CONSTANT 0) of the matrix [sx 0 tx; 0 sy ty]
//   resize_cubic  a float image of `channels` interleaved channels, bicubic (a = -0.75)
// io_builtin's resamplers follow the same kernels and geometry as OpenCV's but accumulate in
// float where OpenCV uses 11-bit fixed point: outputs differ by a level now and then
// (tests/test_image_backends.cpp bounds how much); warp_nearest and the codecs agree exactly.
#pragma once
#include <string>
#include <vector>

#include "pixelart/image_io.h"
#include "pixelart/sprites.h"

namespace pixelart {

#define PIXELART_IMAGE_BACKEND_API                                                                    \
  Sprite decode(const std::string& path, const std::string& format);                                  \
  std::string encode_png(const Sprite& img);                                                          \
  Sprite jpeg_roundtrip(const Sprite& img, int quality);                                              \
  Sprite resize(const Sprite& img, int width, int height, Filter filter);                             \
  Sprite warp_nearest(const Sprite& src, int width, int height, double sx, double sy, double tx,      \
                      double ty);                                                                     \
  std::vector<float> resize_cubic(const std::vector<float>& src, int width, int height, int channels, \
                                  int out_width, int out_height);                                     \
  const char* name();  // "OpenCV" or "libpng+libjpeg"

namespace io_opencv {
PIXELART_IMAGE_BACKEND_API
}
namespace io_builtin {
PIXELART_IMAGE_BACKEND_API
}
#undef PIXELART_IMAGE_BACKEND_API

}  // namespace pixelart
