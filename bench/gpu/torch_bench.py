"""PyTorch's side of bench/gpu/check.sh, on the same GPU in the same run as jswift's GpuBench, same shapes:
torch.matmul (bf16, and f32 with TF32 off: PyTorch's default), scaled_dot_product_attention forward and
forward+backward (bf16, causal, GQA through enable_gqa), greedy decode tokens/s with transformers' KV cache, LoRA SFT
steps with PEFT.
One JSON line per result into OUT/torch_bench.jsonl.

Run: python3 bench/gpu/torch_bench.py OUT [MODEL_DIR]
     python3 bench/gpu/torch_bench.py --make-model DIR [qwen2.5-0.5b|llama-3.2-1b]    (random bf16 weights of that shape)
     python3 bench/gpu/torch_bench.py --lora-sft OUT MODEL_DIR ROWS.jsonl BATCH STEPS
"""
import json
import sys
import time

import torch

REPS = 20


def write(out, row):
    print(json.dumps(row))
    with open(f"{out}/torch_bench.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")


def timed(fn, sync_on):
    best = float("inf")
    for rnd in range(3):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(REPS):
            r = fn()
        sync_on(r)
        ms = (time.perf_counter() - t0) * 1e3 / REPS
        if rnd > 0:
            best = min(best, ms)
    return best


def gemm(out, dtype, m, n, k):
    g = torch.Generator(device="cuda").manual_seed(7)
    a = torch.randn(m, k, device="cuda", generator=g).to(dtype)
    b = torch.randn(k, n, device="cuda", generator=g).to(dtype)
    ms = timed(lambda: torch.matmul(a, b), lambda r: r.flatten()[0].item())
    write(out, {"bench": "gemm", "dtype": str(dtype).split(".")[1].replace("bfloat16", "bf16").replace("float32", "f32"),
                "m": m, "n": n, "k": k, "ms": round(ms, 4), "tflops": round(2 * m * n * k / ms / 1e9, 2)})


def attention(out, b, hq, hkv, t, d):
    g = torch.Generator(device="cuda").manual_seed(7)
    q = torch.randn(b, hq, t, d, device="cuda", generator=g, dtype=torch.bfloat16, requires_grad=True)
    k = torch.randn(b, hkv, t, d, device="cuda", generator=g, dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(b, hkv, t, d, device="cuda", generator=g, dtype=torch.bfloat16, requires_grad=True)
    do = torch.randn(b, hq, t, d, device="cuda", generator=g, dtype=torch.bfloat16)
    sdpa = torch.nn.functional.scaled_dot_product_attention
    gqa = hq != hkv

    def fwd():
        with torch.no_grad():
            return sdpa(q, k, v, is_causal=True, enable_gqa=gqa)

    def both():
        o = sdpa(q, k, v, is_causal=True, enable_gqa=gqa)
        return torch.autograd.grad(o, (q, k, v), do)[2]

    f = timed(fwd, lambda r: r.flatten()[0].item())
    fb = timed(both, lambda r: r.flatten()[0].item())
    flop = 4.0 * b * hq * t * t * d / 2
    write(out, {"bench": "attention", "dtype": "bf16", "b": b, "hq": hq, "hkv": hkv, "t": t, "d": d, "fwd_ms": round(f, 4),
                "fwd_bwd_ms": round(fb, 4), "fwd_tflops": round(flop / f / 1e9, 2), "fwd_bwd_tflops": round(3.5 * flop / fb / 1e9, 2)})


def decode(out, path):
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16).cuda().eval()
    ids = torch.tensor([[9, 41, 7, 300, 12, 5, 77, 18, 3, 1000, 64, 2, 90, 31, 8, 400]], device="cuda")
    tokens = 128

    def gen(n):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False)
        torch.cuda.synchronize()
        return time.perf_counter() - t0

    with torch.no_grad():
        one = min(gen(1) for _ in range(3))
        full = min(gen(tokens + 1) for _ in range(3))
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    write(out, {"bench": "decode", "model": path.rstrip("/").split("/")[-1], "dtype": "bf16", "tokens": tokens,
                "tok_s": round(tokens / (full - one), 2), "weights_gb": round(weights / 1e9, 3)})


def make_model(path, shape):
    """Random bf16 weights in the shape of Qwen2.5-0.5B or Llama-3.2-1B (their config.json sizes; no tokenizer)."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM
    if shape == "qwen2.5-0.5b":
        cls, cfg = Qwen2ForCausalLM, Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                                                 num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                                                 rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True)
    elif shape == "llama-3.2-1b":
        cls, cfg = LlamaForCausalLM, LlamaConfig(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                                                 num_attention_heads=32, num_key_value_heads=8, head_dim=64, max_position_embeddings=131072,
                                                 rope_theta=500000.0, rms_norm_eps=1e-5, tie_word_embeddings=True)
    else:
        raise SystemExit(f"unknown shape {shape}: qwen2.5-0.5b or llama-3.2-1b")
    torch.manual_seed(0)
    with torch.device("cuda"):  # random init on the GPU: seconds instead of a minute on the CPU
        model = cls(cfg).to(torch.bfloat16)
    model.save_pretrained(path)
    print("wrote", path)


def lora_sft(out, path, rows_file, batch, steps):
    """LoRA SFT steps as PEFT + a plain loop run them: rank 16, alpha 32, dropout 0.05 on all linear layers, AdamW
    lr 1e-4, bf16 base weights, the rows' input_ids as labels. tok/s over the steps after the first two."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    with open(rows_file) as f:
        rows = [json.loads(line)["input_ids"] for line in f if line.strip()]
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16).cuda()
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear"))
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    times = []
    for s in range(steps):
        ids = torch.tensor(rows[s * batch:(s + 1) * batch], device="cuda")
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    tokens = batch * len(rows[0])
    timed_steps = times[2:] if len(times) > 2 else times
    write(out, {"bench": "lora-sft", "model": path.rstrip("/").split("/")[-1].removeprefix("jswift-bench-"), "batch": batch,
                "seq": len(rows[0]), "tok_s": round(tokens * len(timed_steps) / sum(timed_steps), 1),
                "torch_peak_allocated_mib": round(torch.cuda.max_memory_allocated() / 2**20)})


def main():
    if sys.argv[1] == "--make-model":
        make_model(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "qwen2.5-0.5b")
        return
    if sys.argv[1] == "--lora-sft":
        lora_sft(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
        return
    out = sys.argv[1]
    torch.backends.cuda.matmul.allow_tf32 = False  # PyTorch's default, stated: f32 GEMMs are exact f32
    write(out, {"bench": "env", "torch": torch.__version__, "cuda": torch.version.cuda, "gpu": torch.cuda.get_device_name()})
    for dtype in (torch.bfloat16, torch.float32):
        for m, n, k in ((4096, 4096, 4096), (8192, 8192, 8192), (1, 4096, 4096), (2048, 151936, 896)):
            gemm(out, dtype, m, n, k)
    for b, hq, hkv, t, d in ((1, 14, 2, 4096, 64), (2, 16, 16, 2048, 128), (4, 32, 8, 1024, 128)):
        attention(out, b, hq, hkv, t, d)
    if len(sys.argv) > 2:
        decode(out, sys.argv[2])


if __name__ == "__main__":
    main()
