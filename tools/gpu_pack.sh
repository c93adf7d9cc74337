#!/usr/bin/env bash
# tools/gpu_pack.sh — run HERE before a device call: builds for Hopper and gathers into .gpu/
# (git-ignored, .gitignore) what the GPU machine lacks: the test and benchmark binaries and the shared
# libraries they load that are neither CUDA's (cuDNN and cuBLAS come from PyTorch's pip packages
# there) nor the C runtime's. Then: device run with carry [".gpu"] and `bash tools/gpu_check.sh`.
# NOT YET RUN ON A GPU MACHINE (none was lent when it was written).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" \
  -DPIXELART_NATIVE=OFF >/dev/null
cmake --build build-gpu --target pixelart_tests pixelart_bench
rm -rf .gpu && mkdir -p .gpu/lib
cp build-gpu/tests/pixelart_tests build-gpu/bench/pixelart_bench .gpu/
for bin in .gpu/pixelart_tests .gpu/pixelart_bench; do
  ldd "$bin" | awk '/=>/ {print $3}' | grep -v -E 'libc\.so|libm\.so|libstdc|libgcc_s|libpthread|libdl|librt|ld-linux|libcudnn|libcublas' \
    | xargs -r -I{} cp -L {} .gpu/lib/
done
du -sh .gpu
