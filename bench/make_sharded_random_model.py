"""Writes a random Qwen2/Llama-layout bf16 checkpoint of any size, one shard per decoder layer, for benchmarks.

    /tmp/hf/bin/python bench/make_sharded_random_model.py CONFIG.json OUT_DIR [SEED=0]

`jswift new-model` builds the whole model in memory (f32) before writing it, which does not fit for a 7B shape on
this machine (~30 GB). This script holds one tensor at a time: shard 1 = embed_tokens, shard 2..L+1 = one decoder
layer each, the last = the final norm (+ lm_head when not tied), plus model.safetensors.index.json as
transformers' save_pretrained writes it. Values follow transformers' _init_weights for these families: linear
weights and embeddings N(0, initializer_range), biases 0, RMSNorm weights 1 (bf16, as the config's torch_dtype).
Only the shapes and dtypes matter to the memory benchmark; the numbers are seeded so reruns write the same bytes.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file


def layer_shapes(c):
    h, i = c["hidden_size"], c["intermediate_size"]
    q, kv = c["num_attention_heads"], c["num_key_value_heads"]
    d = c.get("head_dim") or h // q
    qkv_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
    shapes = {
        "input_layernorm.weight": ([h], "one"),
        "post_attention_layernorm.weight": ([h], "one"),
        "self_attn.q_proj.weight": ([q * d, h], "normal"),
        "self_attn.k_proj.weight": ([kv * d, h], "normal"),
        "self_attn.v_proj.weight": ([kv * d, h], "normal"),
        "self_attn.o_proj.weight": ([h, q * d], "normal"),
        "mlp.gate_proj.weight": ([i, h], "normal"),
        "mlp.up_proj.weight": ([i, h], "normal"),
        "mlp.down_proj.weight": ([h, i], "normal"),
    }
    if qkv_bias:
        shapes["self_attn.q_proj.bias"] = ([q * d], "zero")
        shapes["self_attn.k_proj.bias"] = ([kv * d], "zero")
        shapes["self_attn.v_proj.bias"] = ([kv * d], "zero")
    return shapes


def tensor(shape, init, std, gen):
    t = torch.empty(shape, dtype=torch.bfloat16)
    if init == "one":
        return t.fill_(1.0)
    if init == "zero":
        return t.zero_()
    return t.normal_(0.0, std, generator=gen)  # bf16 directly: no f32 copy of a whole matrix


def main():
    config_path, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    c = json.load(open(config_path))
    std = c.get("initializer_range", 0.02)
    h, v, n = c["hidden_size"], c["vocab_size"], c["num_hidden_layers"]
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    shards = [{"model.embed_tokens.weight": ([v, h], "normal")}]
    shards += [{f"model.layers.{l}.{k}": s for k, s in layer_shapes(c).items()} for l in range(n)]
    last = {"model.norm.weight": ([h], "one")}
    if not c.get("tie_word_embeddings", False):
        last["lm_head.weight"] = ([v, h], "normal")
    shards.append(last)
    weight_map, total = {}, 0
    for k, shard in enumerate(shards):
        name = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        tensors = {key: tensor(shape, init, std, gen) for key, (shape, init) in shard.items()}
        save_file(tensors, os.path.join(out, name), metadata={"format": "pt"})
        for key, t in tensors.items():
            weight_map[key] = name
            total += t.numel() * t.element_size()
        del tensors
        print(f"{name} written", flush=True)
    json.dump({"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))},
              open(os.path.join(out, "model.safetensors.index.json"), "w"), indent=2)
    json.dump(c, open(os.path.join(out, "config.json"), "w"), indent=2)
    json.dump({"bos_token_id": c.get("bos_token_id"), "eos_token_id": c.get("eos_token_id")},
              open(os.path.join(out, "generation_config.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
