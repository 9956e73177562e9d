"""A random-weight model of Qwen2.5-0.5B's shape in HF layout (f32), for the training benchmarks.

Run: /tmp/hf/bin/python bench/peers/make_qwen05b.py OUT_DIR [LAYERS=24]
LAYERS < 24 keeps every other size (the 151936-token vocabulary included) and drops decoder layers: a cheaper model
whose step splits the same way per layer (the GRPO bench's LAYERS).
"""
import sys

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

out = sys.argv[1]
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 24
cfg = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=layers, num_attention_heads=14,
                  num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6,
                  tie_word_embeddings=True, torch_dtype="float32")
torch.manual_seed(0)
Qwen2ForCausalLM(cfg).save_pretrained(out)
print("wrote", out)
