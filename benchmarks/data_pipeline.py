"""Images/s of the keras-detect input pipeline against a plain Pillow loop over the same
files, in one run so the ratio is comparable.

    python benchmarks/data_pipeline.py --manual-dir ../shared/data --images 1000

tf.data: `data.make_dataset` on a shipped mix in training mode (decode, class balancing,
JPEG alignment, random crop) plus the default augmentation (random flip), batched.
Pillow: open, convert to RGB, resize, to a float32 array, random flip, one file at a time.
The first batch (graph tracing, file opening) is not timed; the mix is built first if needed.
"""

import argparse
import csv
import os
import sys
import time

import numpy as np

BATCH = 32


def pipeline_images_per_second(mix, builders, counts, size, images):
  from keras_detect import config as config_lib
  from keras_detect import data, preprocessing

  ds = data.make_dataset(mix, builders, "train", image_size=size, batch_size=BATCH,
                         policy="random_crop", training=True, counts=counts)
  layers = preprocessing.augmentation(config_lib.AugmentConfig(), seed=0)

  def augment(batch):
    x = batch["image"]
    for layer in layers:
      x = layer(x, training=True)
    return x, batch["label"]

  iterator = iter(ds.map(augment))
  next(iterator)
  batches = max(1, images // BATCH)
  start = time.perf_counter()
  for _ in range(batches):
    next(iterator)
  return batches * BATCH / (time.perf_counter() - start)


def pillow_images_per_second(paths, size, images):
  from PIL import Image

  rng = np.random.default_rng(0)
  start = time.perf_counter()
  for i in range(images):
    with Image.open(paths[i % len(paths)]) as image:
      pixels = np.asarray(image.convert("RGB").resize((size, size), Image.BILINEAR),
                          dtype=np.float32)
    if rng.random() < 0.5:
      pixels = np.ascontiguousarray(pixels[:, ::-1])
  return images / (time.perf_counter() - start)


def source_files(mix, manual_dir):
  """The mix's image files, real and synthetic in turn (as `balance: classes` draws them),
  each class taking one file from each of its sources in turn."""
  by_class = {}
  for entry in mix.sources:
    folder = os.path.join(manual_dir, entry.name)
    with open(os.path.join(folder, "manifest.csv"), encoding="utf-8") as f:
      for i, row in enumerate(list(csv.DictReader(f))[:entry.cap]):
        by_class.setdefault(row["label"], []).append((i, os.path.join(folder, row["file_name"])))
  streams = [[path for _, path in sorted(files, key=lambda f: f[0])] for files in by_class.values()]
  shortest = min(len(files) for files in streams)
  return [files[i] for i in range(shortest) for files in streams]


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--mix", default="photo_sd", help="shipped mix name or YAML path")
  parser.add_argument("--manual-dir", default="../shared/data")
  parser.add_argument("--data-dir", default="", help="TFDS data dir [~/tensorflow_datasets]")
  parser.add_argument("--images", type=int, default=1000, help="images timed per measurement")
  parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
  args = parser.parse_args()

  from keras_detect import data
  from keras_detect.errors import UserError

  try:
    mix = data.load_mix(args.mix)
    builders = data.prepare([s.name for s in mix.sources], args.manual_dir, args.data_dir)
  except UserError as error:
    print(f"data_pipeline: error: {error}", file=sys.stderr)
    sys.exit(2)
  counts = data.census(builders)
  paths = source_files(mix, args.manual_dir)
  rows = []
  for size in args.sizes:
    pipeline = pipeline_images_per_second(mix, builders, counts, size, args.images)
    pillow = pillow_images_per_second(paths, size, args.images)
    rows.append((size, pipeline, pillow))
  print(f"\nInput pipeline on mix '{mix.name}', {args.images} images per measurement, "
        f"batch {BATCH}, {os.cpu_count()} CPU cores")
  print("| size | tf.data images/s | Pillow loop images/s | tf.data / Pillow |\n|---|---|---|---|")
  for size, pipeline, pillow in rows:
    print(f"| {size} | {pipeline:.1f} | {pillow:.1f} | {pipeline / pillow:.2f} |")


if __name__ == "__main__":
  main()
