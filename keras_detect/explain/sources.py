"""Crops to explain: image files, a mix's split, or every source of the manual directory.

Files are read by `tfds_builders.image_io` (the safe decoder predict uses) and sized by the
detector's own `crop`; a file that cannot be read is reported and skipped. Dataset crops
come from `data.make_dataset` at the detector's inference scale, with no alignment, the way
evaluation sees them; `--n` examples are drawn from the sources in turn, so a few already
show every source.
"""

import dataclasses
import math
import os
import sys

import numpy as np

import tfds_builders
from keras_detect import data
from tfds_builders import image_io

BATCH_SIZE = 16


@dataclasses.dataclass
class Item:
  """One crop [S, S, 3] (0..255) and what is known of it."""
  name: str
  crop: np.ndarray
  source: str = ""
  generator: str = ""
  label: int | None = None  # 0 real, 1 synthetic, where known

  def class_name(self, card) -> str:
    """The class a mean map groups it under: real/synthetic, or the generator."""
    if self.label == 0:
      return data.REAL
    if card.task == "attribution":
      return self.generator or "synthetic"
    return "synthetic"

  def truth(self) -> dict:
    known = {"source": self.source, "generator": self.generator,
             "true_label": None if self.label is None else ("real", "synthetic")[self.label]}
    return {k: v for k, v in known.items() if v}


def file_items(detector, paths, max_bytes=image_io.MAX_BYTES, max_pixels=image_io.MAX_PIXELS,
               report=True) -> list:
  """Items for readable files; each unreadable one is reported (stderr) and skipped."""
  items = []
  for path in paths:
    try:
      pixels = image_io.decode(image_io.read_bytes(path, max_bytes), max_pixels).pixels
    except image_io.BadImage as reason:
      if report:
        print(f"Skipped {path}: {reason}", file=sys.stderr)
      continue
    items.append(Item(path, detector.crop(pixels)))
  return items


def dataset_items(mix, builders: dict, split: str, n: int, card,
                  batch_size: int = BATCH_SIZE) -> list:
  """Up to n items of the split, drawn from the mix's sources in turn."""
  per_source = [_source_items(entry, builders, split, math.ceil(n / len(mix.sources)), card,
                              batch_size) for entry in mix.sources]
  interleaved = [item for group in _round_robin(per_source) for item in group]
  return interleaved[:n]


def shared_sources(manual_dir: str) -> list:
  """Every builder with a source folder in `manual_dir` (image_folder reads no such folder)."""
  return [name for name in tfds_builders.builder_names()
          if name not in data.FOLDER_BUILDERS and os.path.isdir(os.path.join(manual_dir, name))]


def source_items(name: str, builders: dict, split: str, n: int, card,
                 batch_size: int = BATCH_SIZE) -> list:
  """Up to n items of one source's split."""
  return _source_items(data.SourceEntry(name), builders, split, n, card, batch_size)


def _source_items(entry, builders, split, n, card, batch_size):
  if data.split_size(builders[entry.name], split, entry.cap) == 0:
    return []
  mix = data.Mix(name=entry.name, sources=(entry,))
  ds = data.make_dataset(mix, builders, split, image_size=card.image_size,
                         batch_size=batch_size, policy="short_side_crop", align=False,
                         short_side=card.short_side)
  items = []
  for batch in ds.take(math.ceil(n / batch_size)).as_numpy_iterator():
    for i in range(len(batch["image"])):
      key = batch["file_name"][i].decode().removesuffix("#")  # file#tile, "" when untiled
      items.append(Item(f"{entry.name}/{key}", batch["image"][i],
                        source=batch["source"][i].decode(),
                        generator=batch["generator"][i].decode(), label=int(batch["label"][i])))
  return items[:n]


def _round_robin(groups):
  for position in range(max((len(g) for g in groups), default=0)):
    yield [g[position] for g in groups if position < len(g)]
