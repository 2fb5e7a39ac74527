"""Evaluation of a trained run: scores, calibration and the standard metrics.

Everything an evaluation writes goes into its output folder (the run directory unless
`--out`). standard: the model's scores on a split → metrics overall, per source and per
generator, at 0.5 and at the threshold chosen on the run's validation split; a temperature
fitted there too (calibration.json); metrics.json, report.md and the figures. The other
protocols (robustness, format swap, leave-one-out, leave-sources-out) live in
keras_detect.protocols and build on `open_run`, `predict` and `calibrate`.
Test images are read unaligned by default (`align=False`): what users will feed the model.
Threshold and temperature always come from the run's own mix, also when `--data` points
at another mix (cross-dataset evaluation), so the test data never tunes them.
"""

import math
import os
from dataclasses import dataclass
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from keras_detect import config as config_lib
from keras_detect import data, detector, files, metrics, plots, report
from keras_detect.errors import UserError

GROUPS = ("generator", "source")
CALIBRATION = "calibration.json"
SYNTHETIC = "synthetic"


@dataclass
class Evaluation:
  """A run's config and model, the mix to test on, and where results go."""
  run_dir: str
  config: config_lib.Config
  model: keras.Model
  mix: data.Mix  # the mix evaluated (the run's own unless --data)
  own_mix: data.Mix  # the run's training mix: validation, threshold, leave-one-out
  builders: dict
  out_dir: str
  align: bool = False
  batch_size: int = 64
  max_examples: int = 0  # 0: every example
  threshold_method: str = "youden"  # youden | fpr (see metrics.choose_threshold)
  target_fpr: float = 0.01
  verbose: bool = True


@dataclass
class Predictions:
  labels: np.ndarray  # 0 real, 1 synthetic
  scores: np.ndarray  # probability of synthetic
  probabilities: Optional[np.ndarray]  # [N, K] attribution softmax, or None
  sources: np.ndarray
  generators: np.ndarray  # "real" for real images


def model_task(model: keras.Model) -> str:
  if isinstance(model.output, dict) or len(model.outputs) > 1:
    return "both"
  return "binary" if model.output_shape[-1] == 1 else "attribution"


def open_run(run_dir: str, *, mix: str = "", out: str = "", aligned: bool = False,
             batch_size: int = 0, manual_dir: str = "", data_dir: str = "",
             max_examples: int = 0, threshold_method: str = "youden",
             target_fpr: float = 0.01, verbose: bool = True) -> Evaluation:
  """Loads a run directory and the data to evaluate it on; checks that they fit."""
  params = os.path.join(run_dir, "params.yaml")
  if not os.path.isfile(params):
    raise UserError(f"{run_dir} is not a run directory (no params.yaml): pass the folder "
                    "that `python -m keras_detect.fit` wrote.")
  config = config_lib.load(params)
  model = detector.load_model(os.path.join(run_dir, "best.keras"))
  _check_model(model, config)
  own_mix = data.load_mix(config.data.mix)
  test_mix = data.load_mix(mix) if mix else own_mix
  sources = list({s.name: s for s in own_mix.sources + test_mix.sources}.values())
  builders = data.prepare(sources, manual_dir or config.data.manual_dir,
                          data_dir or config.data.data_dir)
  evaluation = Evaluation(run_dir, config, model, test_mix, own_mix, builders,
                          out or run_dir, aligned, batch_size or config.data.batch_size,
                          max_examples, threshold_method, target_fpr, verbose)
  if config.model.task != "binary":
    _check_generators(evaluation)
  os.makedirs(evaluation.out_dir, exist_ok=True)
  return evaluation


def _check_model(model, config) -> None:
  size = config.data.image_size
  if tuple(model.input_shape[1:]) != (size, size, 3):
    raise UserError(f"best.keras takes input {tuple(model.input_shape[1:])} but params.yaml "
                    f"says image_size {size}: the run directory mixes files of two runs.")
  task, names = model_task(model), config.data.class_names
  if task != config.model.task:
    raise UserError(f"best.keras is a '{task}' model but params.yaml says task "
                    f"'{config.model.task}': the run directory mixes files of two runs.")
  outputs = model.output["attribution"].shape if task == "both" else model.output_shape
  if task != "binary" and outputs[-1] != len(names):
    raise UserError(f"best.keras scores {outputs[-1]} classes but params.yaml names "
                    f"{len(names)} ({names}).")


