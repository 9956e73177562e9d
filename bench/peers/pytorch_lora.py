"""PyTorch (CPU) + transformers + PEFT side of the LoRA SFT benchmark, on the same model and data as `jswift sft`.

Run: (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; /tmp/hf/bin/python bench/peers/pytorch_lora.py MODEL_DIR SEQ STEPS [--checkpointing] [--bf16])
LoRA rank 8, alpha 32, dropout 0.05 on all linear layers but lm_head, AdamW lr 1e-4, batch 1, f32 weights
(--bf16: bf16 autocast). Prints tokens/s per step and the peak RSS.
"""
import resource
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

model_dir, seq, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
if "--checkpointing" in sys.argv:
    model.gradient_checkpointing_enable()
    model.enable_input_require_grads()
model = get_peft_model(model, LoraConfig(r=8, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"))
model.train()
opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
ids = torch.randint(0, model.config.vocab_size, (1, seq), generator=torch.Generator().manual_seed(1))
for step in range(steps):
    t0 = time.time()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled="--bf16" in sys.argv):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad()
    dt = time.time() - t0
    print(f"step {step + 1}: loss {loss.item():.4f}  {dt:.2f} s  {seq / dt:.1f} tok/s", flush=True)
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GiB")
