"""Detection metrics, all computed by scikit-learn, overall and per group.

Scores are probabilities that an image is synthetic (label 1); real is label 0. A metric
that a group cannot define (AUC of a single-class group) is None, with the reason under
"undefined", so reports can say why instead of crashing.

- `binary_metrics`: precision, recall, F1, accuracy, balanced accuracy, FPR, FNR at a
  threshold; AP, ROC-AUC and TPR at 1% FPR from the ranking; expected calibration error.
- `per_group`: the same per source or per generator.
- `attribution_metrics`, `source_confusion`: which class each source is predicted as.
- `choose_threshold` (Youden's J or a target FPR) and temperature scaling, both fitted on
  the validation split.
"""

import warnings

import numpy as np
from scipy import special
from scipy.optimize import minimize_scalar
from sklearn.calibration import calibration_curve
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score,
                             classification_report, confusion_matrix, f1_score, log_loss,
                             precision_score, recall_score, roc_auc_score, roc_curve)

ECE_BINS = 15
LOW_FPR = 0.01
EPSILON = 1e-7  # keeps logits of saturated float32 probabilities finite
REAL = "real"


def binary_metrics(labels, scores, threshold: float = 0.5) -> dict:
  """Every binary metric of one set of examples at one decision threshold."""
  labels, scores = _as_arrays(labels, scores)
  predicted = (scores >= threshold).astype(int)
  tn, fp, fn, tp = confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # balanced accuracy of a single-class group
    result = {
        "examples": int(len(labels)), "real": int(tn + fp), "synthetic": int(tp + fn),
        "threshold": float(threshold),
        "accuracy": float(accuracy_score(labels, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(labels, predicted)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "fpr": float(fp / (fp + tn)) if fp + tn else None,
        "fnr": float(fn / (fn + tp)) if fn + tp else None,
        "ece": expected_calibration_error(labels, scores),
    }
  result.update(ranking_metrics(labels, scores))
  return result


def ranking_metrics(labels, scores) -> dict:
  """Threshold-free metrics; None (with the reason) when only one class is present."""
  labels, scores = _as_arrays(labels, scores)
  present = set(np.unique(labels).tolist())
  if present != {0, 1}:
    only = REAL if present == {0} else "synthetic" if present else "no examples"
    return {"average_precision": None, "roc_auc": None, "tpr_at_1pct_fpr": None,
            "undefined": f"only {only} in this set: AUC, AP and TPR@1%FPR need both classes"}
  return {"average_precision": float(average_precision_score(labels, scores)),
          "roc_auc": float(roc_auc_score(labels, scores)),
          "tpr_at_1pct_fpr": tpr_at_fpr(labels, scores, LOW_FPR)}


def tpr_at_fpr(labels, scores, max_fpr: float = LOW_FPR) -> float:
  """The best true-positive rate among ROC points whose FPR is at most `max_fpr`."""
  fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
  return float(tpr[fpr <= max_fpr].max())


def reliability(labels, scores, n_bins: int = ECE_BINS):
  """(fraction synthetic, mean score, examples) per non-empty uniform bin."""
  labels, scores = _as_arrays(labels, scores)
  prob_true, prob_pred = calibration_curve(labels, scores, n_bins=n_bins, strategy="uniform",
                                           pos_label=1)
  # The bin of each score exactly as calibration_curve assigns it, to weight the bins.
  edges = np.linspace(0.0, 1.0, n_bins + 1)
  counts = np.bincount(np.searchsorted(edges[1:-1], scores), minlength=n_bins)
  return prob_true, prob_pred, counts[counts > 0]


def expected_calibration_error(labels, scores, n_bins: int = ECE_BINS):
  """Σ (bin share) × |fraction synthetic − mean score| over the reliability diagram's bins."""
  labels, scores = _as_arrays(labels, scores)
  if not len(labels):
    return None
  prob_true, prob_pred, counts = reliability(labels, scores, n_bins)
  return float(np.sum(counts / counts.sum() * np.abs(prob_true - prob_pred)))


def per_group(labels, scores, groups, threshold: float = 0.5, with_real: bool = False) -> dict:
  """group name → binary_metrics of its examples.

  with_real: each group that holds no real example is scored together with every real
  example (e.g. one generator against all real images, so its AUC is defined).
  """
  labels, scores = _as_arrays(labels, scores)
  groups = np.asarray(groups).astype(str)
  real = labels == 0
  result = {}
  for name in sorted(set(groups.tolist())):
    mask = groups == name
    if with_real and not real[mask].any():
      mask = mask | real
    result[name] = binary_metrics(labels[mask], scores[mask], threshold)
  return result


def choose_threshold(labels, scores, method: str = "youden", target_fpr: float = LOW_FPR,
                     groups=None) -> dict:
  """A decision threshold from a validation ROC curve.

  youden: maximises TPR − FPR. fpr: the highest TPR whose FPR is at most `target_fpr`.
  source_fpr: the lowest threshold at which the real images of every group (source) have
  an FPR of at most `target_fpr` — no source of real photos is flagged more than that.
  """
  labels, scores = _as_arrays(labels, scores)
  if set(np.unique(labels).tolist()) != {0, 1}:
    return {"threshold": 0.5, "method": "default",
            "reason": "validation holds a single class; no ROC curve to choose from"}
  if method == "source_fpr":
    return _source_fpr_threshold(labels, scores, np.asarray(groups), target_fpr)
  fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
  if method == "youden":
    best = int(np.argmax(tpr - fpr))
  elif method == "fpr":
    allowed = np.flatnonzero(fpr <= target_fpr)
    best = int(allowed[np.argmax(tpr[allowed])])
  else:
    raise ValueError(f"Unknown threshold method '{method}' (youden | fpr | source_fpr)")
  # roc_curve's first threshold is +inf (nothing flagged); 1.0 flags only certain scores.
  threshold = float(min(thresholds[best], 1.0))
  result = {"threshold": threshold, "method": method,
            "validation_tpr": float(tpr[best]), "validation_fpr": float(fpr[best])}
  if method == "fpr":
    result["target_fpr"] = target_fpr
  return result


def _source_fpr_threshold(labels, scores, groups, target_fpr: float) -> dict:
  limits = {}
  for group in np.unique(groups[labels == 0]):
    real = np.sort(scores[(labels == 0) & (groups == group)])[::-1]
    allowed = int(np.floor(target_fpr * len(real)))  # false positives this group may have
    limits[str(group)] = float(np.nextafter(real[allowed], np.inf)) if allowed < len(real) else 0.0
  threshold = min(max(limits.values()), 1.0)
  return {"threshold": threshold, "method": "source_fpr", "target_fpr": target_fpr,
          "validation_tpr": float(np.mean(scores[labels == 1] >= threshold)),
          "validation_fpr": float(np.mean(scores[labels == 0] >= threshold)),
          "deciding_source": max(limits, key=limits.get)}


def logits(probabilities) -> np.ndarray:
  """Sigmoid probabilities [N] → logits; softmax probabilities [N, K] → log-probabilities."""
  p = np.clip(np.asarray(probabilities, dtype=np.float64), EPSILON, 1 - EPSILON)
  return np.log(p) - np.log1p(-p) if p.ndim == 1 else np.log(p)


def apply_temperature(probabilities, temperature: float) -> np.ndarray:
  """Rescales the logits behind probabilities by 1/temperature (sigmoid or softmax)."""
  z = logits(probabilities) / temperature
  return special.expit(z) if z.ndim == 1 else special.softmax(z, axis=1)


def fit_temperature(labels, probabilities) -> dict:
  """The temperature that minimises validation log-loss (1-D bounded search over log T)."""
  labels = np.asarray(labels).astype(int)
  if len(np.unique(labels)) < 2:
    return {"temperature": 1.0, "reason": "validation holds a single class; not fitted"}
  probabilities = np.asarray(probabilities, dtype=np.float64)
  classes = list(range(probabilities.shape[1])) if probabilities.ndim == 2 else [0, 1]

  def loss(log_t):
    return log_loss(labels, apply_temperature(probabilities, np.exp(log_t)), labels=classes)

  found = minimize_scalar(loss, bounds=(-4.0, 4.0), method="bounded")
  temperature = float(np.exp(found.x))
  return {"temperature": temperature, "log_loss_before": float(loss(0.0)),
          "log_loss_after": float(loss(found.x))}


def attribution_metrics(targets, probabilities, class_names: list) -> dict:
  """Accuracy, balanced accuracy, macro F1, per-class report and row-normalised confusion."""
  targets = np.asarray(targets).astype(int)
  predicted = np.asarray(probabilities).argmax(axis=1)
  indices = list(range(len(class_names)))
  with warnings.catch_warnings():
    warnings.simplefilter("ignore", (UndefinedMetricWarning, UserWarning))
    return {
        "examples": int(len(targets)),
        "accuracy": float(accuracy_score(targets, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(targets, predicted)),
        "macro_f1": float(f1_score(targets, predicted, labels=indices, average="macro",
                                   zero_division=0)),
        "per_class": classification_report(targets, predicted, labels=indices,
                                           target_names=class_names, output_dict=True,
                                           zero_division=0),
        "confusion": confusion_matrix(targets, predicted, labels=indices,
                                      normalize="true").tolist(),
    }


def source_confusion(sources, predicted, class_names: list) -> tuple:
  """(matrix [classes, sources], source names): the share of each source's examples
  predicted as each class; every column sums to 1."""
  sources = np.asarray(sources).astype(str)
  predicted = np.asarray(predicted).astype(str)
  names = sorted(set(sources.tolist()))
  # Prefixes keep a source and a class of the same name apart in the shared label space.
  rows = [f"source:{s}" for s in names]
  columns = [f"class:{c}" for c in class_names]
  matrix = confusion_matrix(np.char.add("source:", sources), np.char.add("class:", predicted),
                            labels=rows + columns, normalize="true")
  return matrix[:len(rows), len(rows):].T, names


def _as_arrays(labels, scores):
  return np.asarray(labels).astype(int).ravel(), np.asarray(scores, dtype=np.float64).ravel()
