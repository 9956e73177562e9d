"""PyTorch + transformers side of the inference benchmark: prefill tokens/s on a 128-token prompt and greedy
decode tokens/s with the KV cache, on the model directory given, in its dtype (or float32 with --f32).

Run: (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; /tmp/hf/bin/python bench/peers/pytorch_infer.py MODEL_DIR [--f32])
"""
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM

path = sys.argv[1]
dtype = torch.float32 if "--f32" in sys.argv else torch.bfloat16
PROMPT, DECODE, REPEATS = 128, 32, 3
torch.manual_seed(1)
model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).eval()
ids = torch.randint(0, model.config.vocab_size, (1, PROMPT))

best_prefill, best_decode = float("inf"), float("inf")
with torch.no_grad():
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = model(input_ids=ids, use_cache=True)
        best_prefill = min(best_prefill, time.perf_counter() - t0)
        past, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
        t0 = time.perf_counter()
        for _ in range(DECODE):
            out = model(input_ids=token, past_key_values=past, use_cache=True)
            past, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
        best_decode = min(best_decode, time.perf_counter() - t0)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(f"pytorch {torch.__version__} {dtype}: prefill {PROMPT / best_prefill:.1f} tok/s, decode {DECODE / best_decode:.2f} tok/s, "
      f"peak RSS {rss:.2f} GiB, threads {torch.get_num_threads()}")
