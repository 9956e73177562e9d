#!/usr/bin/env bash
# The GPU check of issue 20, in one run of well under 10 minutes on a CUDA machine that has no JDK and no Maven: the
# working tree plus the carry that bench/gpu/build-carry.sh builds (default .gpu-carry at the repository root;
# JSWIFT_CARRY overrides). PyTorch (with transformers and PEFT) is used for the peer benchmarks when python3 has it.
#   bench/gpu/check.sh OUT_DIR
# Steps (each bounded by `timeout`, each logged in OUT_DIR/STATUS as ok / FAILED / DIFFERS / skipped with the reason):
#   env          jswift env with the carried runtime (lists the CUDA devices or says why not)
#   cpu-smoke    logits --device cpu on a test fixture: the carried runtime runs jswift
#   cuda-tests   backends/cuda's own tests: GPU-only ones (cuBLAS, flash attention, AdamW vs the cpu) skip without a GPU
#   conformance  the backend conformance suite on cuda:0 against the cpu (CudaConformanceTest)
#   end-to-end   DeviceEndToEndTest on cuda:0: logits on the tiny checkpoints, one SGD step, one LoRA step and
#                greedy generation, each equal to the cpu's
#   sft-infer    the CLI as a user runs it: a tiny LoRA sft then infer with the adapter, on cuda:0 and on the cpu;
#                losses compared, replies compared
#   bench-*      GpuBench (jswift) and torch_bench.py (PyTorch) on the same GPU: GEMM, attention, copy bandwidth,
#                decode, LoRA SFT steps (tok/s and peak GPU memory); then OUT_DIR/summary.md side by side
#   bench-nf4    issue 21: the Llama-3.2-1B-shaped model exported to bnb NF4 (jswift export, double quant, bf16 compute)
#                and decoded beside its bf16 source on the GPU (the device's 4-bit GEMV), goal >= 2.5x tok/s
# Without a usable CUDA device the device steps are skipped with the backend's one-line reason (a rehearsal).
# JSWIFT_CHECK_DEVICE=opencl:0 JSWIFT_BENCH_SMALL=1 rehearses the device steps on PoCL (small benchmark shapes).
# JSWIFT_CHECK_BUDGET (seconds, default 480) bounds the whole run: every command's timeout is cut to what is left, and a
# step with too little left is skipped (the correctness steps come first, the benchmarks last);
# JSWIFT_JUNIT_TIMEOUT (default 240) bounds each test step (PoCL on a small CPU needs more for the conformance suite).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(mkdir -p "${1:?usage: bench/gpu/check.sh OUT_DIR}" && cd "$1" && pwd)"
CARRY="${JSWIFT_CARRY:-$ROOT/.gpu-carry}"
DEVICE="${JSWIFT_CHECK_DEVICE:-cuda:0}"
BUDGET="${JSWIFT_CHECK_BUDGET:-480}"
SMALL="${JSWIFT_BENCH_SMALL:-0}"
JUNIT_TIMEOUT="${JSWIFT_JUNIT_TIMEOUT:-240}"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/jswift-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)
: > "$OUT/STATUS"

log() { echo "check: $*" | tee -a "$OUT/check.log"; }
status() { printf '%-13s %s\n' "$1" "$2" | tee -a "$OUT/STATUS"; }
# in_budget STEP NEEDED_S: whether STEP may start (at least NEEDED_S seconds of the budget left); logs the skip otherwise
in_budget() {
  local left=$(( BUDGET - ($(date +%s) - START) ))
  [ "$left" -ge "$2" ] && return 0
  status "$1" "skipped: ${left}s of the ${BUDGET}s budget left, the step needs ${2}s"
  return 1
}
# cap S: S seconds, or what is left of the budget when that is less (every command's timeout: the run ends in time)
cap() {
  local left=$(( BUDGET - ($(date +%s) - START) ))
  [ "$left" -lt 1 ] && left=1
  echo $(( $1 < left ? $1 : left ))
}

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
JSWIFT=("$JAVA" "${FLAGS[@]}" -Xmx4g -jar "$CARRY/jswift-cli.jar")
TESTCP="$CARRY/jswift-cli.jar:$(ls "$CARRY"/test/*.jar | grep -v console-standalone | tr '\n' ':')$ROOT/models/src/test/resources"
CONSOLE="$(ls "$CARRY"/test/junit-platform-console-standalone-*.jar)"