def _check_generators(evaluation: Evaluation) -> None:
  names = evaluation.config.data.class_names
  counts = data.census({s.name: evaluation.builders[s.name] for s in evaluation.mix.sources})
  generators = set(counts.generators())
  if not generators & set(names[1:]):
    raise UserError(
        f"The attribution model names the generators {names[1:]}, but mix "
        f"'{evaluation.mix.name}' holds {sorted(generators) or 'no generator labels'}: no "
        "attribution can be scored. Evaluate it on a mix with those generators.")


def predict(evaluation: Evaluation, mix: data.Mix, split: str, *, model=None, transform=None,
            perturb=None) -> Predictions:
  """Scores every example of a split (or an even sample of --max-examples)."""
  model = model or evaluation.model
  config = evaluation.config
  n = data.number_of_examples(mix, evaluation.builders, split)
  ds = data.make_dataset(mix, evaluation.builders, split, image_size=config.data.image_size,
                         batch_size=evaluation.batch_size, policy=config.data.eval_policy,
                         short_side=data.eval_short_side(config.data, evaluation.own_mix),
                         align=evaluation.align, transform=transform)
  if evaluation.max_examples and n > evaluation.max_examples:
    # Every k-th example: the split is ordered by source, so a prefix would be one source.
    step = math.ceil(n / evaluation.max_examples)
    ds = ds.unbatch().shard(step, 0).batch(evaluation.batch_size)
    n = math.ceil(n / step)
  if perturb is not None:
    ds = ds.map(lambda b: {**b, "image": tf.map_fn(perturb, b["image"])},
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
  bar = keras.utils.Progbar(n, verbose=1 if evaluation.verbose else 0, unit_name="image")
  parts = {key: [] for key in ("labels", "scores", "probabilities", "sources", "generators")}
  for batch in ds.as_numpy_iterator():
    scores, probabilities = _scores(model.predict_on_batch(batch["image"]))
    parts["labels"].append(batch["label"])
    parts["scores"].append(scores)
    parts["probabilities"].append(probabilities)
    parts["sources"].append(batch["source"].astype(str))
    parts["generators"].append(np.where(batch["label"] == 0, metrics.REAL,
                                        batch["generator"].astype(str)))
    bar.add(len(batch["label"]))
  if not parts["labels"]:
    raise UserError(f"Mix '{mix.name}' has no '{split}' examples to evaluate.")
  joined = {k: None if v[0] is None else np.concatenate(v) for k, v in parts.items()}
  return Predictions(**joined)


def _scores(outputs):
  """Model outputs → (probability of synthetic [B], attribution probabilities or None)."""
  if isinstance(outputs, dict):
    return np.asarray(outputs["binary"])[:, 0], np.asarray(outputs["attribution"])
  outputs = np.asarray(outputs)
  if outputs.shape[-1] == 1:
    return outputs[:, 0], None
  return 1.0 - outputs[:, 0], outputs  # class 0 is "real"


def calibrate(evaluation: Evaluation, save: bool = True) -> dict:
  """Threshold and temperature from the run's own validation split (→ calibration.json)."""
  own = evaluation.own_mix
  result = {"chosen_on": f"{own.name}/validation", "aligned": evaluation.align,
            "score": "probability of synthetic from best.keras, before temperature"}
  if not data.number_of_examples(own, evaluation.builders, "validation"):
    result.update(threshold=0.5, threshold_method="default", temperature=1.0,
                  reason="the mix has no validation split")
  else:
    val = predict(evaluation, own, "validation")
    chosen = metrics.choose_threshold(val.labels, val.scores, evaluation.threshold_method,
                                      evaluation.target_fpr, groups=val.sources)
    result.update({"threshold_" + k if k != "threshold" else k: v for k, v in chosen.items()})
    result.update(metrics.fit_temperature(val.labels, val.scores))
    result["validation_examples"] = int(len(val.labels))
    if val.probabilities is not None:
      targets = _targets(val, evaluation.config.data.class_names)
      known = targets >= 0
      fitted = metrics.fit_temperature(targets[known], val.probabilities[known])
      result["attribution_temperature"] = fitted["temperature"]
  result["threshold_calibrated"] = float(
      metrics.apply_temperature([result["threshold"]], result["temperature"])[0])
  if save:
    files.write_json(os.path.join(evaluation.out_dir, CALIBRATION), result)
  return result


def _targets(p: Predictions, class_names: list) -> np.ndarray:
  index = {name: i for i, name in enumerate(class_names)}
  return np.array([index.get(g, -1) for g in p.generators])


def standard(evaluation: Evaluation, split: str = "test") -> dict:
  """Metrics, report.md and figures for one split; returns what metrics.json holds."""
  calibration = calibrate(evaluation)
  p = predict(evaluation, evaluation.mix, split)
  threshold, temperature = calibration["threshold"], calibration["temperature"]
  calibrated = metrics.apply_temperature(p.scores, temperature)
  result = {"run_dir": evaluation.run_dir, "mix": evaluation.mix.name, "split": split,
            "aligned": evaluation.align, "calibration": calibration,
            "ece_after_temperature": metrics.expected_calibration_error(p.labels, calibrated)}
  for name, t in (("at_0.5", 0.5), ("at_threshold", threshold)):
    result[name] = {
        "overall": metrics.binary_metrics(p.labels, p.scores, t),
        "per_source": metrics.per_group(p.labels, p.scores, p.sources, t),
        # A generator alone is one class; against every real image its AUC is defined.
        "per_generator": metrics.per_group(p.labels, p.scores, p.generators, t, with_real=True),
    }
  names = evaluation.config.data.class_names
  if p.probabilities is None:
    names = [metrics.REAL, SYNTHETIC]
    predicted = np.where(p.scores >= threshold, SYNTHETIC, metrics.REAL)
  else:
    predicted = np.asarray(names)[p.probabilities.argmax(axis=1)]
    targets = _targets(p, names)
    known = targets >= 0
    result["attribution"] = metrics.attribution_metrics(targets[known],
                                                        p.probabilities[known], names)
    result["attribution"]["unknown_generators"] = sorted(set(p.generators[~known].tolist()))
  matrix, sources = metrics.source_confusion(p.sources, predicted, names)
  result["source_confusion"] = {"classes": names, "sources": sources, "matrix": matrix.tolist()}
  result["skipped_files"] = skipped_files(evaluation)
  result["figures"] = _standard_figures(evaluation, p, threshold, calibrated, result)
  files.write_json(os.path.join(evaluation.out_dir, "metrics.json"), result)
  files.write_text(os.path.join(evaluation.out_dir, "report.md"), report.standard_report(result))
  return result


def _standard_figures(evaluation, p, threshold, calibrated, result) -> list:
  out = lambda name: os.path.join(evaluation.out_dir, name)  # noqa: E731
  binary_predicted = (p.scores >= threshold).astype(int)
  paths = [plots.roc(p.labels, p.scores, out("roc.png")),
           plots.det(p.labels, p.scores, out("det.png")),
           plots.precision_recall(p.labels, p.scores, out("precision_recall.png")),
           plots.confusion(p.labels, binary_predicted, [metrics.REAL, SYNTHETIC],
                           out("confusion.png"), f"Confusion at threshold {threshold:.3f}"),
           plots.reliability(p.labels, {"raw": p.scores, "temperature-scaled": calibrated},
                             out("reliability.png"))]
  confusion = result["source_confusion"]
  paths.append(plots.source_confusion(confusion["matrix"], confusion["classes"],
                                      confusion["sources"], out("source_confusion.png")))
  if "attribution" in result:
    targets = _targets(p, confusion["classes"])
    known = targets >= 0
    paths.append(plots.confusion(targets[known], p.probabilities[known].argmax(axis=1),
                                 confusion["classes"], out("generator_confusion.png"),
                                 "Generator attribution"))
  return [os.path.basename(path) for path in paths if path]


def skipped_files(evaluation: Evaluation) -> dict:
  """source → split → {reason: count} of files its builder could not decode."""
  result = {}
  for entry in evaluation.mix.sources:
    skipped = evaluation.builders[entry.name].info.metadata.get("skipped") or {}
    bad = {split: dict(c) for split, c in skipped.items() if c}
    if bad:
      result[entry.name] = bad
  return result


if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("evaluate")
