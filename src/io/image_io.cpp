// src/io/image_io.cpp — image files through OpenCV (include/pixelart/image_io.h).
#include <algorithm>
#include <cstring>
#include <filesystem>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "pixelart/files.h"
#include "pixelart/image_io.h"

namespace pixelart {

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
cv::Mat to_bgra(const Sprite& img) {
  cv::Mat rgba(img.height, img.width, CV_8UC4, const_cast<uint8_t*>(img.rgba.data())), bgra;
  cv::cvtColor(rgba, bgra, cv::COLOR_RGBA2BGRA);
  return bgra;
}
}  // namespace

Sprite read_image(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path + ": no such file", ErrorKind::BadInput);
  cv::Mat m;
  try {
    m = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(path + ": cannot decode: " + e.what(), ErrorKind::BadInput);
  }
  if (m.empty()) throw Error(path + ": not an image OpenCV can decode (PNG, JPEG, WebP, BMP ...)", ErrorKind::BadInput);
  if (m.cols > 32768 || m.rows > 32768) throw Error(path + ": image too large", ErrorKind::BadInput);
  return from_mat(m, path);
}

void write_png(const std::string& path, const Sprite& img) {
  PA_CHECK(img.width > 0 && img.height > 0 && img.rgba.size() == size_t(img.width) * img.height * 4,
           "write_png: malformed image for " << path);
  std::vector<uchar> buf;
  if (!cv::imencode(".png", to_bgra(img), buf)) throw Error(path + ": PNG encoding failed");
  write_file_whole(path, std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

Sprite jpeg_roundtrip(const Sprite& img, int quality) {
  cv::Mat rgba(img.height, img.width, CV_8UC4, const_cast<uint8_t*>(img.rgba.data())), bgr;
  cv::cvtColor(rgba, bgr, cv::COLOR_RGBA2BGR);
  std::vector<uchar> buf;
  cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, quality});
  Sprite out = from_mat(cv::imdecode(buf, cv::IMREAD_COLOR), img.name + " (jpeg)");
  for (size_t i = 3; i < out.rgba.size(); i += 4) out.rgba[i] = img.rgba[i];  // JPEG has no alpha
  return out;
}

Sprite resize_with(const Sprite& img, int width, int height, int interpolation) {
  PA_CHECK(width > 0 && height > 0, "resize to " << width << "x" << height);
  cv::Mat rgba(img.height, img.width, CV_8UC4, const_cast<uint8_t*>(img.rgba.data())), out;
  cv::resize(rgba, out, cv::Size(width, height), 0, 0, interpolation);
  Sprite s;
  s.width = width, s.height = height, s.name = img.name;
  s.rgba.resize(size_t(width) * height * 4);
  for (int y = 0; y < height; ++y) std::memcpy(s.px(0, y), out.ptr(y), size_t(width) * 4);
  return s;
}


Sprite resize_image(const Sprite& img, int width, int height) {
  if (width == img.width && height == img.height) return img;
  const bool shrink = width <= img.width && height <= img.height;
  const bool whole = width % img.width == 0 && height % img.height == 0 && width / img.width == height / img.height;
  return resize_with(img, width, height, shrink ? cv::INTER_AREA : whole ? cv::INTER_NEAREST : cv::INTER_CUBIC);
}

FolderLoad load_sprite_folder(const std::string& dir, std::optional<Rgb> key) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory", ErrorKind::BadInput);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (e.is_regular_file() && (ext == ".png" || ext == ".bmp" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".gif"))
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  FolderLoad out;
  for (const auto& f : files) {
    try {
      Sprite s = read_image(f);
      if (key) apply_key(s, *key);
      out.sprites.push_back(std::move(s));
    } catch (const Error& e) {
      out.errors.push_back(e.what());
    }
  }
  return out;
}

}  // namespace pixelart
