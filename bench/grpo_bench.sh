#!/usr/bin/env bash
# GRPO step benchmark of issue 23: jswift rlhf --rlhf_type grpo vs TRL 1.13's GRPOTrainer + PEFT on the CPU, same
# model, prompts and settings, back to back (LoRA r 8, alpha 32, dropout 0.05, all-linear; beta 0.04, loss grpo,
# num_iterations 1; temperature 0.9, top_k 50, top_p 0.9; AdamW lr 1e-4, betas 0.9 / 0.95, weight decay 0.1; f32;
# reward ms-swift's soft_overlong; one micro-batch of PROMPTS x GENERATIONS completions per optimizer step; gradient
# checkpointing on both sides unless CHECKPOINTING=false: TRL 1.13's GRPOConfig and ms-swift default it to true).
#
#   bench/grpo_bench.sh [STEPS=3] [PROMPTS=8] [GENERATIONS=8] [COMPLETION_TOKENS=128]
#
# The model is the Qwen2.5-0.5B-shaped random f32 model of bench/peers/make_qwen05b.py (WORK/qwen05b); LAYERS=N (< 24)
# uses a copy of that shape with N decoder layers and the same 151936-token vocabulary (WORK/qwen05b-Nl): the cheap
# way to a ratio, e.g. `LAYERS=4 bench/grpo_bench.sh 2` takes ~10 minutes for both sides on the idle 2-core machine.
# SMOKE=1 uses a 2-layer, hidden-64 Qwen2 with the same vocabulary and PROMPTS=2 GENERATIONS=4 COMPLETION_TOKENS=16,
# to check both pipelines in a minute or two. SIDES="jswift trl" (default) picks the sides to run.
# Prints, per step and per side: wall seconds and the split between generation (sampling + rewards), the reference's
# log-probs and the rest (training pass: policy forward + loss, backward, optimizer); then each side's peak RSS.
# jswift's step seconds are its logged tokens / tokens_per_s; its split comes from the profiling/generation_s,
# profiling/reference_s and profiling/policy_forward_s metrics of logging.jsonl (backward + optimizer = the rest);
# TRL's from timers wrapped around its trainer's methods (bench/peers/trl_grpo.py). WORK defaults to /tmp/jswift-grpo;
# PY (default /tmp/hf/bin/python) is the Python with torch, transformers, peft and trl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${WORK:-/tmp/jswift-grpo}"
PY="${PY:-/tmp/hf/bin/python}"
STEPS="${1:-3}" PROMPTS="${2:-8}" GENERATIONS="${3:-8}" COMPLETION="${4:-128}"
LAYERS="${LAYERS:-24}" CHECKPOINTING="${CHECKPOINTING:-true}" SIDES="${SIDES:-jswift trl}"
mkdir -p "$WORK"
if [ "${SMOKE:-0}" = 1 ]; then
  PROMPTS=2 GENERATIONS=4 COMPLETION=16
  MODEL="$WORK/qwen-smoke"
  [ -f "$MODEL/model.safetensors" ] || "$PY" -c "
import torch, sys
from transformers import Qwen2Config, Qwen2ForCausalLM
torch.manual_seed(0)
Qwen2ForCausalLM(Qwen2Config(vocab_size=151936, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, tie_word_embeddings=True, torch_dtype='float32')).save_pretrained(sys.argv[1])" "$MODEL"
elif [ "$LAYERS" = 24 ]; then
  MODEL="$WORK/qwen05b"
  [ -f "$MODEL/model.safetensors" ] || "$PY" "$ROOT/bench/peers/make_qwen05b.py" "$MODEL"
else
  MODEL="$WORK/qwen05b-${LAYERS}l"
  [ -f "$MODEL/model.safetensors" ] || "$PY" "$ROOT/bench/peers/make_qwen05b.py" "$MODEL" "$LAYERS"
fi
DATA="$WORK/prompts.jsonl"
"$PY" "$ROOT/bench/peers/make_grpo_data.py" "$MODEL" "$DATA" 64 60 >/dev/null
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

if [[ " $SIDES " == *" jswift "* ]]; then
echo "== jswift rlhf --rlhf_type grpo: $PROMPTS prompts x $GENERATIONS completions of <= $COMPLETION tokens, $STEPS steps, $(basename "$MODEL"), gradient checkpointing $CHECKPOINTING"
OUT="$WORK/out-jswift"
rm -rf "$OUT"
/usr/bin/time -v "$ROOT/jswift" rlhf --rlhf_type grpo --model "$MODEL" --dataset "$DATA" --output_dir "$OUT" \
  --num_generations "$GENERATIONS" --per_device_train_batch_size $((PROMPTS * GENERATIONS)) --max_completion_length "$COMPLETION" \
  --reward_funcs soft_overlong --soft_cache_length $((COMPLETION / 2)) --beta 0.04 --loss_type grpo --temperature 0.9 --top_k 50 --top_p 0.9 \
  --gradient_checkpointing "$CHECKPOINTING" --lora_rank 8 --lora_alpha 32 --lora_dropout 0.05 --learning_rate 1e-4 --max_steps "$STEPS" --logging_steps 1 --save_steps 0 \
  --log_completions true --seed 0 >"$WORK/jswift.log" 2>&1 || { tail -n 30 "$WORK/jswift.log"; exit 1; }
RUN="$(ls -d "$OUT"/*/ | head -n 1)"
"$PY" - "$RUN" <<'PYEOF'
import json, sys, pathlib
run = pathlib.Path(sys.argv[1])
tokens = {}
for line in open(run / "completions.jsonl"):
    r = json.loads(line)
    tokens[r["step"]] = tokens.get(r["step"], 0) + len(r["prompt_ids"]) + len(r["completion_ids"])
for line in open(run / "logging.jsonl"):
    r = json.loads(line)
    if "tokens_per_s" not in r:
        continue
    dt = tokens[r["step"]] / r["tokens_per_s"]
    gen, ref = r["profiling/generation_s"], r.get("profiling/reference_s", 0.0)
    fwd = r.get("profiling/policy_forward_s")
    rest = dt - gen - ref
    split = "" if fwd is None else f"  (policy forward + loss {fwd:.2f} s, backward + optimizer {rest - fwd:.2f} s)"
    print(f"step {r['step']}: {dt:.2f} s  generation {gen:.2f} s  reference log-probs {ref:.2f} s  training pass + optimizer {rest:.2f} s{split}")
PYEOF
awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "peak RSS %.2f GiB\n", $2 / 1048576}' "$WORK/jswift.log"
fi

if [[ " $SIDES " == *" trl "* ]]; then
echo "== TRL GRPOTrainer, same settings"
/usr/bin/time -v "$PY" "$ROOT/bench/peers/trl_grpo.py" "$MODEL" "$DATA" "$STEPS" "$PROMPTS" "$GENERATIONS" "$COMPLETION" "$CHECKPOINTING" >"$WORK/trl.log" 2>&1 \
  || { tail -n 30 "$WORK/trl.log"; exit 1; }
# the step lines may share a line with the progress bar
tr '\r' '\n' <"$WORK/trl.log" | grep -oE 'step [0-9]+: [0-9.]+ s .*optimizer -?[0-9.]+ s\)|^peak RSS .*' 
awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "peak RSS (time -v) %.2f GiB\n", $2 / 1048576}' "$WORK/trl.log"
fi
