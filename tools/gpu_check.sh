#!/usr/bin/env bash
# tools/gpu_check.sh — run ON THE GPU MACHINE (device run, carry [".gpu"], see tools/gpu_pack.sh):
# every CUDA test against its CPU reference and the golden files, compute-sanitizer memcheck on
# the CUDA tests, the kernel and whole-model benchmarks, and the PyTorch peer; logs and JSON
# under $OUT, a short table last. NOT YET RUN ON A GPU MACHINE (none was lent when it was written):
# expect to mend paths on first use.
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nv=$(python3 -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null)/nvidia
export LD_LIBRARY_PATH="$PWD/.gpu/lib:$nv/cudnn/lib:$nv/cublas/lib:$nv/cu13/lib:${LD_LIBRARY_PATH:-}"
export PIXELART_SOURCE_DIR="$PWD"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
.gpu/pixelart_tests --gtest_output=json:"$OUT/tests.json" > "$OUT/tests.log" 2>&1; tests_rc=$?
tail -5 "$OUT/tests.log"
# compute-sanitizer: on PATH, or in a CUDA toolkit's bin/ (a machine with only PyTorch's wheels may
# have none: then the summary says so instead of an opaque exit code)
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null | head -1)
if [ -n "$sanitizer" ]; then
  "$sanitizer" --tool memcheck .gpu/pixelart_tests --gtest_filter='*Cuda*:*cuda*:*Parity*' > "$OUT/memcheck.log" 2>&1
  memcheck_rc=$?
else
  echo "compute-sanitizer not found on this machine: memcheck skipped" > "$OUT/memcheck.log"
  memcheck_rc=skipped
fi
.gpu/pixelart_bench --benchmark_filter='cuda/' --benchmark_out="$OUT/bench.json" --benchmark_out_format=json \
  > "$OUT/bench.log" 2>&1; bench_rc=$?
python3 tools/torch_peer.py "$OUT/torch.json" > "$OUT/torch.log" 2>&1; torch_rc=$?
echo "== summary"
echo "tests rc=$tests_rc: $(grep -E '^\[  (PASSED|FAILED) ' "$OUT/tests.log" | tr '\n' ' ')"
echo "memcheck rc=$memcheck_rc: $(grep -E 'ERROR SUMMARY|not found' "$OUT/memcheck.log" | tail -1)"
echo "bench rc=$bench_rc, torch rc=$torch_rc"
grep -E 'restorer_|upscaler_' "$OUT/bench.log"
cat "$OUT/torch.log"
