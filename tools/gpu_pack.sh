#!/usr/bin/env bash
# tools/gpu_pack.sh — run HERE before a device call: builds for Hopper (sm_90 and PTX) with the
# builtin image backend (libpng and libjpeg linked statically: the GPU machine has no C++ OpenCV)
# and packs into .gpu/pack.tar.xz (git-ignored) what the GPU machine lacks: the tool, the test and
# benchmark binaries, the shared libraries they load that are neither CUDA's (cuDNN and cuBLAS
# come from PyTorch's pip packages there) nor the C runtime's, and the packed training and
# held-out sprites (data/fetch_debian_sprites.sh). Prints what it holds and its size; the carry
# limit is 64 MiB with the working tree. Then: device run with carry [".gpu"] and
# `bash tools/gpu_check.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${PIXELART_GPU_BUILD:-build-gpu}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" \
  -DPIXELART_NATIVE=OFF -DPIXELART_IMAGE_IO=builtin -DPIXELART_CUDA_EMULATION=OFF \
  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
cmake --build "$BUILD" --target pixelart pixelart_tests pixelart_bench
stage=.gpu/stage
rm -rf .gpu && mkdir -p "$stage/bin" "$stage/lib" "$stage/data"
cp "$BUILD/pixelart" "$BUILD/tests/pixelart_tests" "$BUILD/bench/pixelart_bench" "$stage/bin/"
strip --strip-unneeded "$stage"/bin/*
for bin in "$stage"/bin/*; do
  ldd "$bin" | awk '/=>/ {print $3}' \
    | grep -v -E '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*)\.so|libcudnn|libcublas|libcudart' \
    | xargs -r -I{} cp -Ln {} "$stage/lib/"
done
sprites=(nethack16 crawl16 cataclysm10 cataclysm16 cataclysm20 cataclysm32 minetest16 xpm16 kobo16 lgeneral16
         angband16 angband32 blobwars32 mrrescue32)
for s in "${sprites[@]}"; do
  if [ -f "data/debian/$s.sprites" ]; then cp "data/debian/$s.sprites" "$stage/data/"
  else echo "gpu_pack: data/debian/$s.sprites missing (run data/fetch_debian_sprites.sh): training and eval there will lack it" >&2; fi
done
tar -cf - -C "$stage" . | xz -T0 -9 > .gpu/pack.tar.xz
echo "== .gpu/pack.tar.xz"
(cd "$stage" && du -b bin/* lib/* | awk '{printf "  %-28s %6.1f MB\n", $2, $1 / 1e6}'; du -cb data/* | tail -1 | awk '{printf "  %-28s %6.1f MB\n", "data/ (sprites)", $1 / 1e6}')
echo "  glibc the binaries need: $(objdump -T "$stage"/bin/* "$stage"/lib/* 2>/dev/null | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -1)"
packed=$(stat -c %s .gpu/pack.tar.xz)
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
printf '  packed %.1f MiB; with the working tree (%.1f MiB) %.1f MiB of the 64 MiB carry\n' \
  "$(echo "$packed / 1048576" | bc -l)" "$(echo "$tree / 1048576" | bc -l)" "$(echo "($packed + $tree) / 1048576" | bc -l)"
rm -rf "$stage"
[ "$((packed + tree))" -lt $((60 * 1048576)) ] || { echo "gpu_pack: over 60 MiB: too big to carry" >&2; exit 1; }
