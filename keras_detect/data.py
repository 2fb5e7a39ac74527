"""Mixes of TFDS sources → tf.data pipelines for training and evaluation.

A mix is data (keras_detect/mixes/<name>.yaml, shipped with the package): sources by builder name with optional caps and
sampling weights, a class-balancing rule and an optional `align` block. The pipeline loads
the sources with TFDS, relabels them (binary or generator attribution), balances classes
for training, aligns formats, crops or resizes, batches and prefetches. Every element is a
dict that keeps `source`, `generator` and `file_name`, so evaluation can break results down.
"""

import math
import os
from collections import Counter
import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Optional

import tensorflow as tf
import tensorflow_datasets as tfds
import yaml

import tfds_builders
from keras_detect import files, preprocessing
from keras_detect.align import AlignSpec, align_jpeg
from keras_detect.errors import UserError
from tfds_builders.base import BadSource, MissingManualDir

MIX_DIR = Path(__file__).resolve().parent / "mixes"
REAL = "real"
SHUFFLE_BUFFER = 256
SOURCE_SHARES = {"size": 1.0, "sqrt": 0.5}  # mix.source_share → exponent of a source's size
MIX_KEYS = ("description", "sources", "weights", "balance", "source_share", "align", "base")


@dataclass(frozen=True)
class SourceEntry:
  name: str
  cap: Optional[int] = None  # at most this many examples in all, each split its share
  weight: float = 1.0  # sampling weight within its class, per example
  folder: Optional[str] = None  # the image tree an `image_folder` entry reads


ENTRY_KEYS = tuple(f.name for f in fields(SourceEntry))
# Builders that read one user tree rather than a source folder of the manual directory.
FOLDER_BUILDERS = ("image_folder",)


@dataclass(frozen=True)
class Mix:
  name: str
  sources: tuple
  balance: str = "classes"  # classes: equal class shares in training batches | none
  align: Optional[AlignSpec] = None
  source_share: str = "size"  # a source's share of its class: ∝ size | ∝ sqrt(size)
  description: str = ""


@dataclass
class Census:
  """Per source and split: how many examples of each (label, generator)."""

  counts: dict = field(default_factory=dict)  # (source, split) → Counter[(label, generator)]

  def generators(self) -> list:
    return sorted({g for c in self.counts.values() for (label, g) in c if g})

  def class_names(self) -> list:
    return [REAL] + self.generators()


def list_mixes() -> list:
  return sorted(p.stem for p in MIX_DIR.glob("*.yaml"))


def load_mix(name_or_path: str) -> Mix:
  path = _mix_path(name_or_path)
  values = _mix_values(path, ())
  known = set(tfds_builders.builder_names())
  sources = []
  for number, item in enumerate(values.get("sources") or [], start=1):
    sources.append(_source_entry(item, f"{path}: source {number}", known))
  if not sources:
    raise UserError(f"{path}: the mix lists no sources")
  sources = _reweighted(sources, values.get("weights") or {}, path)
  align = values.get("align")
  share = values.get("source_share", "size")
  if share not in SOURCE_SHARES:
    raise UserError(f"{path}: source_share must be one of {', '.join(SOURCE_SHARES)}, "
                    f"not {share!r}")
  return Mix(name=path.stem, sources=tuple(sources), balance=values.get("balance", "classes"),
             align=AlignSpec.from_dict(align, str(path)) if align else None,
             description=values.get("description", ""), source_share=share)


def _mix_path(name_or_path: str) -> Path:
  path = Path(name_or_path)
  if not path.suffix:
    path = MIX_DIR / f"{name_or_path}.yaml"
  if not path.is_file():
    raise UserError(f"Unknown mix '{name_or_path}'. Shipped mixes: {', '.join(list_mixes())}; "
                    "or pass a path to a mix YAML file.")
  return path


def _mix_values(path: Path, seen: tuple) -> dict:
  """The file's keys over those of its `base:` mix (a shipped name or a path), if any."""
  values = yaml.safe_load(path.read_text()) or {}
  unknown = set(values) - set(MIX_KEYS)
  if unknown:
    raise UserError(f"{path}: unknown keys {sorted(unknown)}")
  if "base" not in values:
    return values
  base = _mix_path(str(values.pop("base")))
  if base.resolve() in seen:
    raise UserError(f"{path}: `base:` leads back to {base} (a loop)")
  return {**_mix_values(base, seen + (path.resolve(),)), **values}


def _source_entry(item, where: str, known: set) -> SourceEntry:
  item = {"name": item} if isinstance(item, str) else dict(item)
  unknown = sorted(set(item) - set(ENTRY_KEYS))
  if unknown:
    raise UserError(f"{where}: unknown key(s) {unknown}; a source entry takes "
                    f"{', '.join(ENTRY_KEYS)}.")
  name = item.get("name")
  if name not in known:
    raise UserError(f"{where}: unknown source '{name}'. Builders: {', '.join(sorted(known))}")
  if (name in FOLDER_BUILDERS) != bool(item.get("folder")):
    raise UserError(f"{where}: `folder:` is required for {', '.join(FOLDER_BUILDERS)} (the "
                    "image tree it reads, laid out as real/ and one folder per generator) "
                    "and taken by no other source.")
  return SourceEntry(**item)


