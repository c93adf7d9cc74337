#!/usr/bin/env bash
# data/fetch_debian_sprites.sh — the training sprites, from Debian packages (never committed):
#   nethack-common    NetHack's 16x16 tile sheet (XPM, 40 x 37 tiles, key colour #476c6c)
#   crawl-tiles-data  Dungeon Crawl Stone Soup's RGBA atlases, split into alpha-connected sprites
#                     of at most 32x32 (floor and wall atlases are opaque mosaics, not sprites)
#   pingus-data, frozen-bubble-data, teeworlds-data
#                     drawn game art for the upscaler (sprites, ground pieces, backgrounds, tile
#                     sets), flattened into data/debian/art/<package>/ with names from their paths;
#                     teeworlds' tile sets are never trained on: the upscaler's unseen-package test
#   wesnoth-1.16-data painted art for the upscaler: Wesnoth's 238 character
#                     portraits (RGBA, 400-500 px), flattened into data/debian/art/wesnoth-portraits/
#                     (a 146 MB package; the portraits are 44 MB of it)
#   for the restorer, native-resolution sprites and tiles of more games (canvas 16; larger tiles
#   are cut into 16x16 windows, --crop; the biggest sources thinned, --limit):
#   cataclysm-dda-data  Cataclysm: DDA's tilesets by several artists: 10, 16, 20 and 32 px tiles
#   minetest-data       Minetest's 16x16 block and item textures
#   xpenguins, xbill    XPM animation strips (penguins, turtles, Bill), split by alpha
#   kobodeluxe-data     Kobo Deluxe's sprite and tile sheets, split by alpha (fonts left out)
#   lgeneral-data       LGeneral's hex terrain and unit strips (black is their transparent key)
#   and, held out whole (never trained on: eval's unseen games):
#   angband-data        Angband's 16x16 (Adam Bolt) and 32x32 (David Gervais) tile sheets
#   blobwars-data       Blob Wars' sprites (black is their transparent key)
#   mrrescue            Mr. Rescue's RGBA animation strips, split by alpha (fonts, dialogs, level
#                       art and title screens left out)
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
  pkgs=(nethack-common crawl-tiles-data pingus-data frozen-bubble-data teeworlds-data wesnoth-1.16-data
        cataclysm-dda-data minetest-data xpenguins xbill kobodeluxe-data lgeneral-data angband-data blobwars-data mrrescue)
  missing=()
  for p in "${pkgs[@]}"; do ls "${p}"_*.deb >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get download "${missing[@]}" 2>/dev/null || {
      echo "fetch: apt-get download failed; running apt-get update first" >&2
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      $SUDO apt-get update -qq
      apt-get download "${missing[@]}"
    }
  fi
  for p in "${pkgs[@]}"; do dpkg -x "$(ls "${p}"_*.deb | head -1)" ../root; done
)
nethack=$out/root/usr/share/pixmaps/nethack/x11tiles
crawl=$out/root/usr/share/crawl/dat/tiles
echo "== NetHack (16x16)"
"$bin" sprites --overwrite --mode sheet --tile 16 --key '#476c6c' --canvas 16 "$nethack" \
  -o "$out/nethack16.sprites" --preview "$out/nethack16.png"
echo "== Dungeon Crawl Stone Soup (up to 32x32)"
"$bin" sprites --overwrite --mode atlas --max 32 --canvas 32 \
  "$crawl"/main.png "$crawl"/player.png "$crawl"/feat.png "$crawl"/gui.png "$crawl"/icons.png \
  -o "$out/crawl32.sprites" --preview "$out/crawl32.png"

echo "== Dungeon Crawl Stone Soup, in 16x16 windows"
"$bin" sprites --overwrite --mode atlas --max 64 --canvas 16 --crop --limit 3000 \
  "$crawl"/main.png "$crawl"/player.png "$crawl"/feat.png "$crawl"/gui.png "$crawl"/icons.png \
  -o "$out/crawl16.sprites"
cdda=$out/root/usr/share/games/cataclysm-dda/gfx
echo "== Cataclysm: Dark Days Ahead (tilesets of 10, 16, 20 and 32 px)"
"$bin" sprites --overwrite --mode sheet --tile 10 --canvas 16 --limit 1500 \
  "$cdda"/RetroDaysTileset/tiles.png "$cdda"/NeoDaysTileset/tiles.png -o "$out/cataclysm10.sprites"
"$bin" sprites --overwrite --mode sheet --tile 16 --canvas 16 --limit 2500 \
  "$cdda"/ChestHole16Tileset/tiles.png "$cdda"/HoderTileset/hodertiles.png -o "$out/cataclysm16.sprites" \
  --preview "$out/cataclysm16.png"
