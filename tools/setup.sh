#!/usr/bin/env bash
# tools/setup.sh — installs every Debian package the build needs, then configures and builds.
# Safe to run again. The CUDA backend is built when a CUDA toolkit with cuDNN is already on the
# machine (nvcc on PATH or in /usr/local/cuda); otherwise the build is CPU-only and still complete.
#   tools/setup.sh --peer    also PyTorch from PyPI in .venv-torch: the peer `pixelart bench` and
#                            build/bench/pixelart_bench's CPU rows are compared with
#                            (tools/torch_peer.py). Other arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
peer=0
args=()
for a in "$@"; do
  if [ "$a" = "--peer" ]; then peer=1; else args+=("$a"); fi
done

packages=(build-essential cmake ninja-build pkg-config libopenblas-openmp-dev libgtest-dev
          libbenchmark-dev libopencv-dev libdnnl-dev libpng-dev libjpeg-dev zlib1g-dev xz-utils python3)
((peer)) && packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${args[@]+"${args[@]}"}
cmake --build build --parallel "$(nproc)"
if ((peer)); then
  [ -x .venv-torch/bin/python ] || python3 -m venv .venv-torch
  .venv-torch/bin/python -c "import torch" 2>/dev/null || .venv-torch/bin/pip install -q torch numpy
  echo "setup: PyTorch $(.venv-torch/bin/python -c 'import torch; print(torch.__version__)') in .venv-torch (the benchmarks' peer)"
fi
