"""What `keras-detect explain` writes: a panel and scores per image, a model comparison,
the sanity check, and the two dataset views. Each function takes loaded detectors
(`inference.Detector`) and `sources.Item`s and writes into `out_dir`.
"""

import os
import re

import keras
import numpy as np

from keras_detect import data, explain, files
from keras_detect.errors import UserError
from keras_detect.explain import panels, sanity, sources, targets, views

SCORES = "scores.json"
PANELS_PER_ROW = 6


def check_methods(detector, methods) -> None:
  """A UserError now, not after an hour: a model without Keras layers, or CAMs without a
  conv layer."""
  if detector.keras_model is None:
    raise UserError(f"{detector.card.name} has no Keras model to explain (an exported model "
                    f"keeps it as assets/detector.keras): export it again or pass its run "
                    "directory.")
  crop = np.zeros((detector.card.image_size, detector.card.image_size, 3), np.float32)
  target = targets.target_for(detector.keras_model, detector.card, crop)
  for method in methods:
    explain.method_named(method)
    if method in explain.CAM_METHODS:
      targets.conv_layer(target, method)


def explain_items(detectors, items_per_detector, methods, out_dir: str,
                  options=None) -> list:
  """One panel per image (a row per detector) and scores.json; returns its records."""
  os.makedirs(out_dir, exist_ok=True)
  records = []
  bar = keras.utils.Progbar(len(items_per_detector[0]), unit_name="image")
  for number, items in enumerate(zip(*items_per_detector)):
    rows, results = [], []
    for detector, item in zip(detectors, items):
      scores = _scores(detector, item.crop)
      explained = targets.target_for(detector.keras_model, detector.card, item.crop).label
      maps = {m: _map(detector, item.crop, m, options) for m in methods}
      label = detector.card.name if len(detectors) > 1 else ""
      caption = f"{panels.caption(scores)}\nmaps: {explained}"
      rows.append(panels.explanation_row(item.crop, caption, maps, label))
      results.append({"model": detector.card.name, **scores, "explained": explained})
    panel = f"{number:03d}_{_file_stem(items[0].name)}.png"
    panels.grid(rows, os.path.join(out_dir, panel), title=_short(items[0].name))
    records.append({"image": items[0].name, **items[0].truth(), "panel": panel,
                    "methods": list(methods), "models": results})
    bar.add(1)
  files.write_json(os.path.join(out_dir, SCORES), records)
  return records


def sanity_report(detector, items, methods, out_dir: str, options=None):
  """Model randomisation over the items: sanity.json, sanity_rho.png (ρ per method) and
  sanity.png (the maps of the first image)."""
  os.makedirs(out_dir, exist_ok=True)
  crops = [item.crop for item in items]
  result = sanity.randomization_test(detector.keras_model, detector.card, crops, methods,
                                     options)
  trained = [("image", crops[0])]
  random = [("", crops[0])]
  for row in result.methods:
    colormap = explain.colormap_for(row.method)
    before, after = (explain.overlay(crops[0], m, colormap) for m in result.maps[row.method])
    rho = "undefined" if row.mean_rho is None else f"{row.mean_rho:.2f}"
    trained.append((row.method, before))
    random.append((f"ρ={rho}" + (" FLAGGED" if row.flagged else ""), after))
  rows = [("trained", trained), ("re-initialised", random)]
  panels.grid(rows, os.path.join(out_dir, "sanity.png"),
              title=f"Top stage + head re-initialised ({len(result.layers)} layers)")
  panels.correlation_chart(result.methods, sanity.SANITY_RHO,
                           os.path.join(out_dir, "sanity_rho.png"),
                           title=f"{detector.card.name}: {len(items)} images")
  files.write_json(os.path.join(out_dir, "sanity.json"),
                   {"model": detector.card.name, "images": [i.name for i in items],
                    **result.to_dict()})
  return result


def mean_saliency_report(detector, items, methods, out_dir: str, options=None) -> dict:
  """mean_saliency.png: a row per method, a panel per class; returns counts per class."""
  os.makedirs(out_dir, exist_ok=True)
  rows, counts = [], {}
  for method in methods:
    examples = ((item.crop, item.class_name(detector.card)) for item in items)
    means = views.mean_maps(examples, lambda crop: _map(detector, crop, method, options),
                            total=len(items))
    counts = {name: count for name, (_, count) in means.items()}
    rows.append((method, [(f"{name} (n={count})", targets.normalize(mean))
                          for name, (mean, count) in means.items()]))
  panels.grid(rows, os.path.join(out_dir, "mean_saliency.png"),
              title=f"Mean map per class: {detector.card.name}")
  files.write_json(os.path.join(out_dir, "mean_saliency.json"),
                   {"model": detector.card.name, "methods": list(methods), "counts": counts})
  return counts


def fingerprint_report(card, manual_dir: str, data_dir: str, split: str, n: int,
                       out_dir: str, group_by: str = "source") -> dict:
  """fingerprints.png: the mean DCT spectrum of every source (or generator) in the manual
  directory, at the card's inference scale; returns counts per group."""
  names = sources.shared_sources(manual_dir)
  if not names:
    raise UserError(f"No source folders in {manual_dir}: pass --manual-dir with the folder "
                    "that holds them (as ../shared/data).")
  builders = data.prepare(names, manual_dir, data_dir)
  # A generator, so that the progress bar also counts the decoding.
  groups = ((item.crop, _group(item, group_by)) for name in names
            for item in sources.source_items(name, builders, split, n, card))
  spectra = views.fingerprints(groups)
  cells = [(f"{name}\n(n={count})", views.contrast_stretch(spectrum))
           for name, (spectrum, count) in spectra.items()]
  rows = [("", cells[i:i + PANELS_PER_ROW]) for i in range(0, len(cells), PANELS_PER_ROW)]
  os.makedirs(out_dir, exist_ok=True)
  panels.grid(rows, os.path.join(out_dir, "fingerprints.png"), colormap="viridis",
              title=f"Mean log |DCT| of grayscale {card.image_size}px crops ({split})")
  counts = {name: count for name, (_, count) in spectra.items()}
  files.write_json(os.path.join(out_dir, "fingerprints.json"),
                   {"split": split, "group_by": group_by, "image_size": card.image_size,
                    "short_side": card.short_side, "counts": counts})
  return counts


def mix_items(detector, mix_name: str, split: str, n: int, manual_dir: str,
              data_dir: str) -> list:
  """n items of a mix's split at the detector's inference scale."""
  mix = data.load_mix(mix_name)
  builders = data.prepare(mix.sources, manual_dir, data_dir)
  return sources.dataset_items(mix, builders, split, n, detector.card)


def _map(detector, crop, method, options):
  return explain.explain_crop(detector.keras_model, detector.card, crop, method,
                              **(options or {}).get(method, {}))


def _scores(detector, crop) -> dict:
  scores = detector.score(crop[None])
  result = {"probability": float(scores["probability"][0]), "label": str(scores["label"][0])}
  if "generator" in scores:
    result["generator"] = str(scores["generator"][0])
  return result


def _group(item, group_by: str) -> str:
  return item.source if group_by == "source" else (item.generator or data.REAL)


def _file_stem(name: str) -> str:
  """"images/grid.jpg#r1c0" → "grid_r1c0"."""
  path, _, tile = name.partition("#")
  stem = os.path.splitext(os.path.basename(path))[0] + (f"_{tile}" if tile else "")
  return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:60] or "image"


def _short(name: str, limit: int = 60) -> str:
  return name if len(name) <= limit else "…" + name[-limit + 1:]
