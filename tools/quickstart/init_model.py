"""The bundled tiny chat model's architecture (Qwen2ForCausalLM, ~1 M parameters) with random initial weights,
written with transformers' save_pretrained; the weights are then trained by `jswift pt` (make_tiny_chat.sh).

Run: /tmp/hf/bin/python tools/quickstart/init_model.py TOKENIZER_DIR OUT_DIR
"""
import json
import shutil
import sys

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

tok_dir, out = sys.argv[1], sys.argv[2]
with open(f"{tok_dir}/tokenizer.json") as f:
    vocab = len(json.load(f)["model"]["vocab"])
vocab = (vocab + 63) // 64 * 64  # rows beyond the tokenizer's ids are never targets, so training drives them down
cfg = Qwen2Config(vocab_size=vocab, hidden_size=128, intermediate_size=384, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=1024, rope_theta=10000.0, rms_norm_eps=1e-6,
                  tie_word_embeddings=True, bos_token_id=0, eos_token_id=2, torch_dtype="float32")
torch.manual_seed(0)
Qwen2ForCausalLM(cfg).save_pretrained(out)
for f in ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]:
    shutil.copy(f"{tok_dir}/{f}", f"{out}/{f}")
print("wrote", out)
