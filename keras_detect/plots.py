"""Evaluation figures as PNGs: ROC, DET, precision-recall, confusion matrices, reliability
diagram, the source × predicted-class matrix and one line plot per robustness family.

Curves come from scikit-learn's displays; each function writes one file and returns its
path, or None when the data cannot define the figure (one class only).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import (ConfusionMatrixDisplay, DetCurveDisplay,  # noqa: E402
                             PrecisionRecallDisplay, RocCurveDisplay)

from keras_detect import metrics  # noqa: E402


def _save(fig, path: str) -> str:
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)
  return path


def _both_classes(labels) -> bool:
  return len(np.unique(labels)) == 2


def _curve(display, labels, scores, path: str, title: str, name: str, **options):
  if not _both_classes(labels):
    return None
  fig, ax = plt.subplots(figsize=(4.5, 4.2))
  display.from_predictions(labels, scores, name=name, ax=ax, **options)
  ax.set_title(title)
  ax.grid(alpha=0.3)
  return _save(fig, path)


def roc(labels, scores, path: str, name: str = "detector"):
  return _curve(RocCurveDisplay, labels, scores, path, "ROC (positive: synthetic)", name,
                plot_chance_level=True)


def det(labels, scores, path: str, name: str = "detector"):
  return _curve(DetCurveDisplay, labels, scores, path, "DET (normal deviate scale)", name)


def precision_recall(labels, scores, path: str, name: str = "detector"):
  return _curve(PrecisionRecallDisplay, labels, scores, path,
                "Precision-recall (positive: synthetic)", name, plot_chance_level=True)


def confusion(targets, predicted, class_names: list, path: str, title: str = "Confusion"):
  """Rows: true class, normalised to 1; columns: predicted class."""
  k = len(class_names)
  fig, ax = plt.subplots(figsize=(2.2 + 0.7 * k, 1.8 + 0.6 * k))
  ConfusionMatrixDisplay.from_predictions(
      targets, predicted, labels=list(range(k)), display_labels=class_names, normalize="true",
      values_format=".2f", cmap="Blues", ax=ax, colorbar=False,
      xticks_rotation=45 if k > 3 else "horizontal")
  ax.set_title(title)
  return _save(fig, path)


def reliability(labels, curves: dict, path: str):
  """curves: name → scores (e.g. raw and temperature-scaled); one line each."""
  fig, ax = plt.subplots(figsize=(4.5, 4.2))
  ax.plot([0, 1], [0, 1], linestyle=":", color="gray", label="perfectly calibrated")
  for name, scores in curves.items():
    prob_true, prob_pred, _ = metrics.reliability(labels, scores)
    ece = metrics.expected_calibration_error(labels, scores)
    ax.plot(prob_pred, prob_true, marker="o", label=f"{name} (ECE {ece:.3f})")
  ax.set_xlabel("mean predicted probability of synthetic")
  ax.set_ylabel("fraction synthetic")
  ax.set_title(f"Reliability ({metrics.ECE_BINS} bins)")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  return _save(fig, path)


def source_confusion(matrix, class_names: list, sources: list, path: str):
  """Rows: predicted class; one column per test source; each column sums to 1."""
  matrix = np.asarray(matrix)
  fig, ax = plt.subplots(figsize=(max(4.0, 2.5 + 0.8 * len(sources)),
                                  1.8 + 0.45 * len(class_names)))
  ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1, aspect="auto")
  for (row, col), value in np.ndenumerate(matrix):
    ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=7,
            color="white" if value > 0.6 else "black")
  ax.set_xticks(range(len(sources)), sources, rotation=45, ha="right", fontsize=7)
  ax.set_yticks(range(len(class_names)), class_names, fontsize=7)
  ax.set_xlabel("test source")
  ax.set_ylabel("predicted class")
  ax.set_title("Predicted class per test source", fontsize=10)
  return _save(fig, path)


def robustness_family(rows: list, family: str, path: str,
                      keys=("roc_auc", "accuracy_at_threshold", "accuracy_at_0.5")):
  """rows: robustness rows of one family (strength + metrics) plus the clean row as a
  dashed reference."""
  clean = next((r for r in rows if r["family"] == "clean"), None)
  points = sorted((r for r in rows if r["family"] == family), key=lambda r: r["strength"])
  fig, ax = plt.subplots(figsize=(4.8, 3.6))
  for i, key in enumerate(keys):
    values = [r.get(key) for r in points]
    if all(v is None for v in values):
      continue
    color = f"C{i}"
    ax.plot([r["strength"] for r in points], [np.nan if v is None else v for v in values],
            marker="o", color=color, label=key)
    if clean is not None and clean.get(key) is not None:
      ax.axhline(clean[key], color=color, linestyle="--", alpha=0.5)
  if family == "jpeg":
    ax.invert_xaxis()  # left to right: from mild to harsh compression
  ax.set_xlabel(f"{family} strength")
  ax.set_ylim(-0.02, 1.02)
  ax.set_title(f"Robustness: {family} (dashed: clean)")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  return _save(fig, path)
