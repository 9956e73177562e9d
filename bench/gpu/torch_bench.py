"""PyTorch's side of bench/gpu/check.sh, on the same GPU in the same run as jswift's GpuBench, same shapes:
torch.matmul (bf16, and f32 with TF32 off: PyTorch's default), scaled_dot_product_attention forward and
forward+backward (bf16, causal, GQA through enable_gqa), greedy decode tokens/s with transformers' KV cache.
One JSON line per result into OUT/torch_bench.jsonl.

Run: python3 bench/gpu/torch_bench.py OUT [MODEL_DIR]
     python3 bench/gpu/torch_bench.py --make-model DIR    (a random-weight bf16 model of Qwen2.5-0.5B's shape)
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


def make_model(path):
    from transformers import Qwen2Config, Qwen2ForCausalLM
    cfg = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                      num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6,
                      tie_word_embeddings=True)
    torch.manual_seed(0)
    Qwen2ForCausalLM(cfg).to(torch.bfloat16).save_pretrained(path)
    print("wrote", path)


def main():
    if sys.argv[1] == "--make-model":
        make_model(sys.argv[2])
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
