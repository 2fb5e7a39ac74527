"""What a mix holds: counts per split and label, and how the classes differ in format and size."""

from collections import Counter, defaultdict

import numpy as np
import tensorflow_datasets as tfds

from tfds_builders.base import CLASS_NAMES

TRAIT_KEYS = ("original_format", "original_width", "original_height", "jpeg_quality")


def file_traits(builders: dict) -> dict:
  """source → list of (split, label, format, width, height, jpeg_quality), images not decoded."""
  traits = defaultdict(list)
  for name, builder in builders.items():
    for split in builder.info.splits:
      ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
      ds = ds.map(lambda x: (x["label"],) + tuple(x[k] for k in TRAIT_KEYS))
      for label, fmt, width, height, quality in ds.as_numpy_iterator():
        traits[name].append((split, CLASS_NAMES[label], fmt.decode(), int(width), int(height),
                             int(quality)))
  return traits


def count_table(traits: dict) -> str:
  """Markdown table: examples per source by split and label."""
  lines = ["| source | train | validation | test | real | synthetic |", "|---|---|---|---|---|---|"]
  for name, rows in sorted(traits.items()):
    splits = Counter(r[0] for r in rows)
    labels = Counter(r[1] for r in rows)
    lines.append(f"| {name} | {splits['train']} | {splits['validation']} | {splits['test']} "
                 f"| {labels['real']} | {labels['synthetic']} |")
  return "\n".join(lines)


def describe(rows: list) -> dict:
  formats = Counter(r[2] for r in rows)
  widths = np.array([r[3] for r in rows])
  heights = np.array([r[4] for r in rows])
  qualities = np.array([r[5] for r in rows if r[5] >= 0])
  return {
      "examples": len(rows),
      "formats": dict(formats),
      "width": (int(widths.min()), int(widths.max())) if len(rows) else None,
      "height": (int(heights.min()), int(heights.max())) if len(rows) else None,
      "jpeg_quality": (int(qualities.min()), int(qualities.max())) if len(qualities) else None,
  }


def side_differences(traits: dict) -> tuple:
  """Per class: format/size/quality summary, and the traits that differ between classes."""
  sides = {label: describe([r for rows in traits.values() for r in rows if r[1] == label])
           for label in CLASS_NAMES}
  real, fake = sides["real"], sides["synthetic"]
  warnings = []
  if real["examples"] and fake["examples"]:
    if set(real["formats"]) != set(fake["formats"]):
      warnings.append(f"formats differ: real {real['formats']} vs synthetic {fake['formats']}")
    for key in ("width", "height", "jpeg_quality"):
      if real[key] != fake[key]:
        warnings.append(f"{key} differs: real {real[key]} vs synthetic {fake[key]}")
  return sides, warnings


def save_sample_grid(builder, path: str, n: int = 16, split: str = "train") -> str:
  """A PNG of the first n examples of a source, titled with label and generator."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  split = split if split in builder.info.splits else next(iter(builder.info.splits))
  examples = list(builder.as_dataset(split=split).take(n).as_numpy_iterator())
  cols = min(8, len(examples))
  rows = -(-len(examples) // cols)
  fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 2.0 * rows), squeeze=False)
  for ax in axes.flat:
    ax.axis("off")
  for ax, ex in zip(axes.flat, examples):
    ax.imshow(ex["image"])
    title = ex["generator"].decode() or CLASS_NAMES[ex["label"]]
    ax.set_title(f"{title}\n{ex['original_width']}×{ex['original_height']}", fontsize=6)
  fig.suptitle(builder.name, fontsize=9)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path
