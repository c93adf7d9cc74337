// src/files.cpp — whole-or-nothing file writes (include/pixelart/files.h).
#include "pixelart/files.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "pixelart/error.h"

namespace pixelart {

namespace {
// The files being written, for the signal handler: a slot is claimed (1), its path copied in, then
// marked live (2); the handler unlinks the live ones (unlink is async-signal-safe) and re-raises.
constexpr int kSlots = 64;
constexpr size_t kPathMax = 4096;
std::atomic<int> slot_state[kSlots];
char slot_path[kSlots][kPathMax];
struct sigaction default_int, default_term;

extern "C" void remove_in_flight_files(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (slot_state[i].load() == 2) ::unlink(slot_path[i]);
  ::sigaction(sig, sig == SIGINT ? &default_int : &default_term, nullptr);
  ::raise(sig);
}

void install_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const int sig : {SIGINT, SIGTERM}) {
      struct sigaction now {};
      ::sigaction(sig, nullptr, &now);
      if (now.sa_handler != SIG_DFL) continue;  // the program handles it (train saves its run)
      struct sigaction sa {};
      sa.sa_handler = remove_in_flight_files;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, sig == SIGINT ? &default_int : &default_term);
    }
  });
}
}  // namespace

InFlightFile::InFlightFile(const std::string& path) {
  if (path.size() >= kPathMax) return;
  install_handler_once();
  for (int i = 0; i < kSlots; ++i) {
    int free_slot = 0;
    if (slot_state[i].compare_exchange_strong(free_slot, 1)) {
      std::memcpy(slot_path[i], path.c_str(), path.size() + 1);
      slot_state[i].store(2);
      slot_ = i;
      return;
    }
  }
}

InFlightFile::~InFlightFile() {
  if (slot_ >= 0) slot_state[slot_].store(0);
}

std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned long> writes{0};
  const std::filesystem::path p(path);
  std::string name(1, '.');  // appended, not "." + ...: GCC 12 -Wrestrict false positive (PR 105329)
  name += p.filename().string();
  name += '.';
  name += std::to_string(::getpid());
  name += '-';
  name += std::to_string(writes.fetch_add(1));
  name += ".pixelart-tmp";
  return (p.parent_path() / name).string();
}

namespace {
// Puts `tmp` in place as `path`; with Existing::Keep only where no `path` exists, atomically
// (renameat2's RENAME_NOREPLACE; link + unlink on file systems without it). 0 or an errno.
int put_in_place(const std::string& tmp, const std::string& path, Existing existing) {
  if (existing == Existing::Replace) return std::rename(tmp.c_str(), path.c_str()) == 0 ? 0 : errno;
#ifdef RENAME_NOREPLACE
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
#endif
  if (::link(tmp.c_str(), path.c_str()) != 0) return errno;
  ::unlink(tmp.c_str());
  return 0;
}
}  // namespace

void write_file_whole(const std::string& path, const std::vector<std::string_view>& parts, Existing existing) {
  const std::string tmp = temporary_name(path);
  const InFlightFile in_flight(tmp);
  std::FILE* f = std::fopen(tmp.c_str(), "wbx");
  if (!f) throw Error("cannot write " + path + ": " + std::strerror(errno), ErrorKind::Output);
  bool ok = true;
  for (std::string_view p : parts) ok = ok && std::fwrite(p.data(), 1, p.size(), f) == p.size();
  ok = ok && std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
  const int err = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": " + std::strerror(err ? err : errno), ErrorKind::Output);
  }
  if (const int e = put_in_place(tmp, path, existing)) {
    std::remove(tmp.c_str());
    if (e == EEXIST)
      throw Error(path + ": appeared while this run worked (another run wrote it?); kept, not replaced (--overwrite "
                  "replaces it)", ErrorKind::Exists);
    throw Error("cannot write " + path + ": " + std::strerror(e), ErrorKind::Output);
  }
}

int remove_stale_temporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int removed = 0;
  auto gone = [](const std::string& pid) {
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
    const long n = std::stol(pid);
    return n > 0 && ::kill(pid_t(n), 0) != 0 && errno == ESRCH;
  };
  for (const auto& e : fs::directory_iterator(dir.empty() ? "." : dir, ec)) {
    if (!e.is_regular_file(ec)) continue;
    const std::string name = e.path().filename().string();
    std::string pid;
    static const std::string kTail = ".pixelart-tmp";
    if (name.size() > kTail.size() + 1 && name[0] == '.' && name.compare(name.size() - kTail.size(), kTail.size(), kTail) == 0) {
      // .NAME.PID-N.pixelart-tmp
      const std::string core = name.substr(0, name.size() - kTail.size());
      const size_t dash = core.rfind('-'), dot = core.rfind('.', dash == std::string::npos ? 0 : dash);
      if (dash != std::string::npos && dot != std::string::npos && dot < dash &&
          core.find_first_not_of("0123456789", dash + 1) == std::string::npos)
        pid = core.substr(dot + 1, dash - dot - 1);
    } else if (const size_t t = name.rfind(".tmp"); t != std::string::npos && t > 0) {
      // the older NAME.tmpPID, for the binary files the program writes (a text file of that
      // name may be another program's)
      const std::string base = name.substr(0, t), ext = fs::path(base).extension().string();
      for (const char* k : {".png", ".safetensors", ".sprites"})
        if (ext == k) pid = name.substr(t + 4);
    }
    if (gone(pid) && fs::remove(e.path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace pixelart
