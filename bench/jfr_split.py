"""Where a serving run's CPU samples go: reads `jfr print --events jdk.ExecutionSample --stack-depth 64 FILE` on stdin
and puts each sample in the first category whose marker is on its stack (the rules below, in order), then prints
each category's share, the GEMM samples by kernel (the innermost gemm frame), the scheduler thread's GEMM samples by
caller (the GEMM's worker threads do not see the caller: their share follows the scheduler's), and the samples per thread.

Run: jfr print --events jdk.ExecutionSample --stack-depth 64 run.jfr | python3 bench/jfr_split.py
"""
import collections
import re
import sys

# (category, markers): a sample belongs to the first category with a marker in any of its frames
RULES = [
    ("GEMM (io.jswift.backend.cpu.gemm)", ["io.jswift.backend.cpu.gemm."]),
    ("paged attention kernels", ["AttentionKernels.paged", "DecodeAttention.", "AttentionBlocks.", "AttentionKernels.tiles"]),
    ("KV write into blocks", ["PagedKvCache.write"]),
    ("sampling + detokenize", ["io.jswift.models.generate.", "io.jswift.models.tokenizer."]),
    ("logits to host arrays", ["ModelRunner.lastRows"]),
    ("other CPU kernels (norm, rope, SiLU, add, copy)", ["io.jswift.backend.cpu."]),
    ("tensor / autograd bookkeeping", ["io.jswift.tensor.", "io.jswift.autograd.", "io.jswift.nn.", "io.jswift.models."]),
    ("HTTP / SSE / JSON (server)", ["org.eclipse.jetty.", "com.fasterxml.", "io.jswift.serve.api.", "io.jswift.serve.OpenAiServer"]),
    ("scheduler (engine loop)", ["io.jswift.serve.engine."]),
    ("bench client (HTTP, parsing)", ["io.jswift.bench.", "java.net.http.", "jdk.internal.net.http."]),
]

# (caller, markers) of a GEMM sample on the engine's scheduler thread
CALLERS = [("LM head", ["LmHead."]), ("attention projections", ["DecoderAttention.", "LatentAttention."]),
           ("MLP / experts", ["Mlp", "SparseMoeBlock.", "MoeExperts."])]

FRAME = re.compile(r"^\s+([\w.$<>]+)\(")


def main():
    counts, kernels, threads, callers = collections.Counter(), collections.Counter(), collections.Counter(), collections.Counter()
    frames, thread, total = [], "?", 0

    def flush():
        nonlocal total
        if not frames:
            return
        total += 1
        threads[re.sub(r"[-#]?\d+$", "", thread)] += 1
        for name, markers in RULES:
            if any(m in f for f in frames for m in markers):
                counts[name] += 1
                if name.startswith("GEMM"):
                    innermost = next(f for f in frames if "io.jswift.backend.cpu.gemm." in f)
                    kernels[".".join(innermost.split(".")[-2:])] += 1
                    if thread == "jswift-scheduler":
                        callers[next((c for c, ms in CALLERS if any(m in f for f in frames for m in ms)), "other")] += 1
                break
        else:
            counts["other (JDK, JIT'd glue)"] += 1

    for line in sys.stdin:
        if line.startswith("jdk.ExecutionSample"):
            flush()
            frames, thread = [], "?"
        elif "sampledThread" in line:
            m = re.search(r'"([^"]*)"', line)
            thread = m.group(1) if m else "?"
        else:
            m = FRAME.match(line)
            if m:
                frames.append(m.group(1))
    flush()
    print(f"{total} samples")
    for name, n in counts.most_common():
        print(f"  {100.0 * n / total:5.1f}%  {n:7d}  {name}")
    print("GEMM samples by innermost gemm frame:")
    for name, n in kernels.most_common(12):
        print(f"  {100.0 * n / max(1, counts['GEMM (io.jswift.backend.cpu.gemm)']):5.1f}%  {n:7d}  {name}")
    print("scheduler-thread GEMM samples by caller:")
    for name, n in callers.most_common():
        print(f"  {100.0 * n / max(1, sum(callers.values())):5.1f}%  {n:7d}  {name}")
    print("samples by thread:")
    for name, n in threads.most_common(8):
        print(f"  {100.0 * n / total:5.1f}%  {n:7d}  {name}")


if __name__ == "__main__":
    main()
