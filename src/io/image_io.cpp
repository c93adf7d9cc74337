// src/io/image_io.cpp — image files (include/pixelart/image_io.h): the checks and folder loading;
// decoding, encoding and resampling by the build's backend (src/io/image_backend.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "image_backend.h"
#include "pixelart/files.h"
#include "pixelart/image_io.h"

namespace pixelart {

// The build's codecs and resamplers (CMake: PIXELART_IMAGE_IO).
#if PIXELART_IMAGE_IO_BUILTIN
namespace backend = io_builtin;
#else
namespace backend = io_opencv;
#endif

const char* image_io_backend() { return backend::name(); }

namespace {
uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint32_t le32(const unsigned char* p) { return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }
uint32_t le24(const unsigned char* p) { return uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }
}  // namespace

ImageHeader read_image_header(const std::string& path) {
  ImageHeader h;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return h;
  std::vector<unsigned char> b(64 * 1024);
  b.resize(std::fread(b.data(), 1, b.size(), f));
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  auto read_at = [&](long at, unsigned char* out, size_t len) {
    return std::fseek(f, at, SEEK_SET) == 0 && std::fread(out, 1, len, f) == len;
  };
  // An end marker (a whole PNG's IEND, a whole JPEG's EOI): looked for in the last 64 KB, then,
  // where data follows it (a camera's appended video, say), through the whole file.
  auto has_marker = [&](const char* m, size_t len) {
    const auto* u = reinterpret_cast<const unsigned char*>(m);  // bytes, not signed chars
    std::vector<unsigned char> chunk(size_t(std::min<long>(size, 64 * 1024)));
    if (read_at(size - long(chunk.size()), chunk.data(), chunk.size()) &&
        std::search(chunk.begin(), chunk.end(), u, u + len) != chunk.end())
      return true;
    for (long at = 0; at < size; at += long(1 << 20) - long(len)) {
      chunk.resize(size_t(std::min<long>(size - at, 1 << 20)));
      if (!read_at(at, chunk.data(), chunk.size())) return false;
      if (std::search(chunk.begin(), chunk.end(), u, u + len) != chunk.end()) return true;
      if (at + long(chunk.size()) >= size) break;
    }
    return false;
  };
  const size_t n = b.size();
  if (n >= 24 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(b.data() + 12, "IHDR", 4) == 0) {
    h.format = "PNG", h.width = be32(&b[16]), h.height = be32(&b[20]);
    h.complete = has_marker("IEND", 4);
  } else if (n >= 4 && b[0] == 0xFF && b[1] == 0xD8) {
    h.format = "JPEG";
    h.complete = has_marker("\xFF\xD9", 2);
    // the markers up to the frame header (SOFn), by their lengths through the file (EXIF and ICC
    // segments before it can be longer than what was read)
    unsigned char mk[9];
    for (long i = 2; read_at(i, mk, 4) && mk[0] == 0xFF;) {
      if (mk[1] == 0xFF) {
        ++i;
        continue;
      }
      const long len = long(mk[2]) << 8 | mk[3];
      if (mk[1] >= 0xC0 && mk[1] <= 0xCF && mk[1] != 0xC4 && mk[1] != 0xC8 && mk[1] != 0xCC) {
        if (read_at(i, mk, 9)) h.height = int64_t(mk[5]) << 8 | mk[6], h.width = int64_t(mk[7]) << 8 | mk[8];
        break;
      }
      if (mk[1] == 0xDA || len < 2) break;  // the scan, before any frame header: damaged
      i += 2 + len;
    }
  } else if (n >= 26 && b[0] == 'B' && b[1] == 'M') {
    h.format = "BMP", h.width = int32_t(le32(&b[18])), h.height = std::abs(int64_t(int32_t(le32(&b[22]))));
    h.complete = size >= long(le32(&b[2])) || le32(&b[2]) == 0;
  } else if (n >= 12 && std::memcmp(b.data(), "RIFF", 4) == 0 && std::memcmp(b.data() + 8, "WEBP", 4) == 0) {
    h.format = "WebP";
    h.complete = size >= long(le32(&b[4])) + 8;
    if (n < 30) h.complete = false;  // not even the first chunk's header
    else if (std::memcmp(&b[12], "VP8X", 4) == 0) h.width = 1 + le24(&b[24]), h.height = 1 + le24(&b[27]);
    else if (std::memcmp(&b[12], "VP8L", 4) == 0 && n >= 25) {
      const uint32_t v = le32(&b[21]);
      h.width = 1 + (v & 0x3FFF), h.height = 1 + ((v >> 14) & 0x3FFF);
    } else if (std::memcmp(&b[12], "VP8 ", 4) == 0) {
      h.width = (b[26] | b[27] << 8) & 0x3FFF, h.height = (b[28] | b[29] << 8) & 0x3FFF;
    }
  } else if (n >= 10 && (std::memcmp(b.data(), "GIF87a", 6) == 0 || std::memcmp(b.data(), "GIF89a", 6) == 0)) {
    h.format = "GIF", h.width = b[6] | b[7] << 8, h.height = b[8] | b[9] << 8;
  } else if (n >= 4 && (std::memcmp(b.data(), "II*\0", 4) == 0 || std::memcmp(b.data(), "MM\0*", 4) == 0)) {
    h.format = "TIFF";  // its size is found by the decoder (the pixel budget is checked after decoding)
  }
  std::fclose(f);
  return h;
}

Sprite read_image(const std::string& path, int64_t max_pixels) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw Error(path + ": no such file", ErrorKind::BadInput);
  if (fs::is_directory(st)) throw Error(path + ": a folder, not an image file", ErrorKind::BadInput);
  if (!fs::is_regular_file(st))
    throw Error(path + ": not a regular file (a pipe, a device or a socket); give an image file", ErrorKind::BadInput);
  const ImageHeader h = read_image_header(path);
  if (h.format == "GIF")
    throw Error(path + ": GIF is not supported (no GIF decoder); convert it to PNG", ErrorKind::BadInput);
  if (!h.format.empty() && !h.complete)
    throw Error(path + ": the " + h.format + " file is cut short (no end marker): a partial download?", ErrorKind::BadInput);
  if (!h.format.empty() && h.format != "TIFF" && (h.width <= 0 || h.height <= 0))
    throw Error(path + ": a " + h.format + " file whose header gives no image size (damaged?)", ErrorKind::BadInput);
  auto budget = [&](int64_t w, int64_t hgt) {
    if (max_pixels > 0 && w * hgt > max_pixels)
      throw Error(path + ": " + std::to_string(w) + "x" + std::to_string(hgt) + " is " + std::to_string(w * hgt / 1000000) +
                      " megapixels, over the budget of " + std::to_string(max_pixels / 1000000) +
                      " per image (--max-pixels raises it; each megapixel needs about 12 MB to decode and search)",
                  ErrorKind::BadInput);
  };
  if (h.width > 0) budget(h.width, h.height);
  Sprite s = backend::decode(path, h.format);
  budget(s.width, s.height);
  return s;
}

void write_png(const std::string& path, const Sprite& img, Existing existing) {
  PA_CHECK(img.width > 0 && img.height > 0 && img.rgba.size() == size_t(img.width) * img.height * 4,
           "write_png: malformed image for " << path);
  std::string png;
  try {
    png = backend::encode_png(img);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what(), ErrorKind::Output);
  }
  write_file_whole(path, png, existing);
}

Sprite jpeg_roundtrip(const Sprite& img, int quality) {
  Sprite out = backend::jpeg_roundtrip(img, quality);
  out.name = img.name + " (jpeg)";
  return out;
}

Sprite resize_with(const Sprite& img, int width, int height, Filter filter) {
  PA_CHECK(width > 0 && height > 0, "resize to " << width << "x" << height);
  return backend::resize(img, width, height, filter);
}

namespace {

// Keys' cubic convolution kernel with a = -0.5 (Pillow's and MATLAB's bicubic).
double keys_cubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

// Per output index, the first input index and the normalised weights (Pillow's layout: the output
// pixel's centre at (o + 0.5) in/out, the kernel stretched by max(1, in/out)).
struct AxisTaps {
  std::vector<int> first;
  std::vector<std::vector<double>> w;
};
AxisTaps cubic_taps(int in, int out) {
  const double scale = double(in) / out, stretch = std::max(1.0, scale), support = 2.0 * stretch;
  AxisTaps t;
  for (int o = 0; o < out; ++o) {
    const double centre = (o + 0.5) * scale;
    const int lo = std::max(0, int(centre - support + 0.5)), hi = std::min(in, int(centre + support + 0.5));
    std::vector<double> w;
    double sum = 0;
    for (int i = lo; i < hi; ++i) sum += w.emplace_back(keys_cubic((i - centre + 0.5) / stretch));
    for (double& v : w) v = sum != 0 ? v / sum : 0;
    t.first.push_back(lo), t.w.push_back(std::move(w));
  }
  return t;
}

}  // namespace

Sprite resize_cubic_antialiased(const Sprite& img, int width, int height) {
  PA_CHECK(width > 0 && height > 0 && img.width > 0 && img.height > 0, "resize to " << width << "x" << height);
  const int W = img.width, H = img.height;
  std::vector<double> pm(size_t(W) * H * 4);  // premultiplied
  for (size_t p = 0; p < size_t(W) * H; ++p) {
    const double a = img.rgba[p * 4 + 3] / 255.0;
    for (int c = 0; c < 3; ++c) pm[p * 4 + size_t(c)] = img.rgba[p * 4 + size_t(c)] * a;
    pm[p * 4 + 3] = img.rgba[p * 4 + 3];
  }
  const AxisTaps tx = cubic_taps(W, width), ty = cubic_taps(H, height);
  std::vector<double> mid(size_t(width) * H * 4, 0.0);
  for (int y = 0; y < H; ++y)
    for (int o = 0; o < width; ++o)
      for (size_t k = 0; k < tx.w[size_t(o)].size(); ++k)
        for (int c = 0; c < 4; ++c)
          mid[(size_t(y) * width + o) * 4 + size_t(c)] += tx.w[size_t(o)][k] * pm[(size_t(y) * W + size_t(tx.first[size_t(o)]) + k) * 4 + size_t(c)];
  Sprite out;
  out.width = width, out.height = height, out.name = img.name;
  out.rgba.resize(size_t(width) * height * 4);
  for (int o = 0; o < height; ++o)
    for (int x = 0; x < width; ++x) {
      double v[4] = {0, 0, 0, 0};
      for (size_t k = 0; k < ty.w[size_t(o)].size(); ++k)
        for (int c = 0; c < 4; ++c) v[c] += ty.w[size_t(o)][k] * mid[((size_t(ty.first[size_t(o)]) + k) * width + size_t(x)) * 4 + size_t(c)];
      const double a = std::clamp(v[3], 0.0, 255.0);
      uint8_t* q = out.px(x, o);
      q[3] = uint8_t(std::lround(a));
      for (int c = 0; c < 3; ++c) q[c] = q[3] ? uint8_t(std::lround(std::clamp(v[c] * 255.0 / a, 0.0, 255.0))) : 0;
    }
  return out;
}

Sprite resize_image(const Sprite& img, int width, int height) {
  if (width == img.width && height == img.height) return img;
  const bool shrink = width <= img.width && height <= img.height;
  const bool whole = width % img.width == 0 && height % img.height == 0 && width / img.width == height / img.height;
  return resize_with(img, width, height, shrink ? Filter::Area : whole ? Filter::Nearest : Filter::Cubic);
}

FolderLoad load_sprite_folder(const std::string& dir, std::optional<Rgb> key) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir + ": not a directory", ErrorKind::BadInput);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (e.is_regular_file() && (ext == ".png" || ext == ".bmp" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp" || ext == ".tif" || ext == ".tiff"))
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
