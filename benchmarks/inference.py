"""Inference speed: the exported SavedModel against in-process Keras, in one run.

For each backbone (weights none; speed does not depend on them): images/s of
- `model.predict` on a batch (Keras, in process),
- the SavedModel's `predict_images` signature (tf.saved_model.load) on the same batch,
- one image at a time through `model(x)` (what a naive loop does),
at batch 1 and 32, plus the achieved GFLOP/s (the model's FLOPs from its graph) against a
float32 matmul measured in the same run: a ceiling for this machine.

    python benchmarks/inference.py --size 128 --repeats 5
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

BACKBONES = {"mobilenet": {"alpha": 0.25}, "effnetb0": {}}


def timed(fn, repeats: int) -> float:
  fn()  # warm-up: tracing, first allocation
  started = time.perf_counter()
  for _ in range(repeats):
    fn()
  return (time.perf_counter() - started) / repeats


def model_flops(model, size: int) -> float:
  import tensorflow as tf
  from tensorflow.python.framework.convert_to_constants import (
      convert_variables_to_constants_v2)
  function = tf.function(lambda x: model(x, training=False)).get_concrete_function(
      tf.TensorSpec([1, size, size, 3], tf.float32))
  graph = convert_variables_to_constants_v2(function).graph
  options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
  options["output"] = "none"
  return float(tf.compat.v1.profiler.profile(graph, options=options).total_float_ops)


def matmul_gflops(repeats: int) -> float:
  import tensorflow as tf
  a = tf.random.normal([1024, 1024])
  seconds = timed(lambda: tf.linalg.matmul(a, a).numpy(), repeats)
  return 2 * 1024 ** 3 / seconds / 1e9


def export(model, card, folder: str) -> str:
  from keras_detect import export_lib
  export_lib._write_saved_model(model, card, folder)
  return folder


def measure(name: str, size: int, repeats: int) -> list:
  import tensorflow as tf
  from keras_detect import config as config_lib
  from keras_detect import detector, inference
  model_config = config_lib.ModelConfig(backbone=name, options=BACKBONES[name])
  model = detector.build(model_config, size, ["real", "synthetic"])
  card = inference.ModelCard(name=name, backbone=name, task="binary", image_size=size,
                             short_side=1.0, threshold=0.5, threshold_method="", temperature=1.0)
  signature = tf.saved_model.load(export(model, card, tempfile.mkdtemp())).signatures[
      "predict_images"]
  flops = model_flops(model, size)
  rows = []
  for batch in (1, 32):
    images = np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype("float32")
    tensor = tf.constant(images)
    seconds = {
        "keras model.predict": timed(lambda: model.predict(images, verbose=0), repeats),
        "SavedModel predict_images": timed(lambda: signature(images=tensor), repeats),
        "one image at a time": timed(
            lambda: [model(images[i:i + 1], training=False) for i in range(batch)], repeats),
    }
    for way, s in seconds.items():
      rows.append({"backbone": name, "batch": batch, "way": way, "images_per_s": batch / s,
                   "gflops_per_s": flops * batch / s / 1e9})
  return rows


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--size", type=int, default=128)
  parser.add_argument("--repeats", type=int, default=5)
  args = parser.parse_args()
  ceiling = matmul_gflops(args.repeats)
  rows = [row for name in BACKBONES for row in measure(name, args.size, args.repeats)]
  print(f"float32 matmul 1024²: {ceiling:.1f} GFLOP/s (this machine's ceiling)\n")
  print("| backbone | batch | way | images/s | vs model.predict | GFLOP/s | share of matmul |")
  print("|---|---|---|---|---|---|---|")
  for row in rows:
    base = next(r for r in rows if r["backbone"] == row["backbone"] and r["batch"] == row["batch"]
                and r["way"] == "keras model.predict")
    print(f"| {row['backbone']} | {row['batch']} | {row['way']} | {row['images_per_s']:.1f} | "
          f"{row['images_per_s'] / base['images_per_s']:.2f} | {row['gflops_per_s']:.2f} | "
          f"{row['gflops_per_s'] / ceiling:.2f} |")


if __name__ == "__main__":
  main()
