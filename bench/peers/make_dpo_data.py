"""Preference rows for the DPO benchmark (`jswift rlhf` vs TRL's DPOTrainer), and the tokenizer files they need.

Writes N rows in ms-swift's format {"messages": [user, assistant CHOSEN], "rejected_response": REJECTED} whose
prompt is PROMPT_WORDS random words and whose replies are REPLY_WORDS random words (seeded), and copies the Qwen3
tokenizer files of the tokenizer tests into MODEL_DIR when it has none (the benchmark models are random-weight,
made by make_qwen05b.py, vocabulary 151936 > the tokenizer's).

Run: /tmp/hf/bin/python bench/peers/make_dpo_data.py MODEL_DIR OUT.jsonl [N=16] [PROMPT_WORDS=420] [REPLY_WORDS=40]
"""
import json
import pathlib
import random
import shutil
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
model_dir, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 16
prompt_words = int(sys.argv[4]) if len(sys.argv) > 4 else 420
reply_words = int(sys.argv[5]) if len(sys.argv) > 5 else 40
for f in ("tokenizer.json", "tokenizer_config.json"):
    if not (model_dir / f).exists():
        shutil.copy(REPO / "models/src/test/resources/tokenizers/qwen3" / f, model_dir / f)
words = ("alpha river stone light quiet market number garden simple window orange travel energy model paper "
         "silver morning forest signal engine yellow bridge ocean letter winter summer value").split()
rng = random.Random(0)


def text(k):
    return " ".join(rng.choice(words) for _ in range(k))


with out.open("w") as f:
    for _ in range(n):
        row = {"messages": [{"role": "user", "content": text(prompt_words)}, {"role": "assistant", "content": text(reply_words)}],
               "rejected_response": text(reply_words)}
        f.write(json.dumps(row) + "\n")
print("wrote", out, n, "rows")
