#!/usr/bin/env bash
# The GPU check of issue 20, in one run of under 10 minutes on a CUDA machine that has no JDK and no Maven: the
# working tree plus the carry that bench/gpu/build-carry.sh builds (default .gpu-carry at the repository root;
# JSWIFT_CARRY overrides). PyTorch (with transformers) is used for the peer benchmarks when python3 has it.
#   bench/gpu/check.sh OUT_DIR
# Steps (each bounded by `timeout`, each logged in OUT_DIR/STATUS as ok / FAILED / skipped with the reason):
#   env          jswift env with the carried runtime (lists the CUDA devices or says why not)
#   cpu-smoke    logits --device cpu on a test fixture: the carried runtime runs jswift
#   cuda-tests   backends/cuda's tests: GPU-only ones (cuBLAS, flash attention, AdamW vs the cpu) skip without a GPU
#   conformance  the backend conformance suite on cuda:0 (when the carry has its test-jar)
#   end-to-end   DeviceEndToEndTest on cuda:0: logits on the tiny checkpoints, one SGD step, one LoRA step and
#                greedy generation, each equal to the cpu's
#   bench        GpuBench (jswift) and torch_bench.py (PyTorch) side by side, then summary.md
# Without a usable CUDA device the cuda steps are skipped with the backend's one-line reason (a rehearsal).
# JSWIFT_CHECK_DEVICE=opencl:0 JSWIFT_BENCH_SMALL=1 rehearses the device steps on PoCL (small benchmark shapes).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(mkdir -p "${1:?usage: bench/gpu/check.sh OUT_DIR}" && cd "$1" && pwd)"
CARRY="${JSWIFT_CARRY:-$ROOT/.gpu-carry}"
DEVICE="${JSWIFT_CHECK_DEVICE:-cuda:0}"
PY="${PYTHON:-python3}"
START=$(date +%s)
: > "$OUT/STATUS"

log() { echo "check: $*" | tee -a "$OUT/check.log"; }
status() { printf '%-12s %s\n' "$1" "$2" | tee -a "$OUT/STATUS"; }

[ -f "$CARRY/jswift-cli.jar" ] || { echo "check: no carry at $CARRY (build it with bench/gpu/build-carry.sh)" >&2; exit 2; }
RT="${TMPDIR:-/tmp}/jswift-runtime-$(cksum < "$CARRY/runtime.tgz" | cut -d' ' -f1)"
if [ ! -x "$RT/runtime/bin/java" ]; then
  mkdir -p "$RT" && tar -C "$RT" -xzf "$CARRY/runtime.tgz" || { echo "check: cannot unpack $CARRY/runtime.tgz" >&2; exit 2; }
fi
JAVA="$RT/runtime/bin/java"
# the launcher's flags (./jswift), libjsig for the same reason (PoCL's signal handlers)
export LD_PRELOAD="$RT/runtime/lib/server/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
MEM_KB=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss4m
       -XX:MaxDirectMemorySize=$((MEM_KB * 8 / 10 / 1024))m)
JSWIFT=("$JAVA" "${FLAGS[@]}" -Xmx2g -jar "$CARRY/jswift-cli.jar")
TESTCP="$CARRY/jswift-cli.jar:$(ls "$CARRY"/test/*.jar | grep -v console-standalone | tr '\n' ':')$ROOT/models/src/test/resources"
CONSOLE="$(ls "$CARRY"/test/junit-platform-console-standalone-*.jar)"

# junit NAME DIR JVM_PROPS... -- SELECTORS...: the console launcher, reports under OUT/NAME
junit() {
  local name="$1" cwd="$2"; shift 2
  local props=()
  while [ "$1" != "--" ]; do props+=("$1"); shift; done
  shift
  (cd "$cwd" && timeout 240 "$JAVA" "${FLAGS[@]}" -Xmx8g "${props[@]}" -jar "$CONSOLE" execute --class-path "$TESTCP" \
      --reports-dir "$OUT/$name" --disable-banner --details=summary "$@") > "$OUT/$name.log" 2>&1
}

