// pixelart/files.h — files the program writes appear whole or not at all: models, checkpoints,
// images, held-out lists, configurations.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pixelart {

// Writes the concatenated `parts` to PATH.tmpPID, flushes and fsyncs it, then renames it over
// PATH (atomic on POSIX), so a reader sees the old file or the whole new one, never a part. On
// any failure the temporary file is removed and an Error names PATH and the reason.
// Ctrl-C or SIGTERM during the write removes the temporary file before the program ends (see
// InFlightFile), so an interrupted batch leaves no PATH.tmpPID behind.
void write_file_whole(const std::string& path, const std::vector<std::string_view>& parts);
inline void write_file_whole(const std::string& path, std::string_view text) { write_file_whole(path, std::vector{text}); }

// While one lives, the file at `path` is removed if SIGINT or SIGTERM ends the program: the first
// one installs a handler for both (where their action is still the default) that removes every
// such file and then lets the signal end the program as before. Paths up to 4095 bytes, 64 at a
// time (more are not tracked).
class InFlightFile {
 public:
  explicit InFlightFile(const std::string& path);
  ~InFlightFile();
  InFlightFile(const InFlightFile&) = delete;
  InFlightFile& operator=(const InFlightFile&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace pixelart
