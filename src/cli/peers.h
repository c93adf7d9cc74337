// src/cli/peers.h — the named peers the commands run beside their own figures (PyTorch for
// `bench`, waifu2x for `eval-upscale`): Python scripts in the source tree's tools/, run as child
// processes with the first Python that has what they need.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "pixelart/eval_run.h"

namespace pixelart::cli {

// tools/NAME in the source tree ($PIXELART_SOURCE_DIR, a carried build's tree, else the one this
// build was configured from); empty where it is not there.
std::string source_tool(const std::string& name);
// The Pythons to try, in order: $ENV_VAR, the source tree's VENV/bin/python, python3 (those given
// by a path only where the file exists).
std::vector<std::string> peer_pythons(const char* env_var, const std::string& venv);
std::string shell_quoted(const std::string& s);
// The value of "key": "..." in a peer's one-line JSON answer, or empty.
std::string json_string(const std::string& line, const std::string& key);
// Runs a shell command and gives its standard output and exit status.
std::string run_capture(const std::string& cmd, int* status);

// eval-upscale's peer: tools/waifu2x_peer.py (waifu2x's cunet on the CPU through ncnn) at noise
// level `noise` (-1 none, 0..3) on `threads` threads. Where it cannot run, the first call prints
// why (and what to install) and every call gives nothing.
UpscalePeer waifu2x_peer(int noise, int threads);

}  // namespace pixelart::cli
