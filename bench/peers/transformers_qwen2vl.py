"""transformers' side of VisionBench: vision encode time for image448.png (processor + vision tower + merger) and
prefill tokens/s of one prompt (64 text tokens around the image's 256) on a model made by make_qwen2vl_2b.py; best of
3 (or REPEATS) after a warm-up, each timing printed as it is taken, in the checkpoint dtype, all CPU threads (torch's default); the encode also as the process's CPU
time (all threads), which a busy machine disturbs less than the wall time.

  /tmp/hf/bin/python bench/peers/transformers_qwen2vl.py MODEL_DIR [REPEATS]
"""
import pathlib
import sys
import time

import torch
from transformers import Qwen2VLForConditionalGeneration
from transformers.image_utils import load_image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

d = pathlib.Path(sys.argv[1])
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
model = Qwen2VLForConditionalGeneration.from_pretrained(d, dtype=torch.bfloat16)
model.train(False)
processor = Qwen2VLImageProcessorPil.from_pretrained(d)
c = model.config


def encode():
    px = processor(images=[load_image(str(d / "image448.png"))], return_tensors="pt")
    return px, model.model.get_image_features(px["pixel_values"].to(torch.bfloat16), px["image_grid_thw"])


def prompt(px):
    n = int(px["image_grid_thw"].prod()) // 4
    ids = [256] + [100 + i % 50 for i in range(32)] + [c.vision_start_token_id] + [c.image_token_id] * n + [c.vision_end_token_id] \
        + [100 + i % 50 for i in range(30)]
    return torch.tensor([ids])


with torch.no_grad():
    t0 = time.perf_counter()
    encode()  # warm-up
    print(f"  encode warm-up: {(time.perf_counter() - t0) * 1000:.1f} ms", flush=True)
    times = []
    for i in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        px, _ = encode()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
        print(f"  encode {i + 1}: {times[-1][0] * 1000:.1f} ms (process CPU time {times[-1][1] * 1000:.0f} ms)", flush=True)
    best_encode, encode_cpu = min(times)
    ids = prompt(px)
    mm = (ids == c.image_token_id).int()
    pv = px["pixel_values"].to(torch.bfloat16)
    times = []
    for i in range(repeats + 1):
        model.model.rope_deltas = None
        t0 = time.perf_counter()
        model(input_ids=ids, pixel_values=pv, image_grid_thw=px["image_grid_thw"], mm_token_type_ids=mm, logits_to_keep=1)
        times.append(time.perf_counter() - t0)
        print(f"  prefill {i}{' (warm-up)' if i == 0 else ''}: {times[-1] * 1000:.0f} ms", flush=True)
    best_prefill = min(times[1:])
print(f"transformers vision encode 448x448: {best_encode * 1000:.1f} ms (process CPU time {encode_cpu * 1000:.0f} ms); prefill {ids.shape[1]} tokens (image included): "
      f"{ids.shape[1] / best_prefill:.1f} tok/s ({best_prefill * 1000:.0f} ms)")
