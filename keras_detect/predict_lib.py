"""Score image files with a detector: every file gets a row, a bad one with its reason.

Beside the pixel verdict each row says what the file declares about its origin (C2PA,
IPTC, EXIF, PNG text: keras_detect.provenance) and whether the two disagree.

Files are read and decoded by `tfds_builders.image_io` (the builders' safe decoder: EXIF
orientation applied, CMYK, 16-bit, palette and transparency converted, animations read
at their first frame, decompression bombs refused), sized by the detector's
`ShortSideCrop` and scored in batches.
"""

import csv
import glob
import json
import os

import keras
import numpy as np

from keras_detect import provenance
from tfds_builders import image_io
from tfds_builders.base import IMAGE_SUFFIXES

COLUMNS = ("path", "verdict", "probability", "label", "generator", "threshold", "crop_spread",
           "declared", "declared_by", "signed", "disagreement", "error")
# Crops at native resolution per image, beside the one at training scale. Off by default:
# pooled with them the default detector scored worse on all_shared's test split (accuracy
# 0.58 against 0.69; benchmarks/uncertain.py), the modern-mix detector better (0.90 / 0.83).
NATIVE_CROPS = 0


def find_images(inputs) -> list:
  """Files, folders (recursive: the image files in them) and glob patterns → paths, in the
  order given; a name that matches nothing is kept, so its row says it is missing."""
  paths = []
  for item in inputs:
    if os.path.isdir(item):
      paths += sorted(os.path.join(folder, name) for folder, _, names in os.walk(item)
                      for name in names if _is_image_name(name))
    elif not os.path.exists(item) and glob.has_magic(item):
      paths += sorted(p for p in glob.glob(item, recursive=True) if os.path.isfile(p)) or [item]
    else:
      paths.append(item)
  return list(dict.fromkeys(paths))


def predict_files(detector, paths, *, max_bytes: int = image_io.MAX_BYTES, **options) -> list:
  """One row per path (COLUMNS), in order; unreadable files have `error` and no score."""
  def read(path):
    return lambda: image_io.read_bytes(path, max_bytes)
  return predict_payloads(detector, [(path, read(path)) for path in paths], **options)


def predict_payloads(detector, items, *, batch_size: int = 32, native_crops: int = NATIVE_CROPS,
                     max_pixels: int = image_io.MAX_PIXELS, progress: bool = True,
                     explain: str = "", explain_dir: str = "") -> list:
  """Rows for (name, bytes or a function returning them) pairs: uploads and files alike.

  Each image is scored on its training-scale crop and `native_crops` crops at native
  resolution, pooled (inference.combine_crops): `verdict` is real, synthetic or uncertain.
  The pixel verdict and what the file declares (keras_detect.provenance) sit side by side;
  the model never sees the metadata. `explain` (a keras_detect.explain method) writes one
  overlay PNG per decoded image into `explain_dir`."""
  rows = [None] * len(items)
  pending = []  # (index, crop)
  bar = keras.utils.Progbar(len(items), unit_name="image", verbose=1 if progress else 0)
  for index, (name, payload) in enumerate(items):
    try:
      data = payload() if callable(payload) else payload
      pixels = image_io.decode(data, max_pixels=max_pixels).pixels
      pending.append((index, detector.crops(pixels, native_crops)))
      rows[index] = _declared(provenance.read_provenance(data))
      if explain:
        _write_explanation(detector, pixels, index, name, explain, explain_dir)
    except image_io.BadImage as reason:
      rows[index] = {"error": str(reason)}
    rows[index] = _row(name, **rows[index])
    if len(pending) == batch_size or (index == len(items) - 1 and pending):
      _score(detector, pending, rows)
      bar.add(len(pending))
      pending = []
  bar.update(len(items), finalize=True)
  return rows


def write_rows(rows: list, path: str) -> None:
  """CSV (the COLUMNS) or, for a .jsonl/.json path, one JSON object per line."""
  folder = os.path.dirname(os.path.abspath(path))
  os.makedirs(folder, exist_ok=True)
  temporary = path + ".partial"
  with open(temporary, "w", newline="") as f:
    if path.endswith((".jsonl", ".json")):
      f.writelines(json.dumps(row) + "\n" for row in rows)
    else:
      writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else COLUMNS)
      writer.writeheader()
      writer.writerows(rows)
  os.replace(temporary, path)


def format_table(rows: list) -> str:
  lines = ["| file | verdict | probability | generator | file declares |", "|---|---|---|---|---|"]
  for row in rows:
    if row["error"]:
      lines.append(f"| {row['path']} | error: {row['error']} | | | |")
      continue
    declared = row["declared"] + (f" ({row['declared_by']})" if row["declared_by"] else "")
    declared += ", signed" if row["signed"] else ""
    lines.append(f"| {row['path']} | {row['verdict']} | {row['probability']:.4f} | "
                 f"{row['generator']} | {declared} |")
  notes = [f"- {row['path']}: {row['disagreement']}" for row in rows if row["disagreement"]]
  return "\n".join(lines + (["", "Declared origin and pixels disagree:"] + notes if notes else []))


def _score(detector, pending, rows) -> None:
  n_crops = len(pending[0][1])
  scores = detector.score(np.concatenate([crops for _, crops in pending]), n_crops)
  threshold = detector.card.calibrated_threshold
  for position, (index, _) in enumerate(pending):
    row = rows[index]
    row.update(probability=float(scores["probability"][position]),
               label=str(scores["label"][position]), verdict=str(scores["verdict"][position]),
               crop_spread=float(scores["crop_spread"][position]), threshold=threshold,
               generator=str(scores["generator"][position]) if "generator" in scores else "")
    if row["declared"] != provenance.NONE:
      row["disagreement"] = provenance.disagreement(row["_provenance"], row["label"])
    del row["_provenance"]


def _write_explanation(detector, pixels, index: int, name: str, method: str, folder: str):
  # Imported here: tf-keras-vis and LIME load only when an explanation is asked for.
  from keras_detect import explain

  crop = detector.crop(pixels)
  heatmap = explain.explain_crop(detector.keras_model, detector.card, crop, method)
  stem = os.path.splitext(os.path.basename(name))[0]
  os.makedirs(folder, exist_ok=True)
  with open(os.path.join(folder, f"{index:04d}_{stem}_{method}.png"), "wb") as f:
    f.write(image_io.encode_png(explain.overlay(crop, heatmap, explain.colormap_for(method))))


def _declared(found) -> dict:
  by = found.tool if found.declared == provenance.SYNTHETIC else " ".join(
      part for part in (found.make, found.model) if part)
  return {"declared": found.declared, "declared_by": by, "signed": found.signed,
          "_provenance": found}


def _row(path, **values) -> dict:
  row = {"path": path, "verdict": "", "probability": None, "label": "", "generator": "",
         "threshold": None, "crop_spread": None, "declared": "", "declared_by": "",
         "signed": False, "disagreement": "", "error": ""}
  row.update(values)
  return row


def _is_image_name(name: str) -> bool:
  return not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES
