// src/io/backend_builtin.cpp — io_builtin's codecs (src/io/image_backend.h): PNG through libpng,
// JPEG through libjpeg(-turbo), as OpenCV itself calls them, so that a build without OpenCV reads
// and writes the same pixels. Other formats (WebP, BMP, TIFF) are refused with a message that says
// so. Both libraries report errors by longjmp; every call that can fail sits behind a setjmp in a
// frame that owns nothing but plain data, and the error becomes an Error after the library's
// cleanup.
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <jpeglib.h>
#include <png.h>

#include "image_backend.h"
#include "pixelart/error.h"

namespace pixelart::io_builtin {
namespace {

struct File {
  std::FILE* f;
  explicit File(const std::string& path) : f(std::fopen(path.c_str(), "rb")) {}
  ~File() {
    if (f) std::fclose(f);
  }
};

// ---- PNG ----------------------------------------------------------------------------------------
struct PngError {
  std::jmp_buf jump;
  char message[256] = "";
};
void png_fail(png_structp png, png_const_charp msg) {
  auto* e = static_cast<PngError*>(png_get_error_ptr(png));
  std::snprintf(e->message, sizeof e->message, "%s", msg);
  std::longjmp(e->jump, 1);
}
void png_warn(png_structp, png_const_charp) {}  // warnings (an unknown chunk, a bad CRC in an ancillary chunk) are not errors

// Decodes into `out` (resized here); returns false with e.message set on a libpng error.
bool png_decode(std::FILE* f, Sprite& out, PngError& e) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &e, png_fail, png_warn);
  if (!png) return std::snprintf(e.message, sizeof e.message, "out of memory"), false;
  png_infop info = png_create_info_struct(png);
  std::vector<png_bytep> rows;  // constructed before the jump point: never destroyed by a longjmp
  if (!info || setjmp(e.jump)) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    if (!e.message[0]) std::snprintf(e.message, sizeof e.message, "out of memory");
    return false;
  }
  png_init_io(png, f);
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  png_read_info(png, info);
  const png_byte type = png_get_color_type(png, info);
  png_set_expand(png);                   // palette -> RGB, grey < 8 bit -> 8 bit, tRNS -> alpha
  png_set_scale_16(png);                 // 16 bit -> 8 bit, v * 255 / 65535 rounded
  if (!(type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
  if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS)) png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  if (png_get_rowbytes(png, info) != size_t(w) * 4) png_fail(png, "unexpected row layout after conversion to RGBA");
  out.width = int(w), out.height = int(h);
  bool room = true;
  try {  // no exception may cross libpng's frames: a failed allocation becomes a libpng error
    out.rgba.resize(size_t(w) * h * 4);
    rows.resize(h);
  } catch (const std::bad_alloc&) {
    room = false;
  }
  if (!room) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < h; ++y) rows[y] = out.px(0, int(y));
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

// ---- JPEG ---------------------------------------------------------------------------------------
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
};
void jpeg_fail(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegError*>(c->err);
  c->err->format_message(c, e->message);
  std::longjmp(e->jump, 1);
}
void jpeg_quiet(j_common_ptr, int) {}  // corrupt-data warnings: decoded anyway, as OpenCV does

// EXIF orientation (1..8) from an APP1 marker, 1 where there is none.
int exif_orientation(j_decompress_ptr d) {
  for (jpeg_saved_marker_ptr m = d->marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
    const unsigned char* t = m->data + 6;
    const size_t n = m->data_length - 6;
    const bool le = t[0] == 'I';
    auto u16 = [&](size_t at) { return at + 2 > n ? 0u : le ? unsigned(t[at] | t[at + 1] << 8) : unsigned(t[at] << 8 | t[at + 1]); };
    auto u32 = [&](size_t at) { return at + 4 > n ? 0u : le ? (u16(at) | u16(at + 2) << 16) : (u16(at) << 16 | u16(at + 2)); };
    const size_t ifd = u32(4);
    const unsigned count = u16(ifd);
    for (unsigned i = 0; i < count; ++i) {
      const size_t at = ifd + 2 + 12 * size_t(i);
      if (at + 12 > n) break;
      if (u16(at) == 0x0112) {
        const unsigned v = u16(at + 8);
        return v >= 1 && v <= 8 ? int(v) : 1;
      }
    }
  }
  return 1;
}

