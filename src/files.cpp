// src/files.cpp — whole-or-nothing file writes (include/pixelart/files.h).
#include "pixelart/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "pixelart/error.h"

namespace pixelart {

void write_file_whole(const std::string& path, const std::vector<std::string_view>& parts) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write " + path + ": " + std::strerror(errno));
  bool ok = true;
  for (std::string_view p : parts) ok = ok && std::fwrite(p.data(), 1, p.size(), f) == p.size();
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const int err = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(err ? err : errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": " + why);
  }
}

}  // namespace pixelart