# junit NAME DIR JVM_PROPS... -- SELECTORS...: the console launcher, reports under OUT/NAME
junit() {
  local name="$1" cwd="$2"; shift 2
  local props=()
  while [ "$1" != "--" ]; do props+=("$1"); shift; done
  shift
  (cd "$cwd" && timeout "$(cap "$JUNIT_TIMEOUT")" "$JAVA" "${FLAGS[@]}" -Xmx8g "${props[@]}" -jar "$CONSOLE" execute --class-path "$TESTCP" \
      --reports-dir "$OUT/$name" --disable-banner --details=summary "$@") > "$OUT/$name.log" 2>&1
}
# counts NAME: "N successful, N skipped, N failed, N containers aborted" from a console launcher log (a class whose
# @BeforeAll assumption fails, e.g. CudaDeviceTest without a GPU, counts as an aborted container, not as skipped tests)
counts() {
  grep -E '^\[ +[0-9]+ (tests (successful|skipped|failed)|containers aborted) +\]' "$OUT/$1.log" | tr -d '[]' | tr -s ' ' \
    | sed 's/^ //; s/ $//; s/ tests / /' | paste -sd, - | sed 's/,/, /g'
}
junit_step() { # junit_step NAME DIR PROPS... -- SELECTORS...
  local name="$1" rc
  local t0=$(date +%s)
  junit "$@"; rc=$?
  if [ "$rc" = 0 ]; then status "$name" "ok ($(counts "$name"))"
  elif [ "$rc" = 124 ]; then status "$name" "FAILED: timed out after $(( $(date +%s) - t0 ))s (JSWIFT_JUNIT_TIMEOUT, JSWIFT_CHECK_BUDGET; reports so far in $name/)"
  else status "$name" "FAILED ($(counts "$name"); see $name.log)"; fi
}

# peak_during FILE CMD...: runs CMD while sampling the GPU's used memory (nvidia-smi, every 0.2 s); FILE gets the peak
# in MiB above what was used before CMD started (nothing where nvidia-smi is missing)
gpu_mem() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "${DEVICE#*:}" 2> /dev/null | head -1; }
peak_during() {
  local file="$1"; shift
  rm -f "$file"
  local base sampler rc
  base="$(gpu_mem)"
  if [ -n "$base" ]; then
    ( peak=0; while :; do m="$(gpu_mem)"; if [ -n "$m" ] && [ "$m" -gt "$peak" ]; then peak=$m; echo $((peak - base)) > "$file"; fi; sleep 0.2; done ) &
    sampler=$!
  fi
  "$@"; rc=$?
  [ -n "${sampler:-}" ] && { kill "$sampler"; wait "$sampler" 2> /dev/null; }
  return $rc
}

log "carry $(head -1 "$CARRY/MANIFEST"), runtime $("$JAVA" -version 2>&1 | head -1), device $DEVICE, budget ${BUDGET}s"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/nvidia-smi.txt" 2>&1
if timeout 60 "${JSWIFT[@]}" env > "$OUT/env.txt" 2>&1; then status env ok; else status env FAILED; fi
cat "$OUT/env.txt"
TYPE="${DEVICE%%:*}"
DEV_LINE="$(grep "^$TYPE: " "$OUT/env.txt" || echo "$TYPE: unavailable: the $TYPE backend is not in the jar")"
DEV_OK=0
[[ "$DEV_LINE" == "$TYPE: available"* ]] && DEV_OK=1
REASON="$TYPE ${DEV_LINE#$TYPE: }"

