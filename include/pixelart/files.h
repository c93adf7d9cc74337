// pixelart/files.h — files the program writes appear whole or not at all, and never replace a
// file the user did not ask to replace: models, checkpoints, images, held-out lists, configurations.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pixelart {

// What a write does when PATH exists at the moment the new file is put in place.
enum class Existing {
  Replace,  // replace it (atomically: a reader sees the old file or the whole new one)
  Keep,     // keep it and throw Error(kind Exists): two runs writing one folder never replace
            // each other's results unless asked (the check and the rename are one atomic step)
};

// Writes the concatenated `parts` to a temporary file beside PATH (temporary_name), flushes and
// fsyncs it, then renames it to PATH, so a reader never sees a part. On any failure the temporary
// file is removed and an Error(kind Output, or Exists) names PATH and the reason. Ctrl-C or
// SIGTERM during the write removes the temporary file before the program ends (InFlightFile).
void write_file_whole(const std::string& path, const std::vector<std::string_view>& parts,
                      Existing existing = Existing::Replace);
inline void write_file_whole(const std::string& path, std::string_view text, Existing existing = Existing::Replace) {
  write_file_whole(path, std::vector{text}, existing);
}

// The temporary name of a write to DIR/NAME: DIR/.NAME.PID-N.pixelart-tmp, unique per process and
// per write (N counts the writes of the process), so writer threads never share one.
std::string temporary_name(const std::string& path);
// Removes the temporary files that writes into `dir` left behind when their process was killed
// (kill -9, power loss): those of temporary_name's pattern whose process no longer runs, and the
// older pattern NAME.tmpPID of .png, .safetensors and .sprites files likewise.
// A temporary of a process still running (a concurrent run) is left alone. Returns how many it
// removed.
int remove_stale_temporaries(const std::string& dir);

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
