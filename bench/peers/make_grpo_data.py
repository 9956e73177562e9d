"""Prompt rows for the GRPO benchmark (`jswift rlhf --rlhf_type grpo` vs TRL's GRPOTrainer), and the tokenizer files they need.

Writes N rows in ms-swift's GRPO format {"messages": [{"role": "user", "content": PROMPT}]} whose prompt is
PROMPT_WORDS random words (seeded), and copies the Qwen3 tokenizer files of the tokenizer tests into MODEL_DIR when it
has none (the benchmark models are random-weight, vocabulary 151936 > the tokenizer's).

Run: /tmp/hf/bin/python bench/peers/make_grpo_data.py MODEL_DIR OUT.jsonl [N=64] [PROMPT_WORDS=60]
"""
import json
import pathlib
import random
import shutil
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
model_dir, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 64
prompt_words = int(sys.argv[4]) if len(sys.argv) > 4 else 60
for f in ("tokenizer.json", "tokenizer_config.json"):
    if not (model_dir / f).exists():
        shutil.copy(REPO / "models/src/test/resources/tokenizers/qwen3" / f, model_dir / f)
words = ("alpha river stone light quiet market number garden simple window orange travel energy model paper "
         "silver morning forest signal engine yellow bridge ocean letter winter summer value").split()
rng = random.Random(0)
with out.open("w") as f:
    for _ in range(n):
        f.write(json.dumps({"messages": [{"role": "user", "content": " ".join(rng.choice(words) for _ in range(prompt_words))}]}) + "\n")
print("wrote", out, n, "rows")
