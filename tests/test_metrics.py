"""Metrics agree with scikit-learn, handle single-class groups, and calibrate."""

import numpy as np
import pytest
from sklearn import metrics as sk

from keras_detect import metrics

LABELS = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0])
SCORES = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.7, 0.3, 0.65, 0.95, 0.55, 0.05])


def test_binary_metrics_equal_scikit_learn():
  result = metrics.binary_metrics(LABELS, SCORES, threshold=0.5)
  predicted = (SCORES >= 0.5).astype(int)
  tn, fp, fn, tp = sk.confusion_matrix(LABELS, predicted).ravel()
  expected = {
      "accuracy": sk.accuracy_score(LABELS, predicted),
      "balanced_accuracy": sk.balanced_accuracy_score(LABELS, predicted),
      "precision": sk.precision_score(LABELS, predicted),
      "recall": sk.recall_score(LABELS, predicted),
      "f1": sk.f1_score(LABELS, predicted),
      "average_precision": sk.average_precision_score(LABELS, SCORES),
      "roc_auc": sk.roc_auc_score(LABELS, SCORES),
      "fpr": fp / (fp + tn),
      "fnr": fn / (fn + tp),
  }
  for key, value in expected.items():
    assert result[key] == pytest.approx(value), key
  assert (result["real"], result["synthetic"]) == (6, 6)


