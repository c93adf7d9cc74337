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
void write_file_whole(const std::string& path, const std::vector<std::string_view>& parts);
inline void write_file_whole(const std::string& path, std::string_view text) { write_file_whole(path, std::vector{text}); }

}  // namespace pixelart
