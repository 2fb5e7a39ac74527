"""Robustness and format swap: the test images under perturbations, scored by the run's model.

- robustness: each condition of perturbations.ROBUSTNESS acts on the sized model input
  (JPEG re-encoding, blur, noise, crops, resizes); one PNG per family of conditions.
- format swap: the original images of both classes re-saved as JPEG 95/75, PNG and WebP
  before sizing, so a model that keys on the file format shows it.
Each row has the drop from the clean row (positive: worse than clean) at the threshold
validated on the run's own mix.
"""

import os

from keras_detect import evaluate, metrics, perturbations, plots, report


def robustness(evaluation: evaluate.Evaluation, split: str = "test", conditions=None) -> list:
  """One row per perturbation of the (sized) test images; robustness.json/.md, a PNG per family."""
  rows = _conditions(evaluation, split, perturbations.ROBUSTNESS, conditions, "robustness")
  for family in dict.fromkeys(r["family"] for r in rows[1:]):
    plots.robustness_family(rows, family, os.path.join(evaluation.out_dir,
                                                       f"robustness_{family}.png"))
  return rows


def format_swap(evaluation: evaluate.Evaluation, split: str = "test", conditions=None) -> list:
  """One row per format the original images of both classes are re-saved as."""
  return _conditions(evaluation, split, perturbations.FORMAT_SWAP, conditions, "format_swap")


def _conditions(evaluation, split, registry, names, protocol) -> list:
  threshold = evaluate.calibrate(evaluation, save=False)["threshold"]
  rows = []
  for condition in perturbations.select(registry, names):
    if registry is perturbations.FORMAT_SWAP:  # acts on the decoded original, before sizing
      p = evaluate.predict(evaluation, evaluation.mix, split, transform=condition.apply)
    else:  # acts on the sized model input
      p = evaluate.predict(evaluation, evaluation.mix, split, perturb=condition.apply)
    rows.append(_condition_row(condition, p, threshold))
  for row in rows:  # drops from clean (the first row); positive: worse than clean
    for key in ("roc_auc", "accuracy_at_0.5", "accuracy_at_threshold"):
      both = row[key] is not None and rows[0][key] is not None
      row[f"drop_{key}"] = rows[0][key] - row[key] if both else None
  columns = ["condition", "examples", "average_precision", "roc_auc", "accuracy_at_0.5",
             "accuracy_at_threshold", "real_fpr_at_0.5", "real_fpr_at_threshold",
             "drop_roc_auc", "drop_accuracy_at_0.5", "drop_accuracy_at_threshold"]
  report.write_rows(evaluation.out_dir, protocol, rows, columns,
                    f"{protocol.replace('_', ' ').capitalize()}: {evaluation.mix.name}, "
                    f"{split} split, validated threshold {threshold:.4f}")
  return rows


def _condition_row(condition, p: evaluate.Predictions, threshold: float) -> dict:
  row = {"condition": condition.name, "family": condition.family,
         "strength": condition.strength, "examples": int(len(p.labels)),
         **metrics.ranking_metrics(p.labels, p.scores)}
  for name, t in (("0.5", 0.5), ("threshold", threshold)):
    at = metrics.binary_metrics(p.labels, p.scores, t)
    row[f"accuracy_at_{name}"] = at["accuracy"]
    row[f"real_fpr_at_{name}"] = at["fpr"]
  return row
