"""Trains the bundled tiny chat model's tokenizer: byte-level BPE laid out like Qwen2's tokenizer.json (NFC,
Qwen2's split regex, ByteLevel without its own regex, ByteLevel decoder; specials <|endoftext|>, <|im_start|>,
<|im_end|>), vocabulary 2048, trained on the quickstart corpus; plus tokenizer_config.json with a ChatML chat
template (Qwen2.5's layout, default system prompt) and generation_config.json. HF `tokenizers` trains it: an
asset-generation step like the fixture scripts; jswift itself never runs Python.

Run: /tmp/hf/bin/python tools/quickstart/make_tokenizer.py CORPUS.jsonl OUT_DIR
"""
import json
import sys

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

corpus, out = sys.argv[1], sys.argv[2]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

tok = Tokenizer(models.BPE())
tok.normalizer = normalizers.NFC()
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
    pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)])
tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
trainer = trainers.BpeTrainer(vocab_size=2048, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                              show_progress=False)


def texts():
    with open(corpus) as f:
        for line in f:
            text = json.loads(line)["text"]
            for s in SPECIALS:
                text = text.replace(s, "\n")
            yield text


tok.train_from_iterator(texts(), trainer)
tok.save(f"{out}/tokenizer.json")

TEMPLATE = ("{%- for message in messages %}"
            "{%- if loop.first and message['role'] != 'system' %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
            "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            "{%- endfor %}"
            "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")
ids = {s: tok.token_to_id(s) for s in SPECIALS}
config = {
    "added_tokens_decoder": {str(ids[s]): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                           "single_word": False, "special": True} for s in SPECIALS},
    "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
    "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "unk_token": None,
    "chat_template": TEMPLATE, "clean_up_tokenization_spaces": False, "model_max_length": 1024,
    "tokenizer_class": "Qwen2Tokenizer", "errors": "replace", "split_special_tokens": False,
}
with open(f"{out}/tokenizer_config.json", "w") as f:
    json.dump(config, f, indent=2, ensure_ascii=False)
with open(f"{out}/generation_config.json", "w") as f:
    json.dump({"bos_token_id": ids["<|endoftext|>"], "eos_token_id": [ids["<|im_end|>"], ids["<|endoftext|>"]],
               "pad_token_id": ids["<|endoftext|>"], "do_sample": False, "repetition_penalty": 1.0}, f, indent=2)
print("vocab", tok.get_vocab_size(), "specials", ids)
