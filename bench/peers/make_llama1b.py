"""A random-weight model of Llama-3.2-1B's shape in HF layout (bf16, tied embeddings, llama3 rope scaling),
for the inference benchmarks.

Run: /tmp/hf/bin/python bench/peers/make_llama1b.py OUT_DIR [LAYERS]
LAYERS (default 16, the real model's) makes a shallower model of the same layer shape, for smoke runs of the benchmarks.
"""
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

out = sys.argv[1]
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 16
cfg = LlamaConfig(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=layers, num_attention_heads=32,
                  num_key_value_heads=8, head_dim=64, max_position_embeddings=131072, rope_theta=500000.0, rms_norm_eps=1e-5,
                  rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                "original_max_position_embeddings": 8192},
                  tie_word_embeddings=True, bos_token_id=128000, eos_token_id=128001, torch_dtype="bfloat16")
torch.manual_seed(0)
model = LlamaForCausalLM(cfg).to(torch.bfloat16)
model.save_pretrained(out)
print("wrote", out)