// The image as a camera meant it: orientation o's flip and rotation undone.
Sprite orient(Sprite s, int o) {
  if (o <= 1) return s;
  const bool swap = o >= 5;
  Sprite r;
  r.width = swap ? s.height : s.width, r.height = swap ? s.width : s.height, r.name = s.name;
  r.rgba.resize(s.rgba.size());
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < r.width; ++x) {
      int sx = x, sy = y;  // where output (x, y) comes from
      switch (o) {
        case 2: sx = s.width - 1 - x; break;
        case 3: sx = s.width - 1 - x, sy = s.height - 1 - y; break;
        case 4: sy = s.height - 1 - y; break;
        case 5: sx = y, sy = x; break;
        case 6: sx = y, sy = s.height - 1 - x; break;
        case 7: sx = s.width - 1 - y, sy = s.height - 1 - x; break;
        case 8: sx = s.width - 1 - y, sy = x; break;
      }
      std::memcpy(r.px(x, y), s.px(sx, sy), 4);
    }
  return r;
}

// Decodes from a file or a buffer into RGB rows of `rgb`; false with e.message on a libjpeg error.
bool jpeg_decode(std::FILE* f, const std::string* buf, std::vector<unsigned char>& rgb, int& w, int& h, int& orientation,
                 JpegError& e) {
  std::vector<unsigned char> cmyk_row;  // before the jump point: never skipped by a longjmp
  jpeg_decompress_struct d;
  d.err = jpeg_std_error(&e.mgr);
  e.mgr.error_exit = jpeg_fail;
  e.mgr.emit_message = jpeg_quiet;
  if (setjmp(e.jump)) {
    jpeg_destroy_decompress(&d);
    return false;
  }
  jpeg_create_decompress(&d);
  if (buf) jpeg_mem_src(&d, reinterpret_cast<const unsigned char*>(buf->data()), static_cast<unsigned long>(buf->size()));
  else jpeg_stdio_src(&d, f);
  jpeg_save_markers(&d, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&d, TRUE);
  const bool cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
  d.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  orientation = exif_orientation(&d);
  jpeg_start_decompress(&d);
  w = int(d.output_width), h = int(d.output_height);
  bool room = true;
  try {  // no exception may cross libjpeg's frames: a failed allocation becomes a libjpeg error
    rgb.resize(size_t(w) * h * 3);
    if (cmyk) cmyk_row.resize(size_t(w) * 4);
  } catch (const std::bad_alloc&) {
    room = false;
  }
  if (!room) {
    std::snprintf(e.message, sizeof e.message, "out of memory");
    std::longjmp(e.jump, 1);
  }
  while (d.output_scanline < d.output_height) {
    const size_t y = d.output_scanline;
    JSAMPROW row = cmyk ? cmyk_row.data() : &rgb[y * w * 3];
    jpeg_read_scanlines(&d, &row, 1);
    if (cmyk)  // Adobe's inverted CMYK, as the files that carry it store it
      for (int x = 0; x < w; ++x) {
        const unsigned char* p = &cmyk_row[size_t(x) * 4];
        for (int c = 0; c < 3; ++c) rgb[(y * w + x) * 3 + c] = static_cast<unsigned char>(p[c] * p[3] / 255);
      }
  }
  jpeg_finish_decompress(&d);
  jpeg_destroy_decompress(&d);
  return true;
}

Sprite rgb_to_sprite(const std::vector<unsigned char>& rgb, int w, int h, const std::string& name) {
  Sprite s;
  s.width = w, s.height = h, s.name = name;
  s.rgba.resize(size_t(w) * h * 4);
  for (size_t i = 0, n = size_t(w) * h; i < n; ++i) {
    std::memcpy(&s.rgba[i * 4], &rgb[i * 3], 3);
    s.rgba[i * 4 + 3] = 255;
  }
  return s;
}

