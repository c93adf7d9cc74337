// src/plot.cpp — line charts as images (include/pixelart/plot.h).
#include <algorithm>
#include <cstring>
#include <cmath>
#include <cstdio>

#include "pixelart/plot.h"

namespace pixelart {

namespace {
// 3x5 glyphs for digits, the lowercase letters (uppercase is drawn as lowercase) and ".-_/+",
// 3 bits per row.
const char* glyph(char c) {
  switch (c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c) {
    case '0': return "\x7\x5\x5\x5\x7";
    case '1': return "\x2\x6\x2\x2\x7";
    case '2': return "\x7\x1\x7\x4\x7";
    case '3': return "\x7\x1\x7\x1\x7";
    case '4': return "\x5\x5\x7\x1\x1";
    case '5': return "\x7\x4\x7\x1\x7";
    case '6': return "\x7\x4\x7\x5\x7";
    case '7': return "\x7\x1\x1\x1\x1";
    case '8': return "\x7\x5\x7\x5\x7";
    case '9': return "\x7\x5\x7\x1\x7";
    case '.': return "\x0\x0\x0\x0\x2";
    case '-': return "\x0\x0\x7\x0\x0";
    case 'e': return "\x0\x7\x7\x4\x7";
    case 'a': return "\x0\x7\x1\x7\x7";
    case 'd': return "\x1\x1\x7\x5\x7";
    case 'g': return "\x7\x5\x7\x1\x6";
    case 'h': return "\x4\x4\x7\x5\x5";
    case 'l': return "\x6\x2\x2\x2\x7";
    case 'm': return "\x0\x6\x7\x5\x5";
    case 'o': return "\x0\x7\x5\x5\x7";
    case 'p': return "\x7\x5\x7\x4\x4";
    case 's': return "\x0\x7\x4\x1\x7";
    case 'b': return "\x4\x4\x7\x5\x7";
    case 'c': return "\x0\x7\x4\x4\x7";
    case 'f': return "\x3\x4\x7\x4\x4";
    case 'i': return "\x2\x0\x2\x2\x2";
    case 'j': return "\x1\x0\x1\x5\x7";
    case 'k': return "\x4\x5\x6\x5\x5";
    case 'n': return "\x0\x6\x5\x5\x5";
    case 'q': return "\x7\x5\x7\x1\x1";
    case 'r': return "\x0\x7\x4\x4\x4";
    case 't': return "\x4\x7\x4\x4\x3";
    case 'u': return "\x0\x5\x5\x5\x7";
    case 'v': return "\x0\x5\x5\x5\x2";
    case 'w': return "\x0\x5\x5\x7\x7";
    case 'x': return "\x0\x0\x5\x2\x5";
    case 'y': return "\x5\x5\x7\x1\x6";
    case 'z': return "\x0\x7\x1\x4\x7";
    case '_': return "\x0\x0\x0\x0\x7";
    case '/': return "\x1\x1\x2\x4\x4";
    case '+': return "\x0\x2\x7\x2\x0";
    default: return "\x0\x0\x0\x0\x0";
  }
}
struct Canvas {
  Sprite img;
  void set(int x, int y, const uint8_t c[3]) {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
    uint8_t* p = img.px(x, y);
    p[0] = c[0], p[1] = c[1], p[2] = c[2], p[3] = 255;
  }
  void line(int x0, int y0, int x1, int y1, const uint8_t c[3]) {  // Bresenham
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    for (int err = dx + dy;;) {
      set(x0, y0, c);
      if (x0 == x1 && y0 == y1) break;
      const int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  void text(int x, int y, const std::string& s, const uint8_t c[3], int scale = 2) {
    for (char ch : s) {
      const char* g = glyph(ch);
      for (int r = 0; r < 5; ++r)
        for (int b = 0; b < 3; ++b)
          if (g[r] & (4 >> b))
            for (int i = 0; i < scale; ++i)
              for (int j = 0; j < scale; ++j) set(x + b * scale + i, y + r * scale + j, c);
      x += 4 * scale;
    }
  }
};
}  // namespace

Sprite plot_series(const std::vector<Series>& series, int width, int height, bool log_y) {
  Canvas cv;
  cv.img.width = width, cv.img.height = height;
  cv.img.rgba.assign(size_t(width) * height * 4, 255);
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  auto fy = [&](double y) { return log_y ? std::log10(std::max(y, 1e-12)) : y; };
  for (const auto& s : series)
    for (auto [x, y] : s.points) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, fy(y)), y1 = std::max(y1, fy(y));
  if (x0 > x1) return cv.img;
  if (log_y) y0 = std::floor(y0), y1 = std::ceil(y1);
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const int L = 70, R = width - 20, T = 20, B = height - 40;
  auto px = [&](double x) { return L + int(std::lround((x - x0) / (x1 - x0) * (R - L))); };
  auto py = [&](double y) { return B - int(std::lround((fy(y) - y0) / (y1 - y0) * (B - T))); };
  const uint8_t grid[3] = {225, 225, 225}, axis[3] = {60, 60, 60};
  char buf[32];
  if (log_y)
    for (int d = int(y0); d <= int(y1); ++d) {
      const int y = B - int(std::lround((d - y0) / (y1 - y0) * (B - T)));
      cv.line(L, y, R, y, grid);
      std::snprintf(buf, sizeof buf, "1e%d", d);
      cv.text(8, y - 5, buf, axis);
    }
  cv.line(L, T, L, B, axis);
  cv.line(L, B, R, B, axis);
  for (int k = 0; k <= 4; ++k) {
    const double x = x0 + (x1 - x0) * k / 4;
    std::snprintf(buf, sizeof buf, "%.0f", x);
    cv.text(std::min(px(x) - 8, width - 2 - 8 * int(std::strlen(buf))), B + 10, buf, axis);  // the last inside the image
  }
  static const uint8_t colours[][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40}, {148, 103, 189}, {140, 86, 75}};
  // legend, top right: a swatch and the name, placed so that the longest name ends at the right edge
  size_t longest = 0;
  for (const auto& s : series) longest = std::max(longest, s.name.size());
  const int lx = std::max(L, width - 4 - 8 * int(longest) - 26);
  for (size_t i = 0; i < series.size(); ++i) {
    const uint8_t* c = colours[i % 6];
    const auto& p = series[i].points;
    for (size_t k = 1; k < p.size(); ++k) cv.line(px(p[k - 1].first), py(p[k - 1].second), px(p[k].first), py(p[k].second), c);
    const int ly = T + 4 + int(i) * 16;
    for (int y = 0; y < 8; ++y) cv.line(lx, ly + y, lx + 20, ly + y, c);
    cv.text(lx + 26, ly - 1, series[i].name, axis);
  }
  return cv.img;
}

}  // namespace pixelart
