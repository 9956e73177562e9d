#!/usr/bin/env bash
# QLoRA benchmarks of issue 21, through the CLI as a user runs them (quantized at load from a memory-mapped bf16
# checkpoint, jswift sft, LoRA r=8 alpha 32 on all linear layers, AdamW, batch 1, pre-tokenized rows of random ids).
#
#   bench/qlora_bench.sh lora05b [STEPS=4] [SEQ=512]
#       Qwen2.5-0.5B-shaped random model (bf16 checkpoint): LoRA on the bf16 base vs QLoRA on an NF4 base (double
#       quant, bf16 compute), same data, back to back; prints the last step's tok/s and the peak RSS of each.
#   bench/qlora_bench.sh rss7b [LAYERS_A=2] [LAYERS_B=4] [SEQ=512]
#       Qwen2.5-7B-shaped random models with LAYERS_A and LAYERS_B decoder layers (the full model has 28; writing it
#       would need ~30 GB of f32 in new-model), QLoRA with gradient checkpointing, one step each: peak RSS of each and
#       the linear estimate for 28 layers, RSS(A) + (RSS(B) - RSS(A)) / (B - A) * (28 - A). With EXPORTED=1 each model is
#       first exported to bnb NF4 (jswift export, double quant, bf16 compute) and the step loads that directory as it is
#       instead of quantizing at load. Each run also writes WORK/<label>.log.rss, the RSS split (anonymous / file-backed)
#       sampled every second (bench/rss_split.sh), and prints the split at the sampled peak.
#   bench/qlora_bench.sh rss7b-full [LAYERS=28] [SEQ=512]
#       The same QLoRA step (quantized at load; EXPORTED=1 as above) on one Qwen2.5-7B-shaped random model with LAYERS
#       decoder layers (28 = the real model), measured instead of extrapolated. The bf16 checkpoint (~15 GB at 28
#       layers) is written one shard per layer by bench/make_sharded_random_model.py (/tmp/hf/bin/python: torch +
#       safetensors; PYTHON overrides), which holds one tensor at a time; delete WORK/qwen7b-LAYERS-layers-sharded after.
#   bench/qlora_bench.sh decode1b
#       Decode of a Llama-3.2-1B-shaped random model (bf16 checkpoint) vs the same model exported to bnb NF4 (double
#       quant, bf16 compute) by jswift export, back to back, each through io.jswift.bench.InferenceBench (weights as
#       stored, 128-token prompt, 32 greedy tokens with the KV cache, best of 3): prefill and decode tok/s, peak RSS.
#       Needs the bench jar (mvn -q -pl bench -am package -DskipTests).
#
# SMOKE=1 shrinks every shape (hidden 256, vocab 4096) to check the pipeline in seconds. WORK (default
# /tmp/jswift-qlora) holds the models and runs; JSWIFT_JAVA_OPTS passes JVM options as for ./jswift.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${WORK:-/tmp/jswift-qlora}"
JSWIFT="$ROOT/jswift"
mkdir -p "$WORK"

# config.json of a Qwen2 model: hidden, intermediate, layers, heads, kv heads, vocab, tied
config() {
  local h=$1 i=$2 l=$3 q=$4 kv=$5 v=$6 tied=$7
  if [ "${SMOKE:-0}" = 1 ]; then h=256; i=768; q=4; kv=2; v=4096; fi
  cat <<EOF
{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": $h, "intermediate_size": $i,
 "num_hidden_layers": $l, "num_attention_heads": $q, "num_key_value_heads": $kv, "vocab_size": $v,
 "max_position_embeddings": 32768, "rope_theta": 1000000.0, "rms_norm_eps": 1e-06, "hidden_act": "silu",
 "tie_word_embeddings": $tied, "torch_dtype": "bfloat16", "initializer_range": 0.02, "bos_token_id": 151643,
 "eos_token_id": 151643}
EOF
}

