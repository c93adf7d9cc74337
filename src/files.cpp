// src/files.cpp — whole-or-nothing file writes (include/pixelart/files.h).
#include "pixelart/files.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
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

void write_file_whole(const std::string& path, const std::vector<std::string_view>& parts) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  const InFlightFile in_flight(tmp);
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
