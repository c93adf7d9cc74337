#!/usr/bin/env bash
# tools/gpu_check.sh — everything the GPU machine can show, in one call (../shared/DEVICE.md):
#   1. the CUDA tests against their CPU twins and the golden files (pixelart_tests)
#   2. compute-sanitizer memcheck and racecheck over the CUDA tests (skipped, saying why, where
#      the machine has no compute-sanitizer or its runtime refuses it)
#   3. `pixelart bench forward` and `bench train`, batch 256, fp32, TF32 and bf16, each beside
#      PyTorch eager and torch.compile in the same run (tools/torch_peer.py), as ratios
#   4. `pixelart bench synth` (goal: 200,000 samples/s of 256x256 RGBA)
#   5. training the full-size restorer (4-64-128-256-512, two context layers) for a fixed wall
#      clock (train --time-limit, 150 s or $PIXELART_TRAIN_TIME), then `eval` of it on the
#      held-out sources (Angband 16 and 32, Blob Wars, Mr. Rescue; the shipped model's figures on
#      them are in data/models/README.md)
# in that order of value (DEVICE.md), the kernel benchmarks and the sanitizers last. Every step
# runs under its own time limit and within the call's budget ($PIXELART_CHECK_BUDGET, 530 s: the
# device allows 600 s a command); a step that fails is reported and the next one runs.
# Writes under $OUT 6 files at most (summary.txt, logs.tar.xz, eval.jsonl, model.safetensors,
# curves.png, tests.json), each well under 16 MiB, and prints the summary table last.
#
#   tools/gpu_pack.sh                           here: build for Hopper, pack .gpu/pack.tar.xz
#   run: bash tools/gpu_check.sh                there (device tool, carry [".gpu"])
#   tools/gpu_check.sh --dry-run BUILD_DIR      here: the same steps on the emulated device
#                                               (BUILD_DIR/pixelart_emu, tests/pixelart_emu_tests),
#                                               tiny sizes; run by ctest as emu.gpu_check_dry_run
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
OUT=${OUT:-/tmp/pixelart_gpu_check}
mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pixelart_gpu.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
dry=0
if [ "${1:-}" = "--dry-run" ]; then
  dry=1
  BUILD=$(cd "${2:?--dry-run BUILD_DIR}" && pwd)
  PA=$BUILD/pixelart_emu
  TESTS=$BUILD/tests/pixelart_emu_tests
  BENCH=""
  DATA=$WORK/sprites
  # sprites of the tool's own generator stand in for the packed Debian sources
  "$PA" sprites --mode generate --count 48 --seed 1 -o "$DATA.train.sprites" > "$LOGS/data.log" 2>&1
  "$PA" sprites --mode generate --count 16 --seed 9 -o "$DATA.held.sprites" >> "$LOGS/data.log" 2>&1
  TRAIN_DATA=$DATA.train.sprites
  HELD=("$DATA.held.sprites:16:4")
  BATCH=2 SIZE=64 STEPS=1 RUNS=2 TIME_LIMIT=8s SYNTH_BATCH=4 WIDTHS=8,8,8,8 CONTEXT=1 EVAL_N=4 SHAPE=--narrow
  TEST_FILTER='Ops/1.*:Restorer/GoldenTest.*narrow_cuda*'
  PRECISIONS="fp32 bf16"
else
  PACK=$SRC/.gpu/pack.tar.xz
  [ -f "$PACK" ] || { echo "gpu_check: $PACK is missing: run tools/gpu_pack.sh here first, then carry .gpu" >&2; exit 2; }
  mkdir -p "$WORK/pack" && tar -xJf "$PACK" -C "$WORK/pack"
  PA=$WORK/pack/bin/pixelart
  TESTS=$WORK/pack/bin/pixelart_tests
  BENCH=$WORK/pack/bin/pixelart_bench
  D=$WORK/pack/data
  TRAIN_DATA=$D/nethack16.sprites,$D/crawl16.sprites,$D/cataclysm10.sprites,$D/cataclysm16.sprites,$D/cataclysm20.sprites,$D/cataclysm32.sprites,$D/minetest16.sprites,$D/xpm16.sprites,$D/kobo16.sprites,$D/lgeneral16.sprites,gen:3000
  HELD=("$D/angband16.sprites:16:256" "$D/angband32.sprites:32:128" "$D/blobwars32.sprites:32:128" "$D/mrrescue32.sprites:32:256")
  BATCH=256 SIZE=256 STEPS=10 RUNS=20 TIME_LIMIT=${PIXELART_TRAIN_TIME:-150s} SYNTH_BATCH=1024 WIDTHS=64,128,256,512 CONTEXT=2 EVAL_N= SHAPE=
  TEST_FILTER='*'
  PRECISIONS="fp32 tf32 bf16"
  # cuDNN and cuBLAS from PyTorch's nvidia-* wheels; the rest the pack carries
  nv=$(python3 -c 'import nvidia; print(list(nvidia.__path__)[0])' 2>/dev/null)
  export LD_LIBRARY_PATH="$WORK/pack/lib:$(ls -d "$nv"/*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