bool jpeg_encode(const Sprite& img, int quality, std::vector<unsigned char>& rgb, unsigned char*& mem, unsigned long& size,
                 JpegError& e) {
  jpeg_compress_struct c;
  c.err = jpeg_std_error(&e.mgr);
  e.mgr.error_exit = jpeg_fail;
  if (setjmp(e.jump)) {
    jpeg_destroy_compress(&c);
    return false;
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &mem, &size);
  c.image_width = JDIMENSION(img.width), c.image_height = JDIMENSION(img.height);
  c.input_components = 3, c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = &rgb[size_t(c.next_scanline) * img.width * 3];
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  return true;
}

// ---- PNG writing --------------------------------------------------------------------------------
void png_append(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), n);
}
void png_nothing(png_structp) {}

bool png_encode(const Sprite& img, std::string& out, std::vector<png_bytep>& rows, PngError& e) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &e, png_fail, png_warn);
  if (!png) return std::snprintf(e.message, sizeof e.message, "out of memory"), false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(e.jump)) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, &out, png_append, png_nothing);
  png_set_compression_level(png, 3);
  png_set_IHDR(png, info, png_uint_32(img.width), png_uint_32(img.height), 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

std::vector<unsigned char> to_rgb(const Sprite& img) {
  std::vector<unsigned char> rgb(size_t(img.width) * img.height * 3);
  for (size_t i = 0, n = size_t(img.width) * img.height; i < n; ++i) std::memcpy(&rgb[i * 3], &img.rgba[i * 4], 3);
  return rgb;
}

}  // namespace

const char* name() { return "libpng " PNG_LIBPNG_VER_STRING " + libjpeg"; }

Sprite decode(const std::string& path, const std::string& format) {
  if (format != "PNG" && format != "JPEG")
    throw Error(path + ": " + (format.empty() ? std::string("not a PNG or JPEG file") : "a " + format + " file") +
                    "; this build of pixelart reads PNG and JPEG only (it was built without OpenCV, "
                    "PIXELART_IMAGE_IO=builtin): convert it to PNG",
                ErrorKind::BadInput);
  File file(path);
  if (!file.f) throw Error(path + ": cannot open it: " + std::strerror(errno), ErrorKind::BadInput);
  try {
    if (format == "PNG") {
      Sprite s;
      s.name = path;
      PngError e;
      if (!png_decode(file.f, s, e)) throw Error(path + ": not a PNG libpng can decode: " + e.message, ErrorKind::BadInput);
      return s;
    }
    std::vector<unsigned char> rgb;
    int w = 0, h = 0, o = 1;
    JpegError e;
    if (!jpeg_decode(file.f, nullptr, rgb, w, h, o, e))
      throw Error(path + ": not a JPEG libjpeg can decode: " + e.message, ErrorKind::BadInput);
    return orient(rgb_to_sprite(rgb, w, h, path), o);
  } catch (const std::bad_alloc&) {
    throw Error(path + ": out of memory while decoding it", ErrorKind::BadInput);
  }
}

std::string encode_png(const Sprite& img) {
  std::string out;
  std::vector<png_bytep> rows(size_t(img.height));
  for (int y = 0; y < img.height; ++y) rows[size_t(y)] = const_cast<png_bytep>(img.px(0, y));
  PngError e;
  if (!png_encode(img, out, rows, e)) throw Error(img.name + ": PNG encoding failed: " + e.message, ErrorKind::Output);
  return out;
}

Sprite jpeg_roundtrip(const Sprite& img, int quality) {
  std::vector<unsigned char> rgb = to_rgb(img);
  unsigned char* mem = nullptr;
  unsigned long size = 0;
  JpegError e;
  const bool ok = jpeg_encode(img, quality, rgb, mem, size, e);
  const std::string buf = ok ? std::string(reinterpret_cast<const char*>(mem), size) : std::string();
  std::free(mem);
  if (!ok) throw Error(img.name + ": JPEG encoding failed: " + e.message, ErrorKind::Output);
  int w = 0, h = 0, o = 1;
  JpegError d;
  if (!jpeg_decode(nullptr, &buf, rgb, w, h, o, d)) throw Error(img.name + ": JPEG decoding failed: " + d.message, ErrorKind::Output);
  Sprite out = rgb_to_sprite(rgb, w, h, img.name);
  for (size_t i = 3; i < out.rgba.size(); i += 4) out.rgba[i] = img.rgba[i];  // JPEG has no alpha
  return out;
}

}  // namespace pixelart::io_builtin