# config.json of a Llama model: hidden, intermediate, layers, heads, kv heads, vocab (tied embeddings, Llama 3.2's rope)
config_llama() {
  local h=$1 i=$2 l=$3 q=$4 kv=$5 v=$6
  if [ "${SMOKE:-0}" = 1 ]; then h=256; i=768; q=4; kv=2; v=4096; fi
  cat <<EOF
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": $h, "intermediate_size": $i,
 "num_hidden_layers": $l, "num_attention_heads": $q, "num_key_value_heads": $kv, "head_dim": $((h / q)), "vocab_size": $v,
 "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-05, "hidden_act": "silu",
 "tie_word_embeddings": true, "torch_dtype": "bfloat16", "initializer_range": 0.02, "bos_token_id": 128000,
 "eos_token_id": 128001, "attention_bias": false, "mlp_bias": false}
EOF
}

# a random bf16 model directory from a config (jswift new-model: HF init, safetensors in the config's dtype). new-model
# holds the model in f32 before writing it: 2 GB at the 0.5B shape, beyond the launcher's default heap, hence NEW_MODEL_OPTS.
NEW_MODEL_OPTS="${NEW_MODEL_OPTS:--Xmx12g}"
model() {
  local dir=$1
  shift
  if [ ! -f "$dir/model.safetensors" ]; then
    mkdir -p "$dir"
    config "$@" >"$dir.config.json"
    JSWIFT_JAVA_OPTS="$NEW_MODEL_OPTS" "$JSWIFT" new-model --config "$dir.config.json" --output_dir "$dir" >/dev/null
  fi
}

# rows of SEQ random token ids below VOCAB
data() {
  local file=$1 seq=$2 vocab=$3 rows=$4
  python3 -c "import random, json; random.seed(1); print('\n'.join(json.dumps({'input_ids': [random.randrange($vocab) for _ in range($seq)]}) for _ in range($rows)))" >"$file"
}

# one sft run under /usr/bin/time -v: prints "<label>: <last step line> | peak RSS <GiB>"
run() {
  local label=$1
  shift
  local log="$WORK/$label.log"
  rm -rf "$WORK/out-$label"
  "$ROOT/bench/rss_split.sh" "$WORK/$label.inner.log" -- /usr/bin/time -v "$JSWIFT" sft --dataset "$WORK/data.jsonl" --output_dir "$WORK/out-$label" --train_type lora --lora_rank 8 \
    --lora_alpha 32 --save_steps 0 --logging_steps 1 "$@" >"$WORK/$label.split" 2>&1 || { tail -n 30 "$WORK/$label.inner.log"; exit 1; }
  mv "$WORK/$label.inner.log" "$log"
  mv "$WORK/$label.inner.log.rss" "$log.rss"
  local kb
  kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$log")
  printf '%s: %s | peak RSS %.2f GiB\n' "$label" "$(grep -E '^step [0-9]+/' "$log" | tail -n 1)" "$(echo "$kb / 1048576" | bc -l)"
  echo "$kb" >"$WORK/$label.rss"
  sed 's/^/  /' "$WORK/$label.split"
}

vocab() { if [ "${SMOKE:-0}" = 1 ]; then echo 4096; else echo "$1"; fi; }

