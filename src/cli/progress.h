// src/cli/progress.h — what the commands say about long work: one progress line on stderr
// (restore, upscale, eval, eval-upscale; the trainer draws its own with the same bar), redrawn in
// place, on terminals only, so that logs and pipes stay clean, and the peak memory their
// summaries end with.
//   upscale [#########...............]  37%  2/5 bigart.png  1m02s left
#pragma once
#include <chrono>
#include <string>

#include "pixelart/tensor.h"

namespace pixelart::cli {

// "0m42s", "1h05m": the time-left figure of the progress lines and the trainer's.
std::string hms(double seconds);
// "[#########...............]": `fraction` of 24 characters.
std::string bar(double fraction);

// "peak memory 1360 MB" (the process's resident peak), with ", 2100 MB of tensors on cuda" on a
// GPU: the commands' summaries end with it, so a user sees what a batch or a run needed.
std::string peak_memory(Device dev);

class Progress {
 public:
  // Draws nothing unless `enabled` (by default: stderr is a terminal).
  explicit Progress(std::string what, bool enabled = stderr_is_terminal());
  // `fraction`: of all the work, in [0, 1]; `detail`: what is under way. Redraws at most ten
  // times a second, and always at 1.
  void update(double fraction, const std::string& detail = "");
  // Ends the line (once something was drawn), so what follows starts on its own line.
  void finish();
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  static bool stderr_is_terminal();

 private:
  std::string what_;
  bool enabled_, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace pixelart::cli