def _reweighted(sources: list, weights: dict, path: Path) -> list:
  """`weights: {name: w}` sets the sampling weight of listed sources (with `base:`, without
  copying the base's source list)."""
  if not isinstance(weights, dict):
    raise UserError(f"{path}: weights must map source names to numbers, e.g. {{coco_real: 4}}")
  unknown = sorted(set(weights) - {s.name for s in sources})
  if unknown:
    raise UserError(f"{path}: weights names sources the mix does not list: {unknown}")
  for name, weight in weights.items():
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
      raise UserError(f"{path}: the weight of {name} must be a positive number, not {weight!r}")
  return [dataclasses.replace(s, weight=float(weights[s.name])) if s.name in weights else s
          for s in sources]


def eval_short_side(data_config, mix: Mix) -> float:
  """The short_side_crop scale of a run: its config's, else the middle of its mix's range."""
  if data_config.eval_short_side:
    return data_config.eval_short_side
  if mix.align and not mix.align.short_side and mix.align.downscale == (1.0, 1.0):
    return preprocessing.NATIVE_SHORT_SIDE  # trained on native-resolution crops
  return preprocessing.eval_short_side(mix.align.short_side if mix.align else None)


def write_mix(mix: Mix, sources: list, path: str, description: str) -> str:
  """A mix file with `sources` and the rest of `mix` (balance, shares, align); returns its
  path."""
  values = {"description": description,
            "sources": [{k: v for k, v in dataclasses.asdict(s).items() if v is not None}
                        for s in sources],
            "balance": mix.balance, "source_share": mix.source_share}
  if mix.align is not None:
    values["align"] = mix.align.to_dict()
  return files.write_text(path, yaml.safe_dump(values, sort_keys=False))


def default_data_dir() -> str:
  return os.environ.get("KERAS_DETECT_DATA_DIR") or os.path.expanduser("~/tensorflow_datasets")


def prepare(sources, manual_dir: str, data_dir: str = "") -> dict:
  """Builds and returns the TFDS builders of the sources (names or SourceEntry).

  A build is reused while its folder is unchanged; the builders rebuild one whose
  folder changed (see tfds_builders.base)."""
  builders = {}
  for source in sources:
    entry = SourceEntry(source) if isinstance(source, str) else source
    name, folder = entry.name, entry.folder or manual_dir
    config = tfds.download.DownloadConfig(manual_dir=os.path.abspath(folder))
    builder = tfds.builder(name, data_dir=data_dir or default_data_dir())
    try:
      builder.download_and_prepare(download_config=config)
    except MissingManualDir as error:
      raise UserError(f"{error} Pass --manual-dir with the folder that holds '{name}/'.") from None
    except BadSource as error:
      raise UserError(str(error)) from None
    except AssertionError as error:  # TFDS asserts that the manual dir exists
      if "Manual directory" not in str(error):
        raise
      raise UserError(f"No image data for '{name}' at {os.path.abspath(manual_dir)}: put the "
                      "source folders there (as in ../shared/data) or pass --manual-dir.") from None
    builders[name] = builder
  return builders


def census(builders: dict) -> Census:
  """Counts labels and generators per source and split (images are not decoded)."""
  result = Census()
  for name, builder in builders.items():
    for split in builder.info.splits:
      ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
      ds = ds.map(lambda x: (x["label"], x["generator"]))
      result.counts[(name, split)] = Counter(
          (int(label), generator.decode()) for label, generator in ds.as_numpy_iterator())
  return result


def split_size(builder, split: str, cap: Optional[int]) -> int:
  if split not in builder.info.splits:
    return 0
  n = builder.info.splits[split].num_examples
  if cap is None:
    return n
  total = sum(s.num_examples for s in builder.info.splits.values())
  return min(n, math.ceil(cap * n / total))


def raw_examples(mix: Mix, builders: dict, split: str) -> dict:
  """source name → (dataset of undecoded examples, number of examples)."""
  out = {}
  for entry in mix.sources:
    n = split_size(builders[entry.name], split, entry.cap)
    if n:
      ds = builders[entry.name].as_dataset(split=split,
                                           decoders={"image": tfds.decode.SkipDecoding()})
      out[entry.name] = (ds.take(n), n)
  return out


