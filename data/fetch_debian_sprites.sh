#!/usr/bin/env bash
# data/fetch_debian_sprites.sh — the training sprites, from Debian packages (never committed):
#   nethack-common    NetHack's 16x16 tile sheet (XPM, 40 x 37 tiles, key colour #476c6c)
#   crawl-tiles-data  Dungeon Crawl Stone Soup's RGBA atlases, split into alpha-connected sprites
#                     of at most 32x32 (floor and wall atlases are opaque mosaics, not sprites)
# Downloads with `apt-get download`, unpacks with `dpkg -x` into data/debian/ (git-ignored), and
# packs data/debian/nethack16.sprites and data/debian/crawl32.sprites with contact sheets beside
# them. Needs the built tool (tools/setup.sh). Prints what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/pixelart
[ -x "$bin" ] || { echo "fetch: build the tool first (tools/setup.sh)" >&2; exit 1; }
out=data/debian
mkdir -p "$out/debs" "$out/root"
(
  cd "$out/debs"
  if ! ls nethack-common_*.deb crawl-tiles-data_*.deb >/dev/null 2>&1; then
    apt-get download nethack-common crawl-tiles-data 2>/dev/null || {
      echo "fetch: apt-get download failed; running apt-get update first" >&2
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq
      apt-get download nethack-common crawl-tiles-data
    }
  fi
  for deb in nethack-common_*.deb crawl-tiles-data_*.deb; do dpkg -x "$deb" ../root; done
)
nethack=$out/root/usr/share/pixmaps/nethack/x11tiles
crawl=$out/root/usr/share/crawl/dat/tiles
echo "== NetHack (16x16)"
"$bin" sprites --mode sheet --tile 16 --key '#476c6c' --canvas 16 "$nethack" \
  -o "$out/nethack16.sprites" --preview "$out/nethack16.png"
echo "== Dungeon Crawl Stone Soup (up to 32x32)"
"$bin" sprites --mode atlas --max 32 --canvas 32 \
  "$crawl"/main.png "$crawl"/player.png "$crawl"/feat.png "$crawl"/gui.png "$crawl"/icons.png \
  -o "$out/crawl32.sprites" --preview "$out/crawl32.png"
