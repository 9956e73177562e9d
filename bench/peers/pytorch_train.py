"""PyTorch (CPU) + transformers full fine-tuning step time on the same model and data as `jswift pt`.

Run: /tmp/hf/bin/python bench/peers/pytorch_train.py MODEL_DIR SEQ STEPS
Prints tokens/s per step (AdamW, batch 1, f32, lr 1e-5) and the peak RSS.
"""
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM

model_dir, seq, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
model.train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.95), weight_decay=0.1)
ids = torch.randint(0, model.config.vocab_size, (1, seq), generator=torch.Generator().manual_seed(1))
for step in range(steps):
    t0 = time.time()
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad()
    dt = time.time() - t0
    print(f"step {step + 1}: loss {loss.item():.4f}  {dt:.2f} s  {seq / dt:.1f} tok/s", flush=True)
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GiB")
