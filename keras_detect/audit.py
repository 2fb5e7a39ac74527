"""Can the file alone tell the classes of a mix apart? A shortcut audit.

Real and synthetic sources often differ in container, size and JPEG quality; a detector
learns those instead of the images. The audit fits two small classifiers on traits that
are not image content — format, width, height, bytes per pixel, estimated JPEG quality,
chroma subsampling, EXIF — and reports their cross-validated ROC-AUC for the whole mix
and for each source against the other class. Folds are grouped by the `group` feature,
so a photo and its fakes, or the tiles of one grid, never straddle train and test.

Unaligned, the traits come from the stored TFDS examples (no image is decoded). With
`aligned=True` they come from the JPEG bytes `align.align_jpeg` makes of each example with
the seeds `data.make_dataset` uses in evaluation: what the model is actually fed.
"""

import hashlib
import os
from collections import Counter
from typing import Optional

import keras
import numpy as np
import tensorflow as tf
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from keras_detect import data, preprocessing
from keras_detect.align import align_jpeg
from keras_detect.errors import UserError
from tfds_builders import image_io
from tfds_builders.base import CLASS_NAMES, SPLITS

TRAITS = ("format", "width", "height", "bytes_per_pixel", "jpeg_quality",
          "chroma_subsampling", "has_exif")
CATEGORICAL = ("format", "chroma_subsampling", "has_exif")
# Trait → feature of the stored TFDS example it is read from.
STORED = {"format": "original_format", "width": "original_width", "height": "original_height",
          "bytes_per_pixel": "original_bytes_per_pixel", "jpeg_quality": "jpeg_quality",
          "chroma_subsampling": "chroma_subsampling", "has_exif": "has_exif"}
MODELS = ("logistic_regression", "gradient_boosting")
THRESHOLD = 0.6  # above this AUC, file traits alone are a usable shortcut
TOP = 3


# --- reading the traits of a mix ------------------------------------------------------

def read_mix(mix: data.Mix, builders: dict, *, max_per_source: int = 400, aligned: bool = False,
             image_size: int = 128, seed: int = 0, verbose: bool = True) -> list:
  """One record per example (source, label, group, key and the TRAITS), at most
  `max_per_source` per source, chosen by a hash of the example (the same every run)."""
  if aligned and mix.align is None:
    raise UserError(f"Mix '{mix.name}' has no align block: training feeds the original files, "
                    "so the unaligned audit is the one that applies. Add an `align:` block "
                    "(see keras_detect/mixes/README.md) to align it.")
  records = _select(_stored_records(mix, builders), max_per_source)
  if aligned:
    _replace_with_aligned_traits(records, mix, builders, image_size, seed, verbose)
  return records


def _stored_records(mix, builders) -> list:
  records = []
  for split in SPLITS:  # the examples training and evaluation draw from (mix caps applied)
    for name, (ds, _) in data.raw_examples(mix, builders, split).items():
      ds = ds.map(lambda x: {k: x[k] for k in ("label", "group", "file_name", "tile",
                                               *STORED.values())})
      for x in ds.as_numpy_iterator():
        record = {"source": name, "label": int(x["label"]), "group": x["group"].decode(),
                  "key": x["file_name"].decode() + "#" + x["tile"].decode()}
        for trait, feature in STORED.items():
          value = x[feature]
          record[trait] = value.decode() if isinstance(value, bytes) else value.item()
        records.append(record)
  return records


def _select(records: list, max_per_source: int) -> list:
  def rank(record):
    return hashlib.sha256(record["key"].encode()).hexdigest()

  kept = []
  for source in sorted({r["source"] for r in records}):
    kept += sorted((r for r in records if r["source"] == source), key=rank)[:max_per_source]
  return kept