FIXTURES="$ROOT/models/src/test/resources/models"
if timeout 120 "${JSWIFT[@]}" logits --model "$FIXTURES/qwen3-f32" --input_ids 1,5,9,14 --device cpu --output "$OUT/logits-cpu.safetensors" \
    > "$OUT/cpu-smoke.log" 2>&1; then status cpu-smoke ok; else status cpu-smoke FAILED; fi

# backends/cuda's own tests always run: on a CPU machine they check the unavailable paths and the PTX build
# (on a usable CUDA device they must not skip: -Djswift.test.device.required=true)
CUDA_REQ=(-Djswift.test.device=cuda:0)
[ "$TYPE" = cuda ] && [ "$DEV_OK" = 1 ] && CUDA_REQ+=(-Djswift.test.device.required=true)
junit_step cuda-tests "$ROOT/backends/cuda" "${CUDA_REQ[@]}" -- --select-package io.jswift.backend.cuda --exclude-classname '.*ConformanceTest'

# sft_infer DEV: a LoRA sft of the tiny chat model on DEV, then infer with its adapter; OUT/sft-DEV/, OUT/infer-DEV.txt
TINY="$WORK/tiny-chat"
mkdir -p "$TINY" && cp "$FIXTURES/llama-f32/config.json" "$FIXTURES/llama-f32/model.safetensors" "$ROOT"/bench/gpu/tiny-chat/tokenizer*.json "$TINY/"
sft_infer() {
  local dev="$1" tag="${1%%:*}"
  timeout "$(cap 150)" "${JSWIFT[@]}" sft --model "$TINY" --dataset "$ROOT/bench/gpu/tiny-chat/data.jsonl" --device "$dev" --train_type lora \
      --lora_rank 4 --learning_rate 5e-3 --max_steps 8 --save_steps 8 --logging_steps 1 --per_device_train_batch_size 2 --seed 3 \
      --output_dir "$OUT/sft-$tag" > "$OUT/sft-$tag.log" 2>&1 || return 1
  local ckpt
  ckpt="$(ls -d "$OUT/sft-$tag"/*/checkpoint-8 | head -1)"
  timeout "$(cap 90)" "${JSWIFT[@]}" infer --model "$TINY" --adapters "$ckpt" --prompt "who are you?" --max_new_tokens 12 --temperature 0 \
      --device "$dev" > "$OUT/infer-$tag.txt" 2> "$OUT/infer-$tag.log"
}
losses() { grep -ho '"loss": *[-0-9.eE]*' "$OUT/sft-$1"/*/logging.jsonl | sed 's/.*: *//' | paste -sd' ' -; }

if [ "$DEV_OK" = 1 ]; then
  REQ=(-Djswift.test.device="$DEVICE" -Djswift.test.device.required=true)
  CONF_CLASS=io.jswift.backend.cuda.CudaConformanceTest
  [ "$TYPE" = opencl ] && CONF_CLASS=io.jswift.backend.opencl.OpenClConformanceTest
  in_budget conformance 60 && junit_step conformance "$ROOT" "${REQ[@]}" -- --select-class "$CONF_CLASS"
  in_budget end-to-end 45 && junit_step end-to-end "$ROOT/cli" "${REQ[@]}" -- --select-class io.jswift.cli.DeviceEndToEndTest

  if in_budget sft-infer 45; then
    if sft_infer cpu && sft_infer "$DEVICE"; then
      L_CPU="$(losses cpu)" L_DEV="$(losses "$TYPE")"
      # f32 weights on both: every logged loss within 1e-3 relative of the cpu's
      if awk -v a="$L_CPU" -v b="$L_DEV" 'BEGIN { n = split(a, x, " "); m = split(b, y, " "); if (n != m || n == 0) exit 1;
            for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 1e-3 * (x[i] < 0 ? -x[i] : x[i]) + 1e-5) exit 1 } }'; then
        if cmp -s "$OUT/infer-cpu.txt" "$OUT/infer-$TYPE.txt"; then
          status sft-infer "ok (8 losses = cpu's, $(echo "$L_DEV" | awk '{ print $1 " -> " $NF }'); reply '$(head -c 60 "$OUT/infer-$TYPE.txt" | tr '\n' ' ')' = cpu's)"
        else
          status sft-infer "DIFFERS: losses = cpu but the replies differ (infer-cpu.txt vs infer-$TYPE.txt)"
        fi
      else
        status sft-infer "FAILED: losses $DEVICE [$L_DEV] vs cpu [$L_CPU]"
      fi
    else
      status sft-infer "FAILED (see sft-*.log, infer-*.log)"
    fi
  fi

  # ---------------------------------------------------------------- benchmarks, jswift and PyTorch on the same GPU
  HAVE_TORCH=0
  "$PY" -c "import torch, transformers, peft; assert torch.cuda.is_available()" > /dev/null 2>&1 && HAVE_TORCH=1
  # bench-shaped checkpoints with random bf16 weights (Qwen2.5-0.5B's and Llama-3.2-1B's shapes), kept under TMPDIR
  MODELS=()
  if [ "$HAVE_TORCH" = 1 ] && [ "$SMALL" != 1 ]; then
    for shape in qwen2.5-0.5b llama-3.2-1b; do
      m="${TMPDIR:-/tmp}/jswift-bench-$shape"
      [ -f "$m/config.json" ] || timeout "$(cap 120)" "$PY" "$ROOT/bench/gpu/torch_bench.py" --make-model "$m" "$shape" >> "$OUT/bench.log" 2>&1
      [ -f "$m/config.json" ] && MODELS+=("$m")
    done
  fi
  DECODE_MODEL=("${MODELS[@]:0:1}")
  if in_budget bench-jswift 60; then
    if timeout "$(cap 180)" "$JAVA" "${FLAGS[@]}" -Xmx8g -Djswift.bench.small="$SMALL" -cp "$CARRY/jswift-cli.jar:$CARRY/jswift-bench-gpu.jar" \
        io.jswift.bench.GpuBench "$DEVICE" "$OUT" "${DECODE_MODEL[@]}" >> "$OUT/bench.log" 2>&1; then
      status bench-jswift ok; else status bench-jswift "FAILED (see bench.log)"; fi
  fi
  if [ "$HAVE_TORCH" = 0 ]; then
    status bench-torch "skipped: $PY has no CUDA PyTorch with transformers and peft"
  elif in_budget bench-torch 45; then
    if timeout "$(cap 150)" "$PY" "$ROOT/bench/gpu/torch_bench.py" "$OUT" "${DECODE_MODEL[@]}" >> "$OUT/bench.log" 2>&1; then
      status bench-torch ok; else status bench-torch "FAILED (see bench.log)"; fi
  fi

  # LoRA SFT steps: the same pre-tokenized rows, rank 16 on all linear layers, AdamW, bf16 weights; tok/s from each
  # side's own step timing, peak GPU memory sampled with nvidia-smi the same way for both (CUDA context included)
  BATCH=4 SEQ=512 STEPS=10
  ROWS="$WORK/rows.jsonl"
  awk -v n=$((BATCH * STEPS)) -v len=$SEQ 'BEGIN { srand(7); for (r = 0; r < n; r++) { s = "{\"input_ids\": [";
      for (i = 0; i < len; i++) s = s (i ? ", " : "") int(rand() * 32000); print s "]}" } }' > "$ROWS"
  for m in "${MODELS[@]}"; do
    name="$(basename "$m")"; name="${name#jswift-bench-}"
    if in_budget "lora-$name" 45; then
      if peak_during "$WORK/peak" timeout "$(cap 150)" "${JSWIFT[@]}" sft --model "$m" --dataset "$ROWS" --device "$DEVICE" --train_type lora \
          --lora_rank 16 --lora_alpha 32 --target_modules all-linear --torch_dtype bfloat16 --per_device_train_batch_size $BATCH \
          --max_length $SEQ --max_steps $STEPS --save_steps 0 --logging_steps 1 --output_dir "$WORK/lora-$name" > "$OUT/lora-$name-jswift.log" 2>&1; then
        # steps 3.. (the first two compile kernels and fill the allocator)
        tps=$(grep -ho '"tokens_per_s": *[0-9.eE+]*' "$WORK/lora-$name"/*/logging.jsonl | sed 's/.*: *//' | awk 'NR > 2 { s += $1; n++ } END { if (n) printf "%.1f", s / n }')
        echo "{\"bench\": \"lora-sft\", \"model\": \"$name\", \"batch\": $BATCH, \"seq\": $SEQ, \"tok_s\": ${tps:-0}, \"peak_mib\": $(cat "$WORK/peak" 2>/dev/null || echo null)}" \
            >> "$OUT/jswift_bench.jsonl"
        status "lora-$name" "ok (jswift ${tps:-?} tok/s)"
      else
        status "lora-$name" "FAILED (see lora-$name-jswift.log)"
      fi
    fi
    if in_budget "lora-$name-pt" 30; then
      if peak_during "$WORK/peak-pt" timeout "$(cap 120)" "$PY" "$ROOT/bench/gpu/torch_bench.py" --lora-sft "$OUT" "$m" "$ROWS" $BATCH $STEPS \
          > "$OUT/lora-$name-torch.log" 2>&1; then
        echo "{\"bench\": \"lora-sft-memory\", \"model\": \"$name\", \"peak_mib\": $(cat "$WORK/peak-pt" 2>/dev/null || echo null)}" >> "$OUT/torch_bench.jsonl"
        status "lora-$name-pt" ok
      else
        status "lora-$name-pt" "FAILED (see lora-$name-torch.log)"
      fi
    fi
  done

  # NF4 vs bf16 decode (issue 21) on the Llama-3.2-1B shape: export on the host, then both decoded in one JVM
  LLAMA="${TMPDIR:-/tmp}/jswift-bench-llama-3.2-1b"
  if [ ! -f "$LLAMA/config.json" ]; then
    status bench-nf4 "skipped: no Llama-3.2-1B-shaped checkpoint (written by torch_bench.py --make-model)"
  elif in_budget bench-nf4 60; then
    if [ -f "$LLAMA-nf4/config.json" ] || timeout "$(cap 90)" "${JSWIFT[@]}" export --model "$LLAMA" --quant_method bnb --quant_bits 4 \
        --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true --bnb_4bit_compute_dtype bfloat16 --output_dir "$LLAMA-nf4" \
        > "$OUT/nf4-export.log" 2>&1; then
      if timeout "$(cap 120)" "$JAVA" "${FLAGS[@]}" -Xmx8g -Djswift.bench.decodeOnly=1 -cp "$CARRY/jswift-cli.jar:$CARRY/jswift-bench-gpu.jar" \
          io.jswift.bench.GpuBench "$DEVICE" "$OUT" "$LLAMA" "$LLAMA-nf4" >> "$OUT/bench.log" 2>&1; then
        status bench-nf4 ok; else status bench-nf4 "FAILED (see bench.log)"; fi
    else
      rm -rf "$LLAMA-nf4"
      status bench-nf4 "FAILED: export to NF4 (see nf4-export.log)"
    fi
  fi
  "$PY" "$ROOT/bench/gpu/summary.py" "$OUT" >> "$OUT/bench.log" 2>&1 || status summary "FAILED (see bench.log)"
else
  for s in conformance end-to-end sft-infer bench; do status "$s" "skipped: $REASON"; done
fi
log "done in $(( $(date +%s) - START )) s; results in $OUT"
echo "==== STATUS"
cat "$OUT/STATUS"
[ -f "$OUT/summary.md" ] && { echo "==== summary.md"; cat "$OUT/summary.md"; }
! grep -q FAILED "$OUT/STATUS"
