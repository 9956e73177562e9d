"""transformers' side of ImageProcessorQuick: images/s through load_image + the slow (PIL) Qwen2VLImageProcessor on
the same files, one thread.

  java -cp bench/target/benchmarks.jar io.jswift.bench.ImageProcessorQuick --write /tmp/qwen2vl-images
  /tmp/hf/bin/python bench/peers/qwen2vl_image_processor.py /tmp/qwen2vl-images [MODEL_DIR]
"""
import pathlib
import sys
import time

import torch
from transformers import AutoImageProcessor
from transformers.image_utils import load_image
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

torch.set_num_threads(1)
images = pathlib.Path(sys.argv[1])
processor = (AutoImageProcessor.from_pretrained(sys.argv[2], backend="pil") if len(sys.argv) > 2
             else Qwen2VLImageProcessorPil())


def per_second(work, warm=2.0, measure=3.0):
    end = time.perf_counter() + warm
    while time.perf_counter() < end:
        work()
    runs, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < measure:
        work()
        runs += 1
    return runs / (time.perf_counter() - t0)


for name in ["448x448.png", "448x448.jpg", "1280x960.png", "1280x960.jpg"]:
    path = str(images / name)
    out = processor(images=[load_image(path)], return_tensors="np")
    decoded = load_image(path)
    total = per_second(lambda: processor(images=[load_image(path)], return_tensors="np"))
    decode = per_second(lambda: load_image(path))
    process = per_second(lambda: processor(images=[decoded], return_tensors="np"))
    print(f"{name:13s} grid {out['image_grid_thw'][0].tolist()}, pixel_values {list(out['pixel_values'].shape)}: "
          f"decode+process {total:6.1f} images/s (decode {decode:6.1f}/s, process {process:6.1f}/s)")
