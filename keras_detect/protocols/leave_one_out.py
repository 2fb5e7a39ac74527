"""Leave one out: for each synthetic generator (or source) of the run's mix, train the run's
config without it and test on its images plus every real image of the split."""

import dataclasses
import os

from keras_detect import data, detector, evaluate, metrics, report
from keras_detect.errors import UserError
from keras_detect.protocols import retrain


def leave_one_out(evaluation: evaluate.Evaluation, group: str = "generator", split: str = "test",
                  train_fn=None) -> list:
  """Per synthetic group of the run's mix: train without it (`train_fn(config) -> run_dir`,
  by default train_lib.train), test on its images plus every real image of the split."""
  if group not in evaluate.GROUPS:
    raise UserError(f"--group must be one of {evaluate.GROUPS}")
  if train_fn is None:
    from keras_detect import train_lib
    train_fn = train_lib.train
  own = evaluation.own_mix
  holders, real_sources = _synthetic_groups(evaluation, group)
  rows = []
  for held_out, removed in sorted(holders.items()):
    kept = [s for s in own.sources if s.name not in removed]
    row = {"held_out": held_out, "sources_removed": sorted(removed)}
    if not any(sources - removed for sources in holders.values()):
      rows.append({**row, "skipped": "no synthetic source would be left to train on"})
      continue
    folder = os.path.join(evaluation.out_dir, "leave_one_out", f"without_{held_out}")
    run_dir = retrain.train_without(evaluation, kept, folder, f"{own.name} without {held_out}",
                            train_fn)
    test_mix = dataclasses.replace(own, sources=tuple(
        s for s in own.sources if s.name in removed | real_sources))
    p = evaluate.predict(evaluation, test_mix, split, model=detector.load_model(os.path.join(run_dir, "best.keras")))
    keys = p.generators if group == "generator" else p.sources
    at = metrics.binary_metrics(*_held_out(p, keys == held_out))
    rows.append({**row, "run_dir": run_dir, "held_out_examples": at["synthetic"],
                 "real_examples": at["real"], "roc_auc": at["roc_auc"],
                 "average_precision": at["average_precision"], "accuracy_at_0.5": at["accuracy"],
                 "held_out_recall_at_0.5": at["recall"] if at["synthetic"] else None,
                 "real_fpr_at_0.5": at["fpr"], "undefined": at.get("undefined")})
  columns = ["held_out", "sources_removed", "held_out_examples", "real_examples", "roc_auc",
             "average_precision", "accuracy_at_0.5", "held_out_recall_at_0.5",
             "real_fpr_at_0.5", "skipped"]
  report.write_rows(evaluation.out_dir, "leave_one_out", rows, columns,
              f"Leave one {group} out: {own.name}, {split} split (each row: trained without "
              f"it, tested on its images plus every real image)")
  return rows


def _synthetic_groups(evaluation: evaluate.Evaluation, group: str) -> tuple:
  """({generator or source: sources holding its synthetic images}, sources with real images)."""
  sources = evaluation.own_mix.sources
  counts = data.census({s.name: evaluation.builders[s.name] for s in sources})
  holders, real_sources = {}, set()
  for (source, _), counter in counts.counts.items():
    for label, generator in counter:
      if label:
        holders.setdefault(generator if group == "generator" else source, set()).add(source)
      else:
        real_sources.add(source)
  return holders, real_sources


def _held_out(p: evaluate.Predictions, in_group) -> tuple:
  keep = (p.labels == 0) | ((p.labels == 1) & in_group)
  return p.labels[keep], p.scores[keep]
