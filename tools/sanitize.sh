#!/usr/bin/env bash
# tools/sanitize.sh — the tests under AddressSanitizer and UndefinedBehaviorSanitizer, in
# build-san/ (git-ignored): the CPU tests, the CUDA tests on the emulated device (tests/cuda_emu,
# whose guard pages catch what ASan cannot see in device memory) and the tool on the emulated
# device against the CPU, and the tool's file-safety checks (hostile images, models, concurrent
# runs). Any report fails the run (-fno-sanitize-recover). About 5 minutes to
# build and 3 to run on 2 cores; not part of CI. The CPU-side counterpart of compute-sanitizer
# (tools/gpu_check.sh runs memcheck on a GPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DPIXELART_BENCH=OFF >/dev/null
ninja -C build-san pixelart_tests pixelart_emu_tests pixelart_emu
# OpenBLAS and OpenCV are not instrumented; leaks of process-lifetime caches are not errors here
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
echo "== CPU tests"
build-san/tests/pixelart_tests --gtest_brief=1
echo "== CUDA tests on the emulated device"
build-san/tests/pixelart_emu_tests --gtest_brief=1 --gtest_filter='*/1.*:*Parity*:*cuda*:*Cuda*'
echo "== the tool on the emulated device against the CPU"
cmake -DBIN="$PWD/build-san/pixelart_emu" -DSRC="$PWD" -DWORK="$PWD/build-san/cli_emu" -P tests/cli_emu.cmake
echo "== the tool's file safety and hostile inputs (tests/cli_files.cmake), on the CPU"
cmake -DBIN="$PWD/build-san/pixelart_emu" -DSRC="$PWD" -DWORK="$PWD/build-san/cli_files" -P tests/cli_files.cmake
echo "sanitize: no reports"