def test_perfect_classifier_has_auc_one_and_no_errors():
  result = metrics.binary_metrics([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
  assert result["roc_auc"] == 1.0 and result["fpr"] == 0.0 and result["fnr"] == 0.0
  assert result["tpr_at_1pct_fpr"] == 1.0


def test_inverted_classifier_has_auc_zero():
  assert metrics.binary_metrics([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])["roc_auc"] == 0.0


def test_tpr_at_one_percent_fpr_counts_only_points_without_false_alarms():
  # 100 real: one scores 0.95. Synthetic: 0.99 (above it) and 0.9, 0.6 (below it).
  labels = np.r_[np.zeros(100), np.ones(3)]
  scores = np.r_[np.full(99, 0.1), 0.95, 0.99, 0.9, 0.6]
  assert metrics.tpr_at_fpr(labels, scores, 0.01) == pytest.approx(1.0)  # 1 of 100 allowed
  assert metrics.tpr_at_fpr(labels, scores, 0.005) == pytest.approx(1 / 3)


def test_expected_calibration_error_on_handcrafted_bins():
  # All scores 0.8 and 80% synthetic: calibrated.
  assert metrics.expected_calibration_error([1] * 8 + [0] * 2, [0.8] * 10) == pytest.approx(0.0)
  # Half the examples at 0.9 (all synthetic: gap 0.1), half at 0.3 (half synthetic: gap 0.2).
  scores = [0.9] * 4 + [0.3] * 6
  labels = [1, 1, 1, 1] + [1, 0, 0, 1, 1, 0]
  expected = 0.4 * 0.1 + 0.6 * abs(0.5 - 0.3)
  assert metrics.expected_calibration_error(labels, scores) == pytest.approx(expected)


def test_reliability_bins_match_calibration_curve():
  rng = np.random.default_rng(0)
  scores = rng.random(300)
  labels = (rng.random(300) < scores).astype(int)
  prob_true, prob_pred, counts = metrics.reliability(labels, scores)
  from sklearn.calibration import calibration_curve
  expected_true, expected_pred = calibration_curve(labels, scores, n_bins=metrics.ECE_BINS)
  np.testing.assert_allclose(prob_true, expected_true)
  np.testing.assert_allclose(prob_pred, expected_pred)
  assert counts.sum() == 300 and len(counts) == len(prob_true)


def test_per_group_reports_undefined_auc_for_a_single_class_group():
  groups = np.array(["mixed"] * 8 + ["only_real"] * 4)
  labels = np.r_[[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0]]
  scores = np.linspace(0, 1, 12)
  result = metrics.per_group(labels, scores, groups)
  assert result["mixed"]["roc_auc"] == 1.0
  assert result["only_real"]["roc_auc"] is None
  assert "only real" in result["only_real"]["undefined"]
  assert result["only_real"]["fnr"] is None and result["only_real"]["fpr"] is not None


def test_per_group_with_real_scores_a_generator_against_every_real_image():
  groups = np.array(["real", "real", "gan", "gan", "diffusion"])
  labels = np.array([0, 0, 1, 1, 1])
  scores = np.array([0.1, 0.6, 0.9, 0.8, 0.3])
  result = metrics.per_group(labels, scores, groups, with_real=True)
  assert result["gan"]["examples"] == 4 and result["gan"]["roc_auc"] == 1.0
  assert result["diffusion"]["roc_auc"] == pytest.approx(0.5)
  assert result["real"]["roc_auc"] is None


def test_youden_threshold_maximises_tpr_minus_fpr_on_scikit_learn_roc():
  chosen = metrics.choose_threshold(LABELS, SCORES, "youden")
  fpr, tpr, thresholds = sk.roc_curve(LABELS, SCORES)
  assert chosen["validation_tpr"] - chosen["validation_fpr"] == pytest.approx(np.max(tpr - fpr))
  predicted = SCORES >= chosen["threshold"]
  assert predicted[LABELS == 1].mean() == pytest.approx(chosen["validation_tpr"])


def test_target_fpr_threshold_keeps_false_alarms_under_the_target():
  chosen = metrics.choose_threshold(LABELS, SCORES, "fpr", target_fpr=0.2)
  predicted = SCORES >= chosen["threshold"]
  assert predicted[LABELS == 0].mean() <= 0.2
  assert chosen["validation_tpr"] == pytest.approx(predicted[LABELS == 1].mean())


def test_threshold_on_single_class_validation_falls_back_to_one_half():
  assert metrics.choose_threshold([1, 1, 1], [0.2, 0.5, 0.9])["threshold"] == 0.5


def test_temperature_scaling_reduces_log_loss_of_an_overconfident_model():
  rng = np.random.default_rng(1)
  labels = rng.integers(0, 2, 500)
  true_logits = (2 * labels - 1) * 1.0 + rng.normal(0, 1.5, 500)
  overconfident = 1 / (1 + np.exp(-4 * true_logits))
  fitted = metrics.fit_temperature(labels, overconfident)
  assert fitted["temperature"] > 1.5
  calibrated = metrics.apply_temperature(overconfident, fitted["temperature"])
  assert sk.log_loss(labels, calibrated) < sk.log_loss(labels, overconfident)
  assert fitted["log_loss_after"] == pytest.approx(sk.log_loss(labels, calibrated))
  # A monotone map: the ranking (and so AUC) is unchanged.
  assert sk.roc_auc_score(labels, calibrated) == pytest.approx(sk.roc_auc_score(labels, overconfident))


def test_temperature_scaling_of_softmax_keeps_rows_normalised():
  probabilities = np.array([[0.7, 0.2, 0.1], [0.05, 0.9, 0.05]])
  scaled = metrics.apply_temperature(probabilities, 2.0)
  np.testing.assert_allclose(scaled.sum(axis=1), 1.0)
  np.testing.assert_array_equal(scaled.argmax(axis=1), probabilities.argmax(axis=1))
  assert scaled.max() < probabilities.max()


def test_source_confusion_columns_sum_to_one():
  sources = ["faces_real", "faces_real", "faces_gan", "faces_gan", "faces_gan", "sd"]
  predicted = ["real", "gan", "gan", "gan", "real", "sd"]
  matrix, names = metrics.source_confusion(sources, predicted, ["real", "gan", "sd"])
  assert names == ["faces_gan", "faces_real", "sd"]
  np.testing.assert_allclose(matrix.sum(axis=0), 1.0)
  assert matrix[1, 0] == pytest.approx(2 / 3)  # faces_gan predicted as gan


def test_attribution_metrics_equal_scikit_learn():
  targets = np.array([0, 1, 2, 2, 1, 0])
  probabilities = np.eye(3)[[0, 1, 1, 2, 1, 2]] * 0.8 + 0.2 / 3
  result = metrics.attribution_metrics(targets, probabilities, ["real", "gan", "sd"])
  predicted = probabilities.argmax(axis=1)
  assert result["accuracy"] == pytest.approx(sk.accuracy_score(targets, predicted))
  assert result["macro_f1"] == pytest.approx(sk.f1_score(targets, predicted, average="macro"))
  np.testing.assert_allclose(np.sum(result["confusion"], axis=1), 1.0)


def test_source_fpr_threshold_keeps_every_real_source_under_the_target():
  labels = np.array([0] * 20 + [0] * 10 + [1] * 10)
  groups = np.array(["photos"] * 20 + ["paintings"] * 10 + ["gan"] * 10)
  rng = np.random.default_rng(0)
  # Paintings score high: a threshold fitted on all real images together would flag many.
  scores = np.concatenate([rng.uniform(0, 0.4, 20), rng.uniform(0.3, 0.8, 10),
                           rng.uniform(0.6, 1.0, 10)])
  chosen = metrics.choose_threshold(labels, scores, "source_fpr", target_fpr=0.1, groups=groups)
  for group in ("photos", "paintings"):
    real = scores[(groups == group)]
    assert np.mean(real >= chosen["threshold"]) <= 0.1
  assert chosen["deciding_source"] == "paintings"
  # The lowest such threshold: one step below it, paintings would exceed the target.
  paintings = np.sort(scores[groups == "paintings"])
  assert np.mean(paintings >= np.nextafter(chosen["threshold"], 0) - 1e-9) > 0.1