"$bin" sprites --overwrite --mode sheet --tile 20 --canvas 16 --crop --limit 2000 \
  "$cdda"/BrownLikeBears/tiles.png "$cdda"/RetroDaysTileset/tiles_20x20.png -o "$out/cataclysm20.sprites"
"$bin" sprites --overwrite --mode sheet --tile 32 --canvas 16 --crop --limit 3000 \
  "$cdda"/MshockXotto+/tiles.png "$cdda"/UltimateCataclysm/normal.png "$cdda"/ChibiUltica/ChibiNormalMonster.png \
  -o "$out/cataclysm32.sprites" --preview "$out/cataclysm32.png"
echo "== Minetest (16x16 textures)"
"$bin" sprites --overwrite --mode folder --canvas 16 --crop \
  "$out"/root/usr/share/games/minetest/games/minetest_game/mods/*/textures -o "$out/minetest16.sprites"
echo "== XPenguins and XBill (XPM strips)"
"$bin" sprites --overwrite --mode atlas --max 64 --min-pixels 24 --canvas 16 --crop --limit 1500 \
  $(find "$out"/root/usr/share/xpenguins/themes "$out"/root/usr/share/xbill -name '*.xpm' | sort) -o "$out/xpm16.sprites"
echo "== Kobo Deluxe (sheets, fonts left out)"
"$bin" sprites --overwrite --mode atlas --max 64 --min-pixels 24 --canvas 16 --crop --limit 1000 \
  $(ls "$out"/root/usr/share/kobo-deluxe/gfx/*.png | grep -v font | sort) -o "$out/kobo16.sprites"
echo "== LGeneral (hex terrain and units, key colour black)"
lgen=$out/root/usr/share/games/lgeneral/gfx
"$bin" sprites --overwrite --mode atlas --key 000000 --max 64 --min-pixels 24 --canvas 16 --crop --limit 1000 \
  "$lgen"/terrain/*/*.bmp "$lgen"/units/*.bmp -o "$out/lgeneral16.sprites"
echo "== Held out for evaluation: Angband (16 and 32 px tiles), Blob Wars and Mr. Rescue (sprites)"
angband=$out/root/usr/share/angband/xtra/graf
"$bin" sprites --overwrite --mode sheet --tile 16 --canvas 16 "$angband"/16x16.png -o "$out/angband16.sprites" --preview "$out/angband16.png"
"$bin" sprites --overwrite --mode sheet --tile 32 --canvas 32 "$angband"/32x32.png -o "$out/angband32.sprites"
"$bin" sprites --overwrite --mode folder --key 000000 --canvas 32 "$out"/root/usr/share/games/blobwars/gfx/sprites -o "$out/blobwars32.sprites"
# Mr. Rescue ships its art inside a LÖVE archive (a zip)
mr=$out/root/mrrescue
rm -rf "$mr"; mkdir -p "$mr"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$out"/root/usr/share/games/mrrescue/mrrescue.love "$mr"
"$bin" sprites --overwrite --mode atlas --max 32 --min-pixels 24 --canvas 32 \
  $(ls "$mr"/data/*.png | grep -v -e font -e border -e dialog -e awards -e splash -e title -e level_ -e menu -e tangram) \
  -o "$out/mrrescue32.sprites" --preview "$out/mrrescue32.png"

# Drawn art for the upscaler: every PNG of these folders (recursively) copied into one flat folder
# per package, named by its path (pingus/data/images/core/menu/x.png -> core_menu_x.png). Animation
# frames (frozen-bubble's pinguins and menu anims) and flags are left out: near-duplicates.
flatten() {  # flatten DEST SRC_ROOT [find arguments...]
  local dest=$1 src=$2; shift 2
  rm -rf "$dest"; mkdir -p "$dest"
  find "$src" -type f -iname '*.png' "$@" | sort | while read -r f; do
    rel=${f#"$src"/}; cp "$f" "$dest/${rel//\//_}"
  done
  echo "$dest: $(ls "$dest" | wc -l) images"
}
games=$out/root/usr/share/games
echo "== Drawn art for the upscaler"
flatten "$out/art/pingus" "$games/pingus/data/images"
flatten "$out/art/frozen-bubble" "$games/frozen-bubble/gfx" -not -path '*/pinguins/*' -not -path '*/anims/*' -not -path '*/flags/*'
flatten "$out/art/teeworlds-mapres" "$games/teeworlds/data/mapres"
flatten "$out/art/wesnoth-portraits" "$games/wesnoth/1.16/data/core/images/portraits"
