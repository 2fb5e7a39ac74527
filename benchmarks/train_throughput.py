"""Training throughput (images/s) of keras-detect models on this machine, against a plain
PyTorch loop over the same small CNN, in one run so the ratios are comparable.

    pip install torch==2.13.0   # CPU wheel; benchmarks only
    python benchmarks/train_throughput.py --size 64 --steps 20

Synthetic batches are used so only the model step is measured (see data_pipeline.py for
the input pipeline). The first steps (graph tracing, warm-up) are not timed. Each model is
measured in a fresh process, whose peak RSS (resource.getrusage) the table shows.
"""

import argparse
import time

import numpy as np

from data_pipeline import in_fresh_process

MODELS = ("simplenet", "cnn_dct_mask", "mobilenet", "effnetb0")
OPTIONS = {"mobilenet": {"alpha": 0.25}}


def keras_images_per_second(name, size, batch, steps, warmup):
  import keras

  from keras_detect import config as config_lib
  from keras_detect import detector
  config = config_lib.resolve(flags={"model.backbone": name,
                                     "model.options": OPTIONS.get(name, {})})
  keras.utils.clear_session()
  model = detector.build(config.model, size, ["real", "synthetic"])
  model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
  images = np.random.default_rng(0).uniform(0, 255, (batch, size, size, 3)).astype("float32")
  labels = np.random.default_rng(1).integers(0, 2, (batch, 1)).astype("float32")
  for _ in range(warmup):
    model.train_on_batch(images, labels)
  start = time.perf_counter()
  for _ in range(steps):
    model.train_on_batch(images, labels)
  return steps * batch / (time.perf_counter() - start)


def torch_simplenet(size):
  """The same layer stack as keras_detect.baselines' simplenet, in PyTorch."""
  import torch
  from torch import nn
  blocks, channels = [], 3
  for filters in (32, 64, 128):
    blocks += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    channels = filters
  return nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 128),
                       nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 1))


def torch_images_per_second(size, batch, steps, warmup):
  import torch
  torch.manual_seed(0)
  model = torch_simplenet(size)
  optimizer = torch.optim.Adam(model.parameters(), 1e-3)
  loss_fn = torch.nn.BCEWithLogitsLoss()
  images = torch.rand(batch, 3, size, size) * 2 - 1
  labels = torch.randint(0, 2, (batch, 1)).float()

  def step():
    optimizer.zero_grad()
    loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()

  for _ in range(warmup):
    step()
  start = time.perf_counter()
  for _ in range(steps):
    step()
  return steps * batch / (time.perf_counter() - start)


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--size", type=int, default=64)
  parser.add_argument("--batch", type=int, default=32)
  parser.add_argument("--steps", type=int, default=20)
  parser.add_argument("--warmup", type=int, default=3)
  parser.add_argument("--models", nargs="+", default=list(MODELS))
  args = parser.parse_args()
  timing = (args.size, args.batch, args.steps, args.warmup)
  try:
    baseline, baseline_rss = in_fresh_process(torch_images_per_second, *timing)
  except ImportError:
    baseline = None
    print("torch is not installed (pip install torch==2.13.0): no PyTorch baseline")
  rows = [(name, *in_fresh_process(keras_images_per_second, name, *timing))
          for name in args.models]
  print(f"\nTraining throughput at {args.size} px, batch {args.batch}, {args.steps} timed steps")
  print("| model | images/s | ratio to PyTorch simplenet | peak RSS MiB |\n|---|---|---|---|")
  if baseline:
    print(f"| simplenet (PyTorch loop) | {baseline:.1f} | 1.00 | {baseline_rss:.0f} |")
  for name, speed, rss in rows:
    ratio = f"{speed / baseline:.2f}" if baseline else "n/a"
    print(f"| {name} (Keras) | {speed:.1f} | {ratio} | {rss:.0f} |")


if __name__ == "__main__":
  main()
