"""A random Qwen2-VL-2B-shaped model directory for VisionBench and bench/peers/transformers_qwen2vl.py (same shapes on
both sides): Qwen2-VL-2B-Instruct's config (LM hidden 1536, 28 layers, 12 heads / 2 KV heads, MLP 8960, vocab 151936;
vision depth 32, embed 1280, 16 heads, patch 14, merge 2), bfloat16 weights (about 4.4 GB), the tiny fixture's
tokenizer and chat template (its special ids set as the image / vision ids), the 2B processor's settings, and
image448.png (a 448x448 RGB picture: 32x32 patches, 256 tokens after the merger). --tiny: 2 layers each side, for a
smoke run.

  /tmp/hf/bin/python bench/peers/make_qwen2vl_2b.py OUT_DIR [--tiny]
"""
import pathlib
import shutil
import sys

import numpy as np
import torch
from PIL import Image
from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

ROOT = pathlib.Path(__file__).resolve().parents[2]
TINY = ROOT / "models/src/test/resources/models/qwen2-vl-f32"
out = pathlib.Path(sys.argv[1])
tiny = "--tiny" in sys.argv
out.mkdir(parents=True, exist_ok=True)
text = dict(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=2 if tiny else 28,
            num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=32768, rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
            bos_token_id=256, eos_token_id=258)
vision = dict(depth=2 if tiny else 32, embed_dim=1280, hidden_size=1536, mlp_ratio=4, num_heads=16, patch_size=14,
              spatial_merge_size=2, temporal_patch_size=2, in_channels=3)
config = Qwen2VLConfig(text_config=text, vision_config=vision, tie_word_embeddings=True, image_token_id=261,
                       video_token_id=262, vision_start_token_id=259, vision_end_token_id=260)
torch.manual_seed(0)
with torch.device("meta"):
    model = Qwen2VLForConditionalGeneration(config)
model = model.to_empty(device="cpu").to(torch.bfloat16)
model.tie_weights()  # to_empty gives lm_head its own storage: tie it again, as the 2B (tie_word_embeddings) is
with torch.no_grad():
    for n, p in model.named_parameters():
        p.copy_(torch.ones_like(p) if "norm" in n or "ln_q" in n else torch.randn_like(p) * 0.02)
model.save_pretrained(out)
for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
    shutil.copy(TINY / f, out / f)
Qwen2VLImageProcessorPil(patch_size=14, merge_size=2, temporal_patch_size=2, min_pixels=3136, max_pixels=12845056).save_pretrained(out)
rng = np.random.default_rng(0)
Image.fromarray(rng.integers(0, 256, (448, 448, 3), dtype=np.uint8)).save(out / "image448.png")
print("wrote", out)