def _replace_with_aligned_traits(records, mix, builders, image_size, seed, verbose):
  wanted = {r["source"] + "/" + r["key"]: r for r in records}
  table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
      tf.constant(list(wanted)), tf.ones(len(wanted), tf.int32)), default_value=0)
  parts = [ds for split in SPLITS for ds, _ in data.raw_examples(mix, builders, split).values()]
  ds = parts[0]
  for part in parts[1:]:
    ds = ds.concatenate(part)
  ds = ds.filter(
      lambda x: table.lookup(x["source"] + "/" + x["file_name"] + "#" + x["tile"]) > 0)
  ds = ds.map(lambda x: aligned_bytes(x, mix.align, image_size, seed),
              num_parallel_calls=tf.data.AUTOTUNE)
  progress = keras.utils.Progbar(len(wanted), unit_name="image", verbose=1 if verbose else 0)
  for source, key, encoded in ds.as_numpy_iterator():
    traits = image_io.decode(encoded).traits
    wanted[source.decode() + "/" + key.decode()].update(
        {trait: getattr(traits, trait) for trait in TRAITS})
    progress.add(1)


def aligned_bytes(x, spec, image_size: int, seed: int = 0):
  """(source, key, JPEG bytes) of an undecoded example, aligned as in evaluation batches."""
  key = x["file_name"] + "#" + x["tile"]
  image = preprocessing.decode_image(x["image"])
  seeds = data.example_seed(key, 0, seed, training=False)
  return x["source"], key, align_jpeg(image, spec, image_size, seeds)


# --- the audit proper: plain records in, a JSON-ready dict out --------------------------

def feature_matrix(traits: list) -> tuple:
  """Trait dicts → (float matrix, column names, trait → column indices), categories one-hot."""
  columns, names, by_trait = [], [], {}
  for trait in TRAITS:
    values = [t[trait] for t in traits]
    if trait in CATEGORICAL and trait != "has_exif":
      categories = sorted(set(values))
    else:
      categories = [None]
    by_trait[trait] = list(range(len(names), len(names) + len(categories)))
    for category in categories:
      names.append(trait if category is None else f"{trait}={category or 'none'}")
      columns.append(values if category is None else [v == category for v in values])
  return np.asarray(columns, dtype=np.float64).T, names, by_trait


def audit(traits: list, labels, groups=None, sources=None, *, folds: int = 5, seed: int = 0,
          verbose: bool = False) -> dict:
  """Cross-validated AUCs of file traits for real (0) vs synthetic (1): the whole set, each
  source against the other class (when `sources` are given), and the most telling traits."""
  labels = np.asarray(labels, dtype=np.int64)
  if set(np.unique(labels)) != {0, 1}:
    raise UserError("The audit needs real and synthetic examples; this mix holds one class only.")
  groups = np.asarray(groups if groups is not None else np.arange(len(labels)), dtype=object)
  x, _, by_trait = feature_matrix(traits)
  comparisons = [("whole mix", np.ones(len(labels), bool))]
  if sources is not None:
    comparisons += _pairs(labels, np.asarray(sources, dtype=object))
  progress = keras.utils.Progbar(len(comparisons) + len(TRAITS),
                                 verbose=1 if verbose else 0)
  rows = []
  for name, mask in comparisons:
    row = {"comparison": name, "real": int((labels[mask] == 0).sum()),
           "synthetic": int((labels[mask] == 1).sum())}
    for model in MODELS:
      row[model] = cross_validated_auc(_model(model, seed), x[mask], labels[mask], groups[mask],
                                       folds, seed)
    rows.append(row)
    progress.add(1)
  top = []
  for trait, columns in by_trait.items():
    auc = cross_validated_auc(_model("gradient_boosting", seed), x[:, columns], labels, groups,
                              folds, seed)
    top.append({"trait": trait, "auc": auc,
                "summary": describe_trait(trait, [t[trait] for t in traits], labels)})
    progress.add(1)
  top.sort(key=lambda t: -(t["auc"] or 0))
  return {"examples": {"real": int((labels == 0).sum()), "synthetic": int((labels == 1).sum())},
          "folds": folds, "comparisons": rows, "top_traits": top[:TOP]}


