"""Joins jswift_bench.jsonl and torch_bench.jsonl of a bench/gpu/check.sh run into OUT/summary.md: each jswift
result beside PyTorch's for the same shape, with the ratio the issue's goals are stated in (jswift / PyTorch
throughput: GEMM >= 0.95x, attention >= 0.7x, LoRA SFT >= 1.0x tok/s at <= 1.0x peak GPU memory; decode as a share of
the measured copy bandwidth, goal >= 70%). A bnb-4bit model's decode (MODEL-nf4, issue 21) is also set beside its bf16
source's: goal >= 2.5x tok/s.

Run: python3 bench/gpu/summary.py OUT
"""
import json
import os
import sys


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def key(r):
    return tuple((k, r[k]) for k in ("bench", "model", "dtype", "m", "n", "k", "b", "hq", "hkv", "t", "d", "batch", "seq") if k in r)


def main():
    out = sys.argv[1]
    js, tc = rows(f"{out}/jswift_bench.jsonl"), rows(f"{out}/torch_bench.jsonl")
    torch_by = {key(r): r for r in tc}
    lines = ["# GPU benchmarks (bench/gpu/check.sh)", ""]
    env = [r for r in tc if r["bench"] == "env"]
    if env:
        lines += [f"PyTorch {env[0]['torch']} (CUDA {env[0]['cuda']}) on {env[0]['gpu']}", ""]
    memory = {r["model"]: r["peak_mib"] for r in tc if r["bench"] == "lora-sft-memory"}
    lines += ["| bench | shape | jswift | PyTorch | jswift / PyTorch | goal |", "|---|---|---|---|---|---|"]
    for r in js:
        t = torch_by.get(key(r))
        if r["bench"] == "gemm":
            shape = f"{r['dtype']} {r['m']}x{r['n']}x{r['k']}"
            pair = [(r["tflops"], t and t["tflops"], "TFLOP/s", ">= 0.95x")]
        elif r["bench"] == "attention":
            shape = f"bf16 B={r['b']} Hq={r['hq']} Hkv={r['hkv']} T={r['t']} D={r['d']} causal"
            pair = [(r["fwd_tflops"], t and t["fwd_tflops"], "TFLOP/s fwd", ">= 0.7x"),
                    (r["fwd_bwd_tflops"], t and t["fwd_bwd_tflops"], "TFLOP/s fwd+bwd", ">= 0.7x")]
        elif r["bench"] == "decode":
            shape = f"{r['model']} {r['dtype']} greedy, {r['tokens']} tokens ({100 * r['bandwidth_utilization']:.0f}% of {r['copy_gbps']} GB/s copy bandwidth)"
            pair = [(r["tok_s"], t and t["tok_s"], "tok/s", ">= 70% of bandwidth")]
        elif r["bench"] == "copy":
            lines.append(f"| copy | {r['bytes'] / 2**20:.0f} MiB device to device | {r['gbps']} GB/s | | | (decode's reference) |")
            continue
        elif r["bench"] == "lora-sft":
            shape = f"{r['model']} bf16, LoRA r16 all-linear, batch {r['batch']} x {r['seq']} tokens"
            pair = [(r["tok_s"], t and t["tok_s"], "tok/s", ">= 1.0x"), (r["peak_mib"], memory.get(r["model"]), "MiB peak GPU memory", "<= 1.0x")]
        else:
            lines.append(f"| {r['bench']} | | {r} | | | |")
            continue
        for mine, theirs, unit, goal in pair:
            ratio = f"{mine / theirs:.2f}x" if mine is not None and theirs else "n/a"
            lines.append(f"| {r['bench']} | {shape} | {mine} {unit} | {theirs if theirs else 'n/a'} | {ratio} | {goal} |")
    decodes = {r["model"]: r for r in js if r["bench"] == "decode"}
    for name, q in decodes.items():
        base = decodes.get(name[:-len("-nf4")]) if name.endswith("-nf4") else None
        if q.get("quantized") and base:
            lines.append(f"| decode 4-bit vs source | {name} vs {base['model']}, greedy | {q['tok_s']} tok/s | {base['tok_s']} tok/s (jswift {base['dtype']}) "
                         f"| {q['tok_s'] / base['tok_s']:.2f}x | >= 2.5x (issue 21) |")
    with open(f"{out}/summary.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