def make_dataset(mix: Mix, builders: dict, split: str, *, image_size: int, batch_size: int,
                 policy: str = "center_crop", training: bool = False, align: bool = True,
                 seed: int = 0, counts: Optional[Census] = None, transform=None,
                 short_side: float = preprocessing.DEFAULT_SHORT_SIDE) -> tf.data.Dataset:
  """Batches of {"image": float32 [B,S,S,3] in 0..255, "label", "source", "generator", "file_name"}.

  Training: endless, class-balanced (mix.balance), shuffled; needs `counts` (a census).
  Otherwise: every example once, in a fixed order, with deterministic alignment, so
  evaluations repeat exactly. `transform(uint8 [H,W,3]) -> uint8 [H,W,3]`, when given, acts
  on each image right after decoding, before alignment and sizing (e.g. a format swap).
  `short_side` is the scale of the short_side_crop policy (the run's eval_short_side).
  """
  parts = raw_examples(mix, builders, split)
  if not parts:
    raise UserError(f"Mix '{mix.name}' has no '{split}' examples.")
  spec = mix.align if align else None
  if training:
    ds = _balanced(mix, parts, counts or census(builders), split, seed)
  else:
    ds = None
    for part, _ in parts.values():
      ds = part if ds is None else ds.concatenate(part)
  ds = ds.enumerate().map(
      lambda i, x: _prepare_example(x, i, image_size, policy, spec, seed, training, transform,
                                    short_side),
      num_parallel_calls=tf.data.AUTOTUNE, deterministic=not training)
  ds = ds.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)
  return ds.with_options(_sharded_by_data())


def _sharded_by_data() -> tf.data.Options:
  """Several workers (tf.distribute.MultiWorkerMirroredStrategy) shard by DATA: each runs
  the whole pipeline and keeps its slice of every global batch of `batch_size`. Sharding
  by FILE would give each worker whole TFRecord files, that is whole sources (the shared
  ones have one file a split, fewer than the workers), and so its own class shares. In training the
  parallel map may order elements differently on each worker, so a step may see an
  example twice and miss another: the stream is an endless random draw either way."""
  options = tf.data.Options()
  options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
  return options


def number_of_examples(mix: Mix, builders: dict, split: str) -> int:
  return sum(n for _, n in raw_examples(mix, builders, split).values())


def to_supervised(ds: tf.data.Dataset, task: str, class_names: list) -> tf.data.Dataset:
  """Maps dict batches to (image, target) for Keras: binary label, class index, or both."""
  table = tf.lookup.StaticHashTable(
      tf.lookup.KeyValueTensorInitializer(tf.constant(class_names), tf.range(len(class_names))),
      default_value=-1)

  def targets(batch):
    binary = tf.cast(batch["label"], tf.float32)
    generator = tf.where(batch["label"] == 0, REAL, batch["generator"])
    attribution = table.lookup(generator)
    if task == "binary":
      return batch["image"], binary
    if task == "attribution":
      return batch["image"], attribution
    return batch["image"], {"binary": binary, "attribution": attribution}

  return ds.map(targets, num_parallel_calls=tf.data.AUTOTUNE)


def _balanced(mix: Mix, parts: dict, counts: Census, split: str, seed: int) -> tf.data.Dataset:
  """Endless stream: classes in equal shares, sources within a class by weight × size (or
  × √size, mix.source_share: small sources drawn more often, large ones less)."""
  weights = {e.name: e.weight for e in mix.sources}
  exponent = SOURCE_SHARES[mix.source_share]
  by_class = {}
  for offset, (name, (ds, n)) in enumerate(sorted(parts.items())):
    labels = Counter()
    for (label, _), k in counts.counts.get((name, split), Counter()).items():
      labels[label] += k
    total = sum(labels.values()) or 1
    for label, k in labels.items():  # only labels present: an empty stream never ends
      labelled = ds.filter(lambda x, label=label: x["label"] == label)
      stream = labelled.repeat().shuffle(SHUFFLE_BUFFER, seed=seed + offset)
      by_class.setdefault(label, []).append((stream, weights[name] * (n * k / total) ** exponent))
  class_streams, class_sizes = [], []
  for label, streams in sorted(by_class.items()):
    total = sum(w for _, w in streams)
    class_sizes.append(total)
    class_streams.append(tf.data.Dataset.sample_from_datasets(
        [s for s, _ in streams], [w / total for _, w in streams], seed=seed + label))
  if mix.balance == "classes":
    shares = [1.0 / len(class_streams)] * len(class_streams)
  else:
    shares = [size / sum(class_sizes) for size in class_sizes]
  return tf.data.Dataset.sample_from_datasets(class_streams, shares, seed=seed)


def example_seed(key, index, seed, training):
  """The seed of an example's alignment and crop (also used by `keras-detect audit`)."""
  # A hash of the example (fixed in evaluation) and, in training, the position in
  # the stream, so each epoch draws new crops and qualities.
  return tf.stack([tf.strings.to_hash_bucket_fast(key, 2 ** 31 - 1),
                   tf.cast(seed, tf.int64) + (index if training else 0)])


def _prepare_example(x, index, image_size, policy, spec, seed, training, transform, short_side):
  key = x["file_name"] + "#" + x["tile"]
  seeds = example_seed(key, index, seed, training)
  image = preprocessing.decode_image(x["image"])
  if transform is not None:
    image = transform(image)
  if spec is not None:
    image = preprocessing.decode_image(align_jpeg(image, spec, image_size, seeds))
  image = preprocessing.fit_to_size(image, image_size, policy, seed=seeds, short_side=short_side)
  return {"image": image, "label": x["label"], "source": x["source"],
          "generator": x["generator"], "file_name": key}


if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("data")