def cross_validated_auc(model, x, y, groups, folds: int, seed: int) -> Optional[float]:
  """ROC-AUC of out-of-fold scores; None when a class has fewer than two groups."""
  per_class = min(len(set(groups[y == label])) for label in (0, 1))
  n_splits = min(folds, per_class)
  if n_splits < 2:
    return None
  cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
  # One OpenMP thread: these fits are small, and on a busy machine the gradient boosting's
  # spinning threads made them a hundred times slower.
  with threadpool_limits(1, user_api="openmp"):
    scores = cross_val_predict(model, x, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
  return float(roc_auc_score(y, scores))


def _model(name: str, seed: int):
  if name == "logistic_regression":
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
  return HistGradientBoostingClassifier(random_state=seed)


def _pairs(labels, sources) -> list:
  """Each source against every source of the other class (skipped where that is the whole
  mix); a source that holds both classes counts as two, e.g. 'x (real)' and 'x (synthetic)'."""
  both = {s for s in set(sources) if len(set(labels[sources == s])) == 2}
  sides = np.array([f"{s} ({CLASS_NAMES[l]})" if s in both else s
                    for s, l in zip(sources, labels)], dtype=object)
  pairs = []
  for label in (1, 0):
    names = sorted(set(sides[labels == label]))
    if len(names) < 2:
      continue
    other = CLASS_NAMES[1 - label]
    for name in names:
      pairs.append((f"{name} vs all {other}", (sides == name) | (labels != label)))
  return pairs


def describe_trait(trait: str, values: list, labels) -> str:
  """How the classes differ in one trait, in words: shares of a category or medians."""
  labels = np.asarray(labels)
  if trait in CATEGORICAL:
    shares = {c: [np.mean([v == c for v, l in zip(values, labels) if l == label])
                  for label in (0, 1)] for c in set(values)}
    category, (real, fake) = max(shares.items(), key=lambda kv: abs(kv[1][0] - kv[1][1]))
    category = "none" if category == "" else category
    return f"{trait}={category}: {real:.0%} of real, {fake:.0%} of synthetic"
  values = np.asarray(values, dtype=np.float64)
  note = ""
  if trait == "jpeg_quality":  # -1 marks files that are not JPEG
    labels, values, note = labels[values >= 0], values[values >= 0], " (JPEG files)"
  parts = []
  for label in (0, 1):
    side = values[labels == label]
    if len(side) == 0:
      parts.append(f"{CLASS_NAMES[label]}: none")
      continue
    low, median, high = np.percentile(side, [10, 50, 90])
    parts.append(f"{CLASS_NAMES[label]} median {median:.4g} (10–90%: {low:.4g}–{high:.4g})")
  return f"{trait}{note}: " + ", ".join(parts)


def warning(report: dict, aligned: bool = False) -> Optional[str]:
  """A WARNING line when some comparison's AUC is above THRESHOLD, naming the traits."""
  high = []
  for row in report["comparisons"]:
    aucs = [row[m] for m in MODELS if row[m] is not None]
    if aucs and max(aucs) > THRESHOLD:
      high.append((row["comparison"], max(aucs)))
  if not high:
    return None
  high = high[:1] + sorted(high[1:], key=lambda h: -h[1])  # the whole mix, then the worst
  where = "; ".join(f"{name} {auc:.2f}" for name, auc in high[:4])
  where += f"; {len(high) - 4} more" if len(high) > 4 else ""
  traits = [t["trait"] for t in report["top_traits"] if (t["auc"] or 0) > THRESHOLD]
  traits = ", ".join(traits or [t["trait"] for t in report["top_traits"][:1]])
  if aligned:
    return (f"WARNING: even after alignment, file traits tell real from synthetic (AUC {where}), "
            f"mainly through {traits}. Aligned files share format, size and quality range, so "
            "what is left is how many bytes a crop needs: how much fine detail it holds "
            "(sources at different scales, flat low-contrast fakes). A detector can see that "
            "too: bring the sources to one scale (the align block's short_side, "
            "--image-size) or rebalance them, and audit again.")
  return (f"WARNING: file traits alone tell real from synthetic (AUC {where}), mainly through "
          f"{traits}. A detector trained on these files can learn that instead of the images: "
          "keep alignment on (the mix's align block, see keras_detect/mixes/README.md) and check it "
          "with `keras-detect audit MIX --aligned`.")


# --- a mix end to end: read, audit, figure --------------------------------------------

def audit_mix(mix_name: str, manual_dir: str, data_dir: str = "", *, aligned: bool = False,
              image_size: int = 128, max_per_source: int = 400, folds: int = 5,
              figure: str = "", seed: int = 0, verbose: bool = True) -> dict:
  """Builds (once) and audits a mix; returns the report and saves the histogram figure."""
  if folds < 2:
    raise UserError("--folds must be at least 2")
  if max_per_source < 1:
    raise UserError("--max-per-source must be at least 1")
  if image_size < 16:
    raise UserError("--image-size must be at least 16 (use the training config's image_size)")
  if not os.path.isdir(manual_dir):
    raise UserError(f"No data at {manual_dir}: put one folder per source there "
                    "(as in ../shared/data) or pass --manual-dir.")
  mix = data.load_mix(mix_name)
  builders = data.prepare([s.name for s in mix.sources], manual_dir, data_dir)
  records = read_mix(mix, builders, max_per_source=max_per_source, aligned=aligned,
                     image_size=image_size, seed=seed, verbose=verbose)
  labels = [r["label"] for r in records]
  report = audit(records, labels, [r["group"] for r in records], [r["source"] for r in records],
                 folds=folds, seed=seed, verbose=verbose)
  report = {"mix": mix.name, "aligned": aligned, "image_size": image_size if aligned else None,
            "align": mix.align.to_dict() if aligned else None,
            "max_per_source": max_per_source, **report}
  report["warning"] = warning(report, aligned)
  kind = "aligned" if aligned else "files"
  figure = figure or os.path.join("runs", "audit", f"{mix.name}_{kind}.png")
  report["figure"] = save_figure(records, labels, report["top_traits"][:2], figure,
                                 f"{mix.name} ({'aligned' if aligned else 'files as stored'})")
  return report


def format_table(report: dict) -> str:
  """Markdown table of the AUCs, then the most telling traits."""
  def auc(value):
    return "n/a" if value is None else f"{value:.3f}"

  lines = ["| comparison | real | synthetic | logistic regression AUC | gradient boosting AUC |",
           "|---|---|---|---|---|"]
  for row in report["comparisons"]:
    lines.append(f"| {row['comparison']} | {row['real']} | {row['synthetic']} "
                 f"| {auc(row['logistic_regression'])} | {auc(row['gradient_boosting'])} |")
  lines.append("\nMost telling traits (cross-validated AUC of each trait alone):")
  for i, trait in enumerate(report["top_traits"], 1):
    lines.append(f"  {i}. [AUC {auc(trait['auc'])}] {trait['summary']}")
  return "\n".join(lines)


def save_figure(records: list, labels, top_traits: list, path: str, title: str) -> str:
  """Histograms per class of the most telling traits (categories as bars of shares)."""
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  labels = np.asarray(labels)
  fig, axes = plt.subplots(1, len(top_traits), figsize=(4.6 * len(top_traits), 3.4),
                           squeeze=False)
  for ax, trait in zip(axes[0], top_traits):
    values = [r[trait["trait"]] for r in records]
    if trait["trait"] in CATEGORICAL:
      _category_bars(ax, values, labels)
    else:
      _histograms(ax, np.asarray(values, dtype=np.float64), labels)
    ax.set_title(f"{trait['trait']} (AUC {trait['auc'] or 0:.2f})", fontsize=9)
    if trait["trait"] == "jpeg_quality":
      ax.set_xlabel("-1: not a JPEG", fontsize=7)
    ax.legend(fontsize=7)
  fig.suptitle(title, fontsize=10)
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def _histograms(ax, values, labels):
  bins = np.histogram_bin_edges(values, bins=30)
  for label in (0, 1):
    ax.hist(values[labels == label], bins=bins, alpha=0.55, density=True,
            label=CLASS_NAMES[label])
  ax.set_ylabel("density")


def _category_bars(ax, values, labels):
  categories = sorted({str(v) for v in values})
  width = 0.4
  for offset, label in ((-width / 2, 0), (width / 2, 1)):
    counts = Counter(str(v) for v, l in zip(values, labels) if l == label)
    total = sum(counts.values()) or 1
    ax.bar(np.arange(len(categories)) + offset, [counts[c] / total for c in categories], width,
           label=CLASS_NAMES[label])
  ax.set_xticks(np.arange(len(categories)), [c or "none" for c in categories], fontsize=7)
  ax.set_ylabel("share of class")


if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("audit")
