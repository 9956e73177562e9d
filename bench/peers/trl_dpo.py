"""TRL 1.13 DPOTrainer + PEFT (CPU) side of the DPO benchmark, on the same model and rows as `jswift rlhf`.

Run: (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; /usr/bin/time -v /tmp/hf/bin/python bench/peers/trl_dpo.py MODEL_DIR DATA.jsonl STEPS)
LoRA rank 8, alpha 32, dropout 0.05 on all linear layers but lm_head (reference = adapter disabled), beta 0.1,
sigmoid loss, AdamW lr 1e-4 (betas 0.9 / 0.95, weight decay 0.1 as jswift's defaults), 2 pairs per step, f32.
The rows are ms-swift's messages + rejected_response, handed to TRL in its conversational prompt / chosen /
rejected form. Prints tokens/s of every step (prompt + completion tokens of both sequences) and the peak RSS.
Gradient checkpointing is TRL 1.13's default (DPOConfig.gradient_checkpointing = True) unless CHECKPOINTING=false:
compare with `jswift rlhf --gradient_checkpointing true` (jswift's default is false), or set CHECKPOINTING=false.
"""
import json
import os
import resource
import sys
import tempfile
import time

import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import DPOConfig, DPOTrainer

model_dir, data, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for line in open(data):
    r = json.loads(line)
    rows.append({"prompt": r["messages"][:-1], "chosen": [r["messages"][-1]],
                 "rejected": [{"role": "assistant", "content": r["rejected_response"]}]})
torch.manual_seed(0)
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)


class Timer(TrainerCallback):
    def __init__(self):
        self.t0 = None

    def on_step_begin(self, args, state, control, **kwargs):
        self.t0 = time.time()

    def on_step_end(self, args, state, control, **kwargs):
        dt = time.time() - self.t0
        tokens = trainer._total_train_tokens - getattr(self, "seen", 0)
        self.seen = trainer._total_train_tokens
        print(f"step {state.global_step}: {dt:.2f} s  {tokens / dt:.1f} tok/s ({tokens} tokens)", flush=True)


with tempfile.TemporaryDirectory() as tmp:
    args = DPOConfig(output_dir=tmp, max_steps=steps, per_device_train_batch_size=2, learning_rate=1e-4, adam_beta2=0.95, weight_decay=0.1,
                     beta=0.1, max_length=2048, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, bf16=False,
                     dataloader_num_workers=0, lr_scheduler_type="cosine",
                     gradient_checkpointing=os.environ.get("CHECKPOINTING", "true") != "false")
    print(f"gradient checkpointing: {args.gradient_checkpointing}", flush=True)
    trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                         peft_config=LoraConfig(r=8, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"),
                         callbacks=[Timer()])
    trainer.train()
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GiB")
