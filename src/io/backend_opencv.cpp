// src/io/backend_opencv.cpp — io_opencv (src/io/image_backend.h): OpenCV's codecs and resamplers.
#include <cstring>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_backend.h"
#include "pixelart/error.h"

namespace pixelart::io_opencv {
namespace {

Sprite from_mat(const cv::Mat& m0, const std::string& path) {
  cv::Mat m = m0;
  if (m.depth() == CV_16U) m.convertTo(m, CV_8U, 1.0 / 257.0);
  else if (m.depth() != CV_8U) throw Error(path + ": unsupported pixel depth (only 8 and 16 bit)", ErrorKind::BadInput);
  cv::Mat rgba;
  switch (m.channels()) {
    case 1: cv::cvtColor(m, rgba, cv::COLOR_GRAY2RGBA); break;
    case 2: {  // grey + alpha
      std::vector<cv::Mat> ch;
      cv::split(m, ch);
      cv::merge(std::vector<cv::Mat>{ch[0], ch[0], ch[0], ch[1]}, rgba);
      break;
    }
    case 3: cv::cvtColor(m, rgba, cv::COLOR_BGR2RGBA); break;
    case 4: cv::cvtColor(m, rgba, cv::COLOR_BGRA2RGBA); break;
    default: throw Error(path + ": " + std::to_string(m.channels()) + " channels", ErrorKind::BadInput);
  }
  Sprite s;
  s.width = rgba.cols;
  s.height = rgba.rows;
  s.name = path;
  s.rgba.resize(size_t(s.width) * s.height * 4);
  for (int y = 0; y < s.height; ++y) std::memcpy(s.px(0, y), rgba.ptr(y), size_t(s.width) * 4);
  return s;
}
cv::Mat as_mat(const Sprite& s) {  // RGBA, sharing the sprite's pixels
  return cv::Mat(s.height, s.width, CV_8UC4, const_cast<uint8_t*>(s.rgba.data()));
}
Sprite copy_rgba(const cv::Mat& m, const std::string& name) {  // an 8-bit RGBA Mat, copied as it is
  Sprite s;
  s.width = m.cols, s.height = m.rows, s.name = name;
  s.rgba.resize(size_t(m.cols) * m.rows * 4);
  for (int y = 0; y < m.rows; ++y) std::memcpy(s.px(0, y), m.ptr(y), size_t(m.cols) * 4);
  return s;
}

}  // namespace

const char* name() { return "OpenCV " CV_VERSION; }

Sprite decode(const std::string& path, const std::string& format) {
  cv::Mat m;
  try {
    // JPEG: decoded with its EXIF orientation applied (IMREAD_UNCHANGED would ignore it; JPEG has
    // no alpha to keep). The rest: as stored, alpha included.
    m = cv::imread(path, format == "JPEG" ? cv::IMREAD_ANYCOLOR | cv::IMREAD_ANYDEPTH : cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(path + ": cannot decode: " + e.what(), ErrorKind::BadInput);
  } catch (const std::bad_alloc&) {
    throw Error(path + ": out of memory while decoding it", ErrorKind::BadInput);
  }
  if (m.empty()) throw Error(path + ": not an image OpenCV can decode (PNG, JPEG, WebP, BMP, TIFF)", ErrorKind::BadInput);
  try {
    return from_mat(m, path);
  } catch (const cv::Exception& e) {  // out of memory, mostly
    throw Error(path + ": cannot convert it to RGBA: " + e.err, ErrorKind::BadInput);
  }
}

std::string encode_png(const Sprite& img) {
  cv::Mat bgra;
  cv::cvtColor(as_mat(img), bgra, cv::COLOR_RGBA2BGRA);
  std::vector<uchar> buf;
  if (!cv::imencode(".png", bgra, buf)) throw Error(img.name + ": PNG encoding failed", ErrorKind::Output);
  return std::string(reinterpret_cast<const char*>(buf.data()), buf.size());
}

Sprite jpeg_roundtrip(const Sprite& img, int quality) {
  cv::Mat bgr;
  cv::cvtColor(as_mat(img), bgr, cv::COLOR_RGBA2BGR);
  std::vector<uchar> buf;
  cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  Sprite out = from_mat(cv::imdecode(buf, cv::IMREAD_COLOR), img.name);
  for (size_t i = 3; i < out.rgba.size(); i += 4) out.rgba[i] = img.rgba[i];  // JPEG has no alpha
  return out;
}

Sprite resize(const Sprite& img, int width, int height, Filter filter) {
  PA_CHECK(width > 0 && height > 0, "resize to " << width << "x" << height);
  static const int interpolation[] = {cv::INTER_NEAREST, cv::INTER_LINEAR, cv::INTER_CUBIC, cv::INTER_AREA, cv::INTER_LANCZOS4};
  cv::Mat out;
  cv::resize(as_mat(img), out, cv::Size(width, height), 0, 0, interpolation[int(filter)]);
  return copy_rgba(out, img.name);
}

Sprite warp_nearest(const Sprite& src, int width, int height, double sx, double sy, double tx, double ty) {
  cv::Mat M = (cv::Mat_<double>(2, 3) << sx, 0, tx, 0, sy, ty), out;
  cv::warpAffine(as_mat(src), out, M, cv::Size(width, height), cv::INTER_NEAREST, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0, 0));
  return copy_rgba(out, src.name);
}

std::vector<float> resize_cubic(const std::vector<float>& src, int width, int height, int channels, int out_width,
                                int out_height) {
  PA_CHECK(src.size() == size_t(width) * height * channels && channels >= 1 && channels <= 4, "resize_cubic: malformed image");
  cv::Mat in(height, width, CV_32FC(channels), const_cast<float*>(src.data())), out;
  cv::resize(in, out, cv::Size(out_width, out_height), 0, 0, cv::INTER_CUBIC);
  std::vector<float> v(size_t(out_width) * out_height * channels);
  for (int y = 0; y < out_height; ++y) std::memcpy(&v[size_t(y) * out_width * channels], out.ptr(y), size_t(out_width) * channels * 4);
  return v;
}

}  // namespace pixelart::io_opencv
