"""How often pooled native-resolution crops say "uncertain", and how right the rest are,
against the single training-scale crop, on a run's test split (the stored examples, scored
through predict's own path).

The crops' disagreement limit is chosen on the validation split: the spread that the
`--share` most inconsistent validation images exceed. `--write` stores it in the run's
calibration.json (`crop_disagreement`), where export and predict read it.

    python benchmarks/uncertain.py runs/modern-mobilenet --mix modern --write
"""

import argparse
import dataclasses
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def split_payloads(mix_name: str, manual_dir: str, data_dir: str, split: str) -> tuple:
  import tensorflow_datasets as tfds
  from keras_detect import data
  mix = data.load_mix(mix_name)
  builders = data.prepare(mix.sources, manual_dir, data_dir)
  items, labels = [], []
  for name, (ds, _) in data.raw_examples(mix, builders, split).items():
    for x in tfds.as_numpy(ds):
      items.append((f"{name}/{x['file_name'].decode()}#{x['tile'].decode()}", x["image"]))
      labels.append("synthetic" if x["label"] else "real")
  return items, labels


def summary(rows, labels) -> dict:
  decided = [(r["verdict"], label) for r, label in zip(rows, labels) if r["verdict"] != "uncertain"]
  return {"images": len(rows), "uncertain_share": 1 - len(decided) / len(rows),
          "accuracy_of_decided": sum(v == l for v, l in decided) / max(len(decided), 1),
          "accuracy_of_label": sum(r["label"] == l for r, l in zip(rows, labels)) / len(rows)}


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("model")
  parser.add_argument("--mix", required=True)
  parser.add_argument("--manual-dir", default="../shared/data")
  parser.add_argument("--data-dir", default="")
  parser.add_argument("--share", type=float, default=0.1)
  parser.add_argument("--write", action="store_true")
  args = parser.parse_args()
  import numpy as np
  from keras_detect import files, inference, predict_lib
  detector = inference.load_detector(args.model)
  validation, _ = split_payloads(args.mix, args.manual_dir, args.data_dir, "validation")
  spreads = [r["crop_spread"] for r in predict_lib.predict_payloads(
      detector, validation, native_crops=4, progress=False)]
  limit = float(np.quantile(spreads, 1 - args.share))
  detector.card = dataclasses.replace(detector.card, crop_disagreement=limit)
  items, labels = split_payloads(args.mix, args.manual_dir, args.data_dir, "test")
  results = {"crop_disagreement": limit, "chosen_on": f"{args.mix}/validation"}
  for native in (0, 4):
    rows = predict_lib.predict_payloads(detector, items, native_crops=native, progress=False)
    results[f"native_crops_{native}"] = summary(rows, labels)
  print(json.dumps(results, indent=1))
  if args.write:
    path = os.path.join(args.model, inference.CALIBRATION)
    values = json.load(open(path))
    values["crop_disagreement"] = limit
    files.write_json(path, values)


if __name__ == "__main__":
  main()