fi
export PIXELART_SOURCE_DIR=$SRC  # the shipped models and tools/torch_peer.py, for a carried binary
export PIXELART_TORCH_PYTHON=${PIXELART_TORCH_PYTHON:-python3}

# ---- the steps ---------------------------------------------------------------------------------
ROWS=()
row() { ROWS+=("$(printf '%-22s %-9s %7s  %s' "$1" "$2" "$3" "$4")"); }
# step NAME LIMIT_S CMD...: runs CMD under `timeout`, logs to LOGS/NAME.log, keeps rc and seconds
# within the whole call's budget: a step gets at most what is left of it, and is skipped when
# less than 15 s are left
DEADLINE=$(( $(date +%s) + ${PIXELART_CHECK_BUDGET:-530} ))
step() {
  local name=$1 limit=$2
  shift 2
  local left=$(( DEADLINE - $(date +%s) ))
  if [ $left -lt 15 ]; then
    RC=skipped SECS=- STATUS=skipped
    echo "== $name: skipped (the call's time budget is spent)" | tee -a "$LOGS/steps.log" > "$LOGS/$name.log"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local t0=$(date +%s.%N)
  echo "== $name: $*" | tee -a "$LOGS/steps.log"
  timeout --kill-after=10 "$limit" "$@" > "$LOGS/$name.log" 2>&1
  RC=$?
  SECS=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  STATUS=$([ $RC -eq 0 ] && echo ok || { [ $RC -ge 124 ] && [ $RC -le 137 ] && echo "timeout" || echo "FAIL $RC"; })
  echo "   $STATUS in ${SECS}s" | tee -a "$LOGS/steps.log"
}
grab() { grep -E "$1" "$LOGS/$2.log" | tail -1 | sed -E 's/ +/ /g' | cut -c1-110; }
# the PyTorch ratios of a bench log ("eager 2.31x torch.compile 1.52x"), or why there are none
peer() {
  local r
  r=$(grep -E 'production: [0-9.]+x' "$LOGS/$1.log" | sed -E 's/PyTorch (.*) \(peer\) \/ production: ([0-9.]+x).*/\1 \2/' | tr '\n' ' ')
  [ -n "$r" ] && echo "PyTorch / ours: $r" || echo "no PyTorch peer: $(grep -m1 -oE 'not importable[^(]*' "$LOGS/$1.log")"
}

step info 60 "$PA" info
row info "$STATUS" "$SECS" "$(grab '^gpu:' info)"

step tests 100 "$TESTS" --gtest_brief=1 --gtest_filter="$TEST_FILTER" --gtest_output=json:"$WORK/tests.json"
row tests "$STATUS" "$SECS" "$(grep -cE '^\[  FAILED  \] [A-Za-z]' "$LOGS/tests.log") failed; $(grab '^\[  PASSED  \]|tests ran' tests)"

for p in $PRECISIONS; do
  step "forward_$p" 45 "$PA" bench forward --device cuda --batch "$BATCH" --size "$SIZE" --runs "$RUNS" --precision "$p" --no-ref $SHAPE
  row "forward $p" "$STATUS" "$SECS" "$(grab 'cuDNN \(production\)' "forward_$p" | awk '{printf "%s ms, %.0f images/s, %.1f TFLOP/s", $3, '"$BATCH"' * 1000 / $3, $6 / 1000}'); $(peer "forward_$p")"
  step "train_$p" 50 "$PA" bench train --device cuda --batch "$BATCH" --steps "$STEPS" --precision "$p" --no-ref $SHAPE
  row "train $p" "$STATUS" "$SECS" "$(grab 'cuDNN \(production\)' "train_$p" | awk '{printf "%s images/s, %.1f TFLOP/s", $6, $7 / 1000}'); $(peer "train_$p")"
done

step synth 30 "$PA" bench synth --device cuda --size "$SIZE" --batch "$SYNTH_BATCH" --runs 3
row synth "$STATUS" "$SECS" "$(awk '$1 == "user" || $1 == "hard" {printf "%s %s samples/s  ", $1, $3}' "$LOGS/synth.log")"

RUN=$WORK/run
step train 300 "$PA" train restore --widths "$WIDTHS" --context "$CONTEXT" --data "$TRAIN_DATA" --damage user --batch "$BATCH" \
  --steps 100000 --lr 1e-3 --final-lr 2e-5 --warmup 200 --precision bf16 --time-limit "$TIME_LIMIT" --log-every 50 \
  --checkpoint-every 1000 --seed 1 --out "$RUN" --device cuda \
  $([ $dry -eq 0 ] && echo --holdout-from "$SRC/data/models/restorer16.safetensors")
row train "$STATUS" "$SECS" "$(grab 'step [0-9]+' train)"
[ -f "$RUN/model.safetensors" ] && cp "$RUN/model.safetensors" "$OUT/model.safetensors"
[ -f "$RUN/curves.png" ] && cp "$RUN/curves.png" "$OUT/curves.png"

: > "$OUT/eval.jsonl"
for h in "${HELD[@]}"; do
  IFS=: read -r file canvas n <<< "$h"
  base=$(basename "$file" .sprites)
  for model in trained; do  # the shipped model's figures on these sets: data/models/README.md
    m=$RUN/model.safetensors
    [ -f "$m" ] || { row "eval $base $model" skipped - "no model (training failed)"; continue; }
    step "eval_${base}_$model" 60 "$PA" eval --data "$file" --canvas "$canvas" -n "${EVAL_N:-$n}" --model "$m" \
      --families user-clean,user-jpeg,user-web --device cuda --json
    { printf '{"set": "%s", "model": "%s", "figures": ' "$base" "$model"; cat "$LOGS/eval_${base}_$model.log" | grep -E '^\{' | tail -1; echo "}"; } >> "$OUT/eval.jsonl"
    row "eval $base $model" "$STATUS" "$SECS" "$(grep -oE '"user-jpeg": \{[^}]*"pixel_accuracy": [0-9.]+' "$LOGS/eval_${base}_$model.log" | grep -oE '[0-9.]+$' | sed 's/^/user-jpeg pixel acc. /')"
  done
done

if [ -n "$BENCH" ]; then
  step kernels 40 "$BENCH" --benchmark_filter='cuda/' --benchmark_min_time=0.2 --benchmark_out="$WORK/kernels.json" --benchmark_out_format=json
  row kernels "$STATUS" "$SECS" "$(grep -c '^cuda/' "$LOGS/kernels.log") cases (logs/kernels.log)"
fi

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
for tool in memcheck racecheck; do
  if [ $dry -eq 1 ] || [ -z "$sanitizer" ]; then
    row "$tool" skipped - "$([ $dry -eq 1 ] && echo 'the emulated device has no compute-sanitizer' || echo 'no compute-sanitizer on this machine')"
    continue
  fi
  step "$tool" 60 "$sanitizer" --tool "$tool" --error-exitcode 9 "$TESTS" --gtest_brief=1 --gtest_filter='Ops/1.*:Core/1.*:Parity.*:-*Death*'
  row "$tool" "$STATUS" "$SECS" "$(grab 'ERROR SUMMARY|RACECHECK SUMMARY|not supported|refused' "$tool")"
done

# ---- what comes back ---------------------------------------------------------------------------
[ -f "$WORK/tests.json" ] && cp "$WORK/tests.json" "$OUT/tests.json"
{
  echo "pixelart gpu_check $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'), $([ $dry -eq 1 ] && echo 'DRY RUN on the emulated device' || echo 'GPU machine')"
  printf '%-22s %-9s %7s  %s\n' step status seconds figures
  printf '%s\n' "${ROWS[@]}"
} > "$OUT/summary.txt"
tar -cJf "$OUT/logs.tar.xz" -C "$WORK" logs $([ -f "$WORK/kernels.json" ] && echo kernels.json) $([ -d "$RUN" ] && echo run/metrics.jsonl run/config.json 2>/dev/null) 2>/dev/null
rm -rf "$WORK"
echo
cat "$OUT/summary.txt"