case "${1:-}" in
  lora05b)
    steps=${2:-4} seq=${3:-512}
    model "$WORK/qwen05b-bf16" 896 4864 24 14 2 151936 true
    data "$WORK/data.jsonl" "$seq" "$(vocab 151936)" $((steps + 1))
    common=(--model "$WORK/qwen05b-bf16" --max_steps "$steps" --max_length "$seq" --torch_dtype bfloat16)
    run lora-bf16-base "${common[@]}"
    run qlora-nf4-base "${common[@]}" --quant_method bnb --quant_bits 4 --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true
    ;;
  rss7b)
    a=${2:-2} b=${3:-4} seq=${4:-512}
    data "$WORK/data.jsonl" "$seq" "$(vocab 152064)" 2
    tag=qlora7b
    [ "${EXPORTED:-0}" = 1 ] && tag=qlora7b-exported
    for l in "$a" "$b"; do
      m="$WORK/qwen7b-$l-layers"
      model "$m" 3584 18944 "$l" 28 4 152064 false
      quant=(--quant_method bnb --quant_bits 4 --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true)
      if [ "${EXPORTED:-0}" = 1 ]; then
        if [ ! -f "$m-nf4/config.json" ]; then
          rm -rf "$m-nf4"
          "$JSWIFT" export --model "$m" "${quant[@]}" --bnb_4bit_compute_dtype bfloat16 --output_dir "$m-nf4" >/dev/null
        fi
        m="$m-nf4" quant=()
      fi
      run "$tag-$l-layers" --model "$m" --max_steps 1 --max_length "$seq" --torch_dtype bfloat16 --gradient_checkpointing true "${quant[@]}"
    done
    ra=$(cat "$WORK/$tag-$a-layers.rss") rb=$(cat "$WORK/$tag-$b-layers.rss")
    printf 'estimate for 28 layers: %.2f GiB peak RSS (%.3f GiB a layer)\n' \
      "$(echo "($ra + ($rb - $ra) / ($b - $a) * (28 - $a)) / 1048576" | bc -l)" "$(echo "($rb - $ra) / ($b - $a) / 1048576" | bc -l)"
    ;;
  rss7b-full)
    l=${2:-28} seq=${3:-512}
    data "$WORK/data.jsonl" "$seq" "$(vocab 152064)" 2
    m="$WORK/qwen7b-$l-layers-sharded"
    if [ ! -f "$m/model.safetensors.index.json" ]; then
      config 3584 18944 "$l" 28 4 152064 false >"$m.config.json"
      "${PYTHON:-/tmp/hf/bin/python}" "$ROOT/bench/make_sharded_random_model.py" "$m.config.json" "$m" >/dev/null
    fi
    quant=(--quant_method bnb --quant_bits 4 --bnb_4bit_quant_type nf4 --bnb_4bit_use_double_quant true)
    tag=qlora7b-full
    if [ "${EXPORTED:-0}" = 1 ]; then
      if [ ! -f "$m-nf4/config.json" ]; then
        rm -rf "$m-nf4"
        "$JSWIFT" export --model "$m" "${quant[@]}" --bnb_4bit_compute_dtype bfloat16 --output_dir "$m-nf4" >/dev/null
      fi
      m="$m-nf4" quant=() tag=qlora7b-full-exported
    fi
    run "$tag-$l-layers" --model "$m" --max_steps 1 --max_length "$seq" --torch_dtype bfloat16 --gradient_checkpointing true "${quant[@]}"
    ;;
  decode1b)
    dir="$WORK/llama1b-bf16"
    if [ ! -f "$dir/model.safetensors" ]; then
      mkdir -p "$dir"
      config_llama 2048 8192 16 32 8 128256 >"$dir.config.json"
      JSWIFT_JAVA_OPTS="$NEW_MODEL_OPTS" "$JSWIFT" new-model --config "$dir.config.json" --output_dir "$dir" >/dev/null
    fi
    if [ ! -f "$dir-nf4/model.safetensors" ]; then
      rm -rf "$dir-nf4"
      "$JSWIFT" export --model "$dir" --quant_method bnb --quant_bits 4 --bnb_4bit_quant_type nf4 \
        --bnb_4bit_use_double_quant true --bnb_4bit_compute_dtype bfloat16 --output_dir "$dir-nf4" >/dev/null
    fi
    JAVA="$("$ROOT/bin/find-java")/bin/java"
    for m in "$dir" "$dir-nf4"; do
      printf '%s: ' "$(basename "$m")"
      # shellcheck disable=SC2086
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
        ${JSWIFT_JAVA_OPTS:-} -cp "$ROOT/bench/target/benchmarks.jar" io.jswift.bench.InferenceBench "$m" 2>&1 | grep '^jswift'
    done
    ;;
  *)
    sed -n '2,27p' "$0"
    exit 2
    ;;
esac