log "carry $(head -1 "$CARRY/MANIFEST"), runtime $("$JAVA" -version 2>&1 | head -1)"
if "${JSWIFT[@]}" env > "$OUT/env.txt" 2>&1; then status env ok; else status env FAILED; fi
cat "$OUT/env.txt"
TYPE="${DEVICE%%:*}"
DEV_LINE="$(grep "^$TYPE: " "$OUT/env.txt" || echo "$TYPE: unavailable: the $TYPE backend is not in the jar")"
CUDA_OK=0
[[ "$DEV_LINE" == "$TYPE: available"* ]] && CUDA_OK=1
REASON="$TYPE ${DEV_LINE#$TYPE: }"

FIXTURE="$ROOT/models/src/test/resources/models/qwen3-f32"
if timeout 120 "${JSWIFT[@]}" logits --model "$FIXTURE" --input_ids 1,5,9,14 --device cpu --output "$OUT/logits-cpu.safetensors" \
    > "$OUT/cpu-smoke.log" 2>&1; then status cpu-smoke ok; else status cpu-smoke FAILED; fi

# backends/cuda's own tests always run: on a CPU machine they check the unavailable paths and the PTX build
if junit cuda-tests "$ROOT/backends/cuda" -Djswift.test.device="$DEVICE" -- --select-package io.jswift.backend.cuda; then
  status cuda-tests "ok ($(grep -E 'tests (successful|skipped)|containers aborted' "$OUT/cuda-tests.log" | tr -s ' []' | paste -sd, -))"
else
  status cuda-tests FAILED
fi

if [ "$CUDA_OK" = 1 ]; then
  REQ=(-Djswift.test.device="$DEVICE" -Djswift.test.device.required=true -Djswift.conformance.device="$DEVICE")
  if ls "$CARRY"/test/*conformance*.jar > /dev/null 2>&1; then
    if junit conformance "$ROOT" "${REQ[@]}" -- --scan-class-path "$(ls "$CARRY"/test/*conformance*.jar | head -1)"; then
      status conformance ok; else status conformance FAILED; fi
  else
    status conformance "skipped: the carry has no conformance test-jar"
  fi
  if junit end-to-end "$ROOT/cli" "${REQ[@]}" -- --select-class io.jswift.cli.DeviceEndToEndTest; then
    status end-to-end ok; else status end-to-end FAILED; fi

  MODEL="${TMPDIR:-/tmp}/jswift-qwen05b-bf16"
  HAVE_TORCH=0
  "$PY" -c "import torch, transformers; assert torch.cuda.is_available()" 2>/dev/null && HAVE_TORCH=1
  [ "$HAVE_TORCH" = 1 ] && [ ! -f "$MODEL/config.json" ] && timeout 120 "$PY" "$ROOT/bench/gpu/torch_bench.py" --make-model "$MODEL" >> "$OUT/bench.log" 2>&1
  MODEL_ARG=()
  [ -f "$MODEL/config.json" ] && MODEL_ARG=("$MODEL")
  if timeout 180 "$JAVA" "${FLAGS[@]}" -Xmx4g -Djswift.bench.small="${JSWIFT_BENCH_SMALL:-0}" -cp "$CARRY/jswift-cli.jar:$CARRY/jswift-bench-gpu.jar" io.jswift.bench.GpuBench \
      "$DEVICE" "$OUT" "${MODEL_ARG[@]}" >> "$OUT/bench.log" 2>&1; then status bench-jswift ok; else status bench-jswift FAILED; fi
  if [ "$HAVE_TORCH" = 1 ]; then
    if timeout 150 "$PY" "$ROOT/bench/gpu/torch_bench.py" "$OUT" "${MODEL_ARG[@]}" >> "$OUT/bench.log" 2>&1; then
      status bench-torch ok; else status bench-torch FAILED; fi
  else
    status bench-torch "skipped: $PY has no CUDA PyTorch with transformers"
  fi
  "$PY" "$ROOT/bench/gpu/summary.py" "$OUT" >> "$OUT/bench.log" 2>&1 || true
else
  for s in conformance end-to-end bench; do status "$s" "skipped: $REASON"; done
fi
log "done in $(( $(date +%s) - START )) s; results in $OUT"
cat "$OUT/STATUS"
! grep -q FAILED "$OUT/STATUS"
