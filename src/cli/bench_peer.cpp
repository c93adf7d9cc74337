// src/cli/bench_peer.cpp — `pixelart bench`'s named peer: the same shape in PyTorch on this device
// (tools/torch_peer.py), run as a child process, and its ratio to the production row.
#include <omp.h>

#include <cstdlib>
#include <filesystem>

#include "cli/bench.h"
#include "cli/peers.h"
#include "settings_text.h"

namespace pixelart::cli {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The named peer in this run: PyTorch on this device, the same shape (`peer_args`:
// tools/torch_peer.py's --case arguments); on the CPU with as many threads, on CUDA eager or
// through torch.compile. Its median ms, or nothing (with the reason printed).
std::optional<double> torch_peer(Device dev, const std::string& peer_args, const char* label) {
  const std::string script = source_tool("torch_peer.py");
  if (script.empty()) {
    std::printf("PyTorch (peer): tools/torch_peer.py is not here (a source tree's tools/ holds it)\n");
    return std::nullopt;
  }
  const int threads = omp_get_max_threads();
  const bool cpu = dev == Device::CPU;
  for (const std::string& py : peer_pythons("PIXELART_TORCH_PYTHON", ".venv-torch")) {
    const std::string cmd = (cpu ? "OMP_NUM_THREADS=" + std::to_string(threads) + " " : std::string()) + shell_quoted(py) + " " +
                            shell_quoted(script) + (cpu ? " --device cpu --threads " + std::to_string(threads) : std::string(" --device cuda")) +
                            " " + peer_args + " 2>/dev/null";
    int rc = 0;
    const std::string out = run_capture(cmd, &rc);
    const size_t k = out.find("\"ms\": ");
    if (rc != 0 || k == std::string::npos) continue;  // no torch there (or no GPU for it): the next one
    const std::string found = json_string(out, "torch"), version = found.empty() ? "?" : found;
    const double ms = std::atof(out.c_str() + k + 6);
    if (cpu)
      std::printf("%-34s %10.2f  (PyTorch %s, %d threads, channels-last fp32, %s)\n", label, ms, version.c_str(), threads, py.c_str());
    else
      std::printf("%-34s %10.2f  (PyTorch %s, channels-last, CUDA events, %s)\n", label, ms, version.c_str(), py.c_str());
    return ms;
  }
  std::printf("%s: not importable%s (tools/setup.sh --peer installs PyTorch in %s/.venv-torch)\n", label,
              cpu ? "" : ", or it sees no GPU", PIXELART_SOURCE_DIR);
  return std::nullopt;
}
void peer_ratio(const Args& a, Device dev, const std::string& peer_args, double production_ms, Precision precision,
                const char* note) {
  if (a.has("no-peer")) return;
  if (dev == Device::CPU) {
    if (const auto ms = torch_peer(dev, peer_args, "PyTorch (peer)"))
      std::printf("PyTorch / production: %.2fx (above 1: pixelart is faster)%s\n", *ms / production_ms, note);
    return;
  }
  const std::string p = std::string(" --precision ") + precision_name(precision);
  for (const auto& [compile, label] : {std::pair{"0", "PyTorch eager (peer)"}, std::pair{"1", "PyTorch torch.compile (peer)"}})
    if (const auto ms = torch_peer(dev, peer_args + p + " --compile " + compile, label))
      std::printf("%s / production: %.2fx (above 1: pixelart is faster)%s\n", label, *ms / production_ms, note);
}

}  // namespace pixelart::cli
