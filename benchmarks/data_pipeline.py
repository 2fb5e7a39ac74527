"""Images/s of the input pipeline, one tf.data feature at a time, against a plain Pillow
loop over the same mix; each measurement in a fresh process, with its peak memory.

    python benchmarks/data_pipeline.py --manual-dir ../shared/data --images 500

Rows, each adding one feature to the row above, all doing the Pillow loop's work (decode,
RGB, resize, float32, random flip) on the mix's training records, batched:
- sequential: one element at a time (`map` without parallel calls), no prefetch;
- + parallel decode: `map(num_parallel_calls=AUTOTUNE)`;
- + prefetch: `prefetch(AUTOTUNE)`, decoding overlaps the consumer;
- + parallel reads: the sources' record files read in parallel (TFDS ReadConfig interleave);
- + cache: the encoded records held in memory after the first pass.
Each of these takes `--images` records, runs one untimed pass over them and times the next.
Then the training pipeline itself, `data.make_dataset` in training mode (class balancing,
JPEG alignment, random crop) plus the default flip; its first batch is not timed.
Pillow: open, RGB, resize, float32 array, random flip, one file at a time.
Peak RSS is the measuring process's (resource.getrusage), TensorFlow's own included.
"""

import argparse
import csv
import multiprocessing
import os
import resource
import sys
import time

import numpy as np

BATCH = 32
FEATURES = ("sequential", "+ parallel decode", "+ prefetch", "+ parallel reads", "+ cache")


def feature_images_per_second(args, size, features):
  import tensorflow as tf
  import tensorflow_datasets as tfds

  from keras_detect import preprocessing

  _, builders = _prepared(args)
  parallel_reads = "+ parallel reads" in features
  read_config = tfds.ReadConfig(
      interleave_cycle_length=16 if parallel_reads else 1,
      num_parallel_calls_for_interleave_files=tf.data.AUTOTUNE if parallel_reads else 1)
  parts = [b.as_dataset(split="train", read_config=read_config,
                        decoders={"image": tfds.decode.SkipDecoding()}) for b in builders.values()]
  records = tf.data.Dataset.sample_from_datasets(parts, seed=0).take(args.images)
  if "+ cache" in features:
    records = records.cache()

  def load(x):
    image = preprocessing.fit_to_size(preprocessing.decode_image(x["image"]), size, "resize")
    return tf.image.random_flip_left_right(image)

  ds = records.repeat().map(
      load, num_parallel_calls=tf.data.AUTOTUNE if "+ parallel decode" in features else None)
  ds = ds.batch(BATCH)
  if "+ prefetch" in features:
    ds = ds.prefetch(tf.data.AUTOTUNE)
  iterator = iter(ds)
  batches = max(1, args.images // BATCH)
  for _ in range(batches):  # the untimed first pass: tracing, file opening, the cache
    next(iterator)
  start = time.perf_counter()
  for _ in range(batches):
    next(iterator)
  return batches * BATCH / (time.perf_counter() - start)


def training_images_per_second(args, size):
  from keras_detect import config as config_lib
  from keras_detect import data, preprocessing

  mix, builders = _prepared(args)
  ds = data.make_dataset(mix, builders, "train", image_size=size, batch_size=BATCH,
                         policy="random_crop", training=True, counts=data.census(builders))
  layers = preprocessing.augmentation(config_lib.AugmentConfig(), seed=0)

  def augment(batch):
    x = batch["image"]
    for layer in layers:
      x = layer(x, training=True)
    return x, batch["label"]

  iterator = iter(ds.map(augment))
  next(iterator)
  batches = max(1, args.images // BATCH)
  start = time.perf_counter()
  for _ in range(batches):
    next(iterator)
  return batches * BATCH / (time.perf_counter() - start)


def pillow_images_per_second(args, size, paths):
  from PIL import Image

  rng = np.random.default_rng(0)
  start = time.perf_counter()
  for i in range(args.images):
    with Image.open(paths[i % len(paths)]) as image:
      pixels = np.asarray(image.convert("RGB").resize((size, size), Image.BILINEAR),
                          dtype=np.float32)
    if rng.random() < 0.5:
      pixels = np.ascontiguousarray(pixels[:, ::-1])
  return args.images / (time.perf_counter() - start)


def source_files(sources, manual_dir):
  """The image files of the mix's (source, cap) pairs, real and synthetic in turn (as
  `balance: classes` draws them), each class taking one file from each source in turn."""
  by_class = {}
  for name, cap in sources:
    folder = os.path.join(manual_dir, name)
    with open(os.path.join(folder, "manifest.csv"), encoding="utf-8") as f:
      for i, row in enumerate(list(csv.DictReader(f))[:cap]):
        by_class.setdefault(row["label"], []).append((i, os.path.join(folder, row["file_name"])))
  streams = [[path for _, path in sorted(files, key=lambda f: f[0])] for files in by_class.values()]
  shortest = min(len(files) for files in streams)
  return [files[i] for i in range(shortest) for files in streams]


def in_fresh_process(function, *args):
  """function(*args) in a new interpreter: (its result, that process's peak RSS in MiB).

  Linux carries the peak RSS of the forking process over into the new one, so the caller
  keeps TensorFlow out of its own memory: every measurement starts from a small process."""
  with multiprocessing.get_context("spawn").Pool(1) as pool:
    return pool.apply(_measured, (function, *args))


def _measured(function, *args):
  result = function(*args)
  return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepared(args):
  from keras_detect import data

  mix = data.load_mix(args.mix)
  return mix, data.prepare([s.name for s in mix.sources], args.manual_dir, args.data_dir)


def _mix_sources(args):
  """The mix's (source, cap) pairs, once its sources are built; a user error's message."""
  from keras_detect.errors import UserError

  try:
    mix, _ = _prepared(args)
  except UserError as error:
    return str(error)
  return [(entry.name, entry.cap) for entry in mix.sources]


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--mix", default="photo_sd", help="shipped mix name or YAML path")
  parser.add_argument("--manual-dir", default="../shared/data")
  parser.add_argument("--data-dir", default="", help="TFDS data dir [~/tensorflow_datasets]")
  parser.add_argument("--images", type=int, default=500, help="images timed per measurement")
  parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224])
  args = parser.parse_args()

  sources, _ = in_fresh_process(_mix_sources, args)  # builds them before they are measured
  if isinstance(sources, str):
    print(f"data_pipeline: error: {sources}", file=sys.stderr)
    sys.exit(2)
  print(f"\nInput pipeline on mix '{args.mix}', {args.images} images per measurement, "
        f"batch {BATCH}, {os.cpu_count()} CPU cores")
  print("| size | pipeline | images/s | × Pillow loop | peak RSS MiB |\n|---|---|---|---|---|")
  for size in args.sizes:
    pillow, pillow_rss = in_fresh_process(pillow_images_per_second, args, size,
                                          source_files(sources, args.manual_dir))
    rows = [("Pillow loop", pillow, pillow_rss)]
    for n in range(1, len(FEATURES) + 1):
      rows.append((FEATURES[n - 1], *in_fresh_process(feature_images_per_second, args, size,
                                                      FEATURES[:n])))
    rows.append(("training pipeline (make_dataset)",
                 *in_fresh_process(training_images_per_second, args, size)))
    for name, speed, rss in rows:
      print(f"| {size} | {name} | {speed:.1f} | {speed / pillow:.2f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
  main()
