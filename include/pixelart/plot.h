// pixelart/plot.h — a line chart as an RGBA image (training curves), drawn without any library:
// axes, decade grid lines on a log scale, one colour per series, numbers in a 3x5 pixel font.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "pixelart/sprites.h"

namespace pixelart {

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), y > 0 on a log scale
};

Sprite plot_series(const std::vector<Series>& series, int width, int height, bool log_y);

}  // namespace pixelart
