"""TRL 1.13 GRPOTrainer + PEFT (CPU) side of the GRPO benchmark, on the same model and prompts as `jswift rlhf --rlhf_type grpo`.

Run: (unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; /usr/bin/time -v /tmp/hf/bin/python bench/peers/trl_grpo.py MODEL_DIR PROMPTS.jsonl STEPS [PROMPTS_PER_STEP=8] [GENERATIONS=8] [COMPLETION_TOKENS=128] [GRADIENT_CHECKPOINTING=true])
LoRA rank 8, alpha 32, dropout 0.05 on all linear layers (reference = adapter disabled), beta 0.04, loss grpo,
epsilon 0.2, num_iterations 1, temperature 0.9, top_k 50, top_p 0.9 (ms-swift's defaults, given explicitly), AdamW
lr 1e-4 (betas 0.9 / 0.95, weight decay 0.1 as jswift's defaults), f32; PROMPTS_PER_STEP x GENERATIONS completions
per optimizer step in one micro-batch (per_device_train_batch_size counts completions), COMPLETION_TOKENS new tokens
at most (a random model rarely stops early); gradient checkpointing as given (TRL 1.13's GRPOConfig and ms-swift
default it to true). Reward: ms-swift's soft_overlong (max = COMPLETION_TOKENS, cache = half), the same rule jswift's
--reward_funcs soft_overlong computes; its cost is negligible on both sides.
Prints per step: wall time, the split between generation (transformers generate, with rewards), the no-grad
log-prob passes (reference; and old log-probs when TRL takes them) and the rest (the training pass: policy forward +
loss, backward, optimizer), the rest itself split into the policy forward with the loss (GRPOTrainer.compute_loss),
the backward (accelerator.backward) and the optimizer step (between the Trainer's on_pre_optimizer_step and
on_optimizer_step callbacks); then the peak RSS. The timers wrap the trainer's methods on the instance, so TRL's
code runs unchanged.
"""
import json
import resource
import sys
import tempfile
import time

import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import GRPOConfig, GRPOTrainer

model_dir, data, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
prompts_per_step = int(sys.argv[4]) if len(sys.argv) > 4 else 8
generations = int(sys.argv[5]) if len(sys.argv) > 5 else 8
completion_tokens = int(sys.argv[6]) if len(sys.argv) > 6 else 128
checkpointing = (sys.argv[7] if len(sys.argv) > 7 else "true").lower() in ("1", "true", "yes")
rows = [{"prompt": json.loads(line)["messages"]} for line in open(data)]
torch.manual_seed(0)
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
cache = completion_tokens // 2


def soft_overlong(completions, completion_ids, **kwargs):
    # ms-swift's soft_overlong: min(-(len - (max - cache)) / cache, 0), len counting the eos
    return [min(-(len(ids) - (completion_tokens - cache)) / cache, 0.0) for ids in completion_ids]


timings = {"generate": 0.0, "logps_nograd": 0.0, "loss_forward": 0.0, "backward": 0.0, "optimizer": 0.0}


class Timer(TrainerCallback):
    def on_step_begin(self, args, state, control, **kwargs):
        self.t0 = time.time()
        for k in timings:
            timings[k] = 0.0

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        self.t_opt = time.time()

    def on_optimizer_step(self, args, state, control, **kwargs):
        timings["optimizer"] += time.time() - self.t_opt

    def on_step_end(self, args, state, control, **kwargs):
        dt = time.time() - self.t0
        rest = dt - timings["generate"] - timings["logps_nograd"]
        print(f"\nstep {state.global_step}: {dt:.2f} s  generation {timings['generate']:.2f} s  reference/old log-probs "
              f"{timings['logps_nograd']:.2f} s  training pass + optimizer {rest:.2f} s  (policy forward + loss "
              f"{timings['loss_forward']:.2f} s, backward {timings['backward']:.2f} s, optimizer {timings['optimizer']:.2f} s)", flush=True)


with tempfile.TemporaryDirectory() as tmp:
    args = GRPOConfig(output_dir=tmp, max_steps=steps, per_device_train_batch_size=prompts_per_step * generations, num_generations=generations,
                      gradient_accumulation_steps=1, learning_rate=1e-4, adam_beta2=0.95, weight_decay=0.1, beta=0.04, loss_type="grpo",
                      epsilon=0.2, num_iterations=1, temperature=0.9, top_k=50, top_p=0.9, max_completion_length=completion_tokens,
                      logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, bf16=False, dataloader_num_workers=0,
                      lr_scheduler_type="cosine", seed=0, gradient_checkpointing=checkpointing)
    trainer = GRPOTrainer(model=model, args=args, reward_funcs=[soft_overlong], train_dataset=Dataset.from_list(rows), processing_class=tok,
                          peft_config=LoraConfig(r=8, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"),
                          callbacks=[Timer()])
    generate, logps = trainer._generate_and_score_completions, trainer._get_per_token_logps_and_entropies

    def timed_generate(*a, **k):
        t0 = time.time()
        logps_before = timings["logps_nograd"]
        out = generate(*a, **k)
        # _generate_and_score_completions also takes the no-grad log-probs: count them there, the rest as generation
        timings["generate"] += time.time() - t0 - (timings["logps_nograd"] - logps_before)
        return out

    def timed_logps(*a, **k):
        if torch.is_grad_enabled():
            return logps(*a, **k)
        t0 = time.time()
        out = logps(*a, **k)
        timings["logps_nograd"] += time.time() - t0
        return out

    compute_loss, backward = trainer.compute_loss, trainer.accelerator.backward

    def timed_compute_loss(*a, **k):
        # the training pass's forward: the policy's log-probs with gradients, the loss and its metrics
        t0 = time.time()
        out = compute_loss(*a, **k)
        timings["loss_forward"] += time.time() - t0
        return out

    def timed_backward(*a, **k):
        t0 = time.time()
        out = backward(*a, **k)
        timings["backward"] += time.time() - t0
        return out

    trainer._generate_and_score_completions = timed_generate
    trainer._get_per_token_logps_and_entropies = timed_logps
    trainer.compute_loss = timed_compute_loss
    trainer.accelerator.backward = timed_backward
    trainer.train()
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GiB")
