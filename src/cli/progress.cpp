// src/cli/progress.cpp — see progress.h.
#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace pixelart::cli {

std::string hms(double s) {
  char b[32];
  const int t = int(s);
  if (t >= 3600) std::snprintf(b, sizeof b, "%dh%02dm", t / 3600, t / 60 % 60);
  else std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
  return b;
}

std::string bar(double fraction) {
  constexpr int kWidth = 24;
  const int filled = int(kWidth * std::clamp(fraction, 0.0, 1.0));
  std::string b(size_t(kWidth + 2), '.');
  b.front() = '[', b.back() = ']';
  std::fill_n(b.begin() + 1, filled, '#');
  return b;
}

std::string peak_memory(Device dev) {
  char b[96];
  const int n = std::snprintf(b, sizeof b, "peak memory %.0f MB", double(host_peak_rss_bytes()) / 1e6);
  if (dev == Device::CUDA)
    std::snprintf(b + n, sizeof b - size_t(n), ", %.0f MB of tensors on cuda", double(tensor_bytes(dev).peak) / 1e6);
  return b;
}

bool Progress::stderr_is_terminal() { return ::isatty(2) != 0; }

Progress::Progress(std::string what, bool enabled)
    : what_(std::move(what)), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(double fraction, const std::string& detail) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (drawn_ && fraction < 1.0 && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // the time left once there is something to go by: a second of work and a little progress
  const std::string left = fraction > 0.005 && fraction < 1.0 && elapsed > 1.0
                               ? "  " + hms(elapsed * (1.0 - fraction) / fraction) + " left"
                               : "";
  std::string d = detail;
  if (d.size() > 40) d = "..." + d.substr(d.size() - 37);  // keep the line on one terminal row
  std::fprintf(stderr, "\r%s %s %3d%%  %s%s\033[K", what_.c_str(), bar(fraction).c_str(), int(fraction * 100.0), d.c_str(),
               left.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace pixelart::cli
