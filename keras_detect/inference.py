"""What scoring a trained detector needs, from a run directory or an exported SavedModel.

`ModelCard` holds what the weights alone do not say: input size and scale, threshold and
temperature, task and class names. `calibrated_outputs` turns the model's raw outputs into
the named outputs every user sees (probability after temperature, label at the stored
threshold, generator); the exported graph and in-process scoring both call it, so they
cannot drift apart. `Detector` scores crops that `ShortSideCrop` made.

Several crops per image: `image_crops` takes the crop at the training scale and `native`
crops at native resolution (centre, then corners: resizing erases generator traces), and
`combine_crops` pools them by the mean of their calibrated logits. The verdict is
`uncertain` when the crops disagree (spread of their logits above the card's
`crop_disagreement`) or the pooled probability lies within `uncertainty_band` of the
threshold; otherwise it is the label.
"""

import json
import math
import os
from dataclasses import asdict, dataclass, field

import numpy as np
import tensorflow as tf

from keras_detect import config as config_lib
from keras_detect import data, detector, preprocessing
from keras_detect.errors import UserError

BEST = "best.keras"
CALIBRATION = "calibration.json"
PARAMS = "params.yaml"
CARD = "model_card.json"
FUSED_PREFIX = "fusion of "  # a fused run's backbone: its members' backbones and inputs
KERAS_MODEL = "detector.keras"  # the Keras model beside an exported SavedModel (assets/)
LABELS = ("real", "synthetic")
UNCERTAIN = "uncertain"
# The detector shipped beside the package (an exported model folder), used when no model is
# named; KERAS_DETECT_DEFAULT_MODEL points elsewhere.
DEFAULT_MODEL = os.environ.get("KERAS_DETECT_DEFAULT_MODEL") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models",
    "keras_detect_default")


# What the model card calls weak: a robustness condition that costs more test ROC-AUC than
# WEAK_DROP; a test source of which the threshold calls more real images synthetic than
# WEAK_FPR, or finds fewer synthetic ones than WEAK_RECALL.
WEAK_DROP, WEAK_FPR, WEAK_RECALL = 0.02, 0.05, 0.5


@dataclass(frozen=True)
class ModelCard:
  """Everything about a detector that scoring, export and people need to know."""

  name: str
  backbone: str
  task: str
  image_size: int
  short_side: float  # inference scale: short side shrunk to short_side × image_size
  threshold: float  # on the raw probability of synthetic; chosen on validation
  threshold_method: str
  temperature: float
  class_names: list = field(default_factory=list)  # attribution: "real" then generators
  attribution_temperature: float = 1.0
  mix: str = ""
  sources: list = field(default_factory=list)
  chosen_on: str = ""
  metrics: dict = field(default_factory=dict)  # split → {metric: value}
  sources_not_seen: list = field(default_factory=list)
  weak_conditions: dict = field(default_factory=dict)  # robustness condition → AUC drop > 0.02
  weak_sources: list = field(default_factory=list)  # test sources the threshold serves badly
  uncertainty_band: float = 0.1  # |probability − calibrated threshold| below this: uncertain
  crop_disagreement: float = 1.0  # std of the crops' logits above this: uncertain

  @property
  def calibrated_threshold(self) -> float:
    """The threshold on `probability` (after temperature): the same verdicts as `threshold`."""
    score = min(max(self.threshold, 1e-7), 1 - 1e-7)
    return 1.0 / (1.0 + math.exp(-math.log(score / (1 - score)) / self.temperature))

  def to_dict(self) -> dict:
    return asdict(self)

  @classmethod
  def from_dict(cls, values: dict) -> "ModelCard":
    return cls(**values)


def read_card(run_dir: str, name: str = "") -> ModelCard:
  """The card of a run directory (params.yaml + calibration.json [+ metrics.json])."""
  config = _run_config(run_dir)
  calibration = _read_json(os.path.join(run_dir, CALIBRATION), (
      f"{run_dir} has no {CALIBRATION}: run `keras-detect evaluate {run_dir}` first; it "
      "chooses the threshold and temperature on the validation split."))
  mix = data.load_mix(config.data.mix)
  metrics_path = os.path.join(run_dir, "metrics.json")
  measured = _read_json(metrics_path, "") if os.path.isfile(metrics_path) else {}
  sources = [s.name for s in mix.sources]
  return ModelCard(
      name=name or os.path.basename(os.path.normpath(run_dir)),
      backbone=_backbone(run_dir, config), task=config.model.task,
      image_size=config.data.image_size, short_side=data.eval_short_side(config.data, mix),
      threshold=float(calibration["threshold"]),
      threshold_method=calibration.get("threshold_method", ""),
      temperature=float(calibration.get("temperature", 1.0)),
      class_names=list(config.data.class_names),
      attribution_temperature=float(calibration.get("attribution_temperature", 1.0)),
      mix=mix.name, sources=sources, chosen_on=calibration.get("chosen_on", ""),
      crop_disagreement=float(calibration.get("crop_disagreement", ModelCard.crop_disagreement)),
      metrics={"validation": {k.removeprefix("threshold_validation_"): calibration[k]
                              for k in calibration if k.startswith("threshold_validation_")},
               **_headline_metrics(measured)},
      sources_not_seen=_sources_not_seen(config.data.manual_dir, sources),
      weak_conditions=_weak_conditions(os.path.join(run_dir, "robustness.json")),
      weak_sources=weak_sources(measured))


def _backbone(run_dir: str, config) -> str:
  """The backbone, or for a fused run (fusion.json) its members' backbones and inputs."""
  fusion = os.path.join(run_dir, "fusion.json")
  if not os.path.isfile(fusion):
    return config.model.backbone
  members = _read_json(fusion, "")["members"]
  return FUSED_PREFIX + " + ".join(f"{m['backbone']}/{m['representation']}" for m in members)


def is_fused(backbone: str) -> bool:
  """Whether a card's backbone names a fused run's members rather than one registry entry."""
  return backbone.startswith(FUSED_PREFIX)


def calibrated_outputs(raw, card: ModelCard) -> dict:
  """Raw model outputs (a tensor or {binary, attribution}) → the named outputs."""
  binary, attribution = _split_outputs(raw, card.task)
  score = binary[:, 0] if binary is not None else 1.0 - attribution[:, 0]
  result = {
      "probability": _temperature(score, card.temperature),
      "label": tf.where(score >= card.threshold, LABELS[1], LABELS[0]),
  }
  if attribution is not None:
    logits = tf.math.log(tf.clip_by_value(attribution, 1e-7, 1.0)) / card.attribution_temperature
    probabilities = tf.nn.softmax(logits)
    # The most likely generator, whatever the binary verdict: "real" is class 0.
    names = tf.constant(card.class_names)
    result["generator_probabilities"] = probabilities
    result["generator"] = tf.gather(names, tf.argmax(probabilities[:, 1:], axis=-1) + 1)
  return result


def image_crops(image, card: ModelCard, native: int = 0) -> tf.Tensor:
  """[H, W, 3] pixels → [1 + native, S, S, 3]: the training-scale crop (ShortSideCrop),
  then `native` crops at native resolution (centre, then corners), never resampled except
  for images smaller than the crop."""
  size = card.image_size
  image = tf.cast(image, tf.float32)
  crops = [preprocessing.short_side_crop(image, size, card.short_side)]
  if native:
    covered = _cover(image, size)
    height, width = tf.shape(covered)[0], tf.shape(covered)[1]
    bottom, right = height - size, width - size
    corners = [(bottom // 2, right // 2), (0, 0), (0, right), (bottom, 0), (bottom, right)]
    crops += [tf.image.crop_to_bounding_box(covered, top, left, size, size)
              for top, left in corners[:native]]
  return tf.stack(crops)


def combine_crops(outputs: dict, n_crops: int, card: ModelCard) -> dict:
  """Per-crop outputs (image-major, n_crops each) → one row of outputs per image, with
  `verdict` (real | synthetic | uncertain) and `crop_spread` (std of the crops' logits)."""
  probability = tf.clip_by_value(tf.cast(outputs["probability"], tf.float32), 1e-7, 1 - 1e-7)
  logits = tf.reshape(tf.math.log(probability) - tf.math.log1p(-probability), [-1, n_crops])
  pooled = tf.sigmoid(tf.reduce_mean(logits, axis=1))
  spread = tf.math.reduce_std(logits, axis=1)
  threshold = card.calibrated_threshold
  label = tf.where(pooled >= threshold, LABELS[1], LABELS[0])
  unsure = (spread > card.crop_disagreement) | (tf.abs(pooled - threshold) < card.uncertainty_band)
  result = {"probability": pooled, "label": label, "crop_spread": spread,
            "verdict": tf.where(unsure, UNCERTAIN, label)}
  if "generator_probabilities" in outputs:
    probabilities = tf.reshape(outputs["generator_probabilities"],
                               [-1, n_crops, len(card.class_names)])
    mean = tf.reduce_mean(probabilities, axis=1)
    result["generator_probabilities"] = mean
    result["generator"] = tf.gather(tf.constant(card.class_names),
                                    tf.argmax(mean[:, 1:], axis=-1) + 1)
  return result


class Detector:
  """Scores model-input crops [B, S, S, 3] (0..255) with the card's calibration.

  `keras_model` is the Keras detector when one is at hand (a run directory, or an export's
  assets/detector.keras), loaded on first use: explanations need its layers."""

  def __init__(self, card: ModelCard, score_crops, keras_model=None, keras_model_path: str = ""):
    self.card = card
    self.keras_model_path = keras_model_path
    self._keras_model = keras_model
    self._score_crops = score_crops

  def crop(self, pixels: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] of any size → float32 [S, S, 3], as evaluation sizes it."""
    return self.crops(pixels)[0]

  @property
  def keras_model(self):
    if self._keras_model is None and self.keras_model_path:
      self._keras_model = detector.load_model(self.keras_model_path, compile=False)
    return self._keras_model

  def crops(self, pixels: np.ndarray, native: int = 0) -> np.ndarray:
    """uint8 [H, W, 3] → float32 [1 + native, S, S, 3] (see image_crops)."""
    return image_crops(pixels, self.card, native).numpy()

  def score(self, crops: np.ndarray, n_crops: int = 1) -> dict:
    """Crops of images (n_crops each, image-major) → one row of outputs per image."""
    outputs = self._score_crops(tf.constant(crops, tf.float32))
    outputs = combine_crops(outputs, n_crops, self.card)
    return {key: _to_python(value.numpy()) for key, value in outputs.items()}


def load_detector(path: str = "") -> Detector:
  """A run directory (params.yaml, best.keras, calibration.json) or an exported SavedModel
  version folder (saved_model.pb); a model folder of versions takes the newest; "" the
  shipped default model."""
  if not path and not os.path.isdir(DEFAULT_MODEL):
    raise UserError("No default model is installed with this copy of keras-detect: pass "
                    "--model RUN_DIR|SAVEDMODEL.")
  path = _newest_version(path or DEFAULT_MODEL)
  if os.path.isfile(os.path.join(path, "saved_model.pb")):
    return _saved_model_detector(path)
  if os.path.isfile(os.path.join(path, PARAMS)):
    card = read_card(path)
    model = detector.load_model(os.path.join(path, BEST), compile=False)
    return Detector(card, lambda crops: calibrated_outputs(model(crops, training=False), card),
                    keras_model=model)
  raise UserError(f"{path} is neither a run directory (params.yaml) nor an exported model "
                  "(saved_model.pb): pass what `keras-detect fit` or `keras-detect export` wrote.")


def _saved_model_detector(path: str) -> Detector:
  card_path = os.path.join(path, "assets", CARD)
  card = ModelCard.from_dict(_read_json(card_path, f"{path} has no assets/{CARD}: export it "
                                                   "again with `keras-detect export`."))
  signature = tf.saved_model.load(path).signatures["predict_images"]
  keras_model = os.path.join(path, "assets", KERAS_MODEL)
  return Detector(card, lambda crops: signature(images=crops),
                  keras_model_path=keras_model if os.path.isfile(keras_model) else "")


def _cover(image, size: int):
  """Upsizes an image whose short side is below `size` to cover the crop; else as it is."""
  height, width = tf.shape(image)[0], tf.shape(image)[1]
  short = tf.minimum(height, width)
  scale = tf.maximum(size / tf.cast(short, tf.float32), 1.0)
  new = tf.cast(tf.math.ceil(tf.cast([height, width], tf.float32) * scale), tf.int32)
  return tf.cond(short < size, lambda: tf.image.resize(image, new), lambda: image)


def _newest_version(path: str) -> str:
  versions = [name for name in os.listdir(path) if name.isdigit()] if os.path.isdir(path) else []
  return os.path.join(path, max(versions, key=int)) if versions else path


def _split_outputs(raw, task: str):
  if task == "both":
    return raw["binary"], raw["attribution"]
  return (raw, None) if task == "binary" else (None, raw)


def _temperature(score, temperature: float):
  score = tf.clip_by_value(tf.cast(score, tf.float32), 1e-7, 1.0 - 1e-7)
  return tf.sigmoid((tf.math.log(score) - tf.math.log1p(-score)) / temperature)


def _to_python(value: np.ndarray):
  if value.dtype.kind in ("O", "S"):
    return np.array([v.decode() if isinstance(v, bytes) else v for v in value.ravel()])
  return value


def _run_config(run_dir: str):
  params = os.path.join(run_dir, PARAMS)
  if not os.path.isfile(params):
    raise UserError(f"{run_dir} is not a run directory (no {PARAMS}): pass the folder that "
                    "`python -m keras_detect.fit` wrote.")
  return config_lib.load(params)


def _read_json(path: str, missing_message: str) -> dict:
  if not os.path.isfile(path):
    raise UserError(missing_message)
  with open(path) as f:
    return json.load(f)


def _headline_metrics(measured: dict) -> dict:
  """split → overall metrics at the validated threshold, from evaluate's metrics.json."""
  overall = measured.get("at_threshold", {}).get("overall", {})
  keys = ("examples", "roc_auc", "average_precision", "accuracy", "balanced_accuracy", "fpr",
          "fnr", "tpr_at_1pct_fpr")
  picked = {k: overall[k] for k in keys if isinstance(overall.get(k), (int, float))}
  return {measured.get("split", "test"): picked} if picked else {}


def _weak_conditions(path: str) -> dict:
  """Conditions of evaluate's robustness sweep that cost more than WEAK_DROP AUC."""
  if not os.path.isfile(path):
    return {}
  with open(path) as f:
    rows = json.load(f)
  return {r["condition"]: round(r["drop_roc_auc"], 3) for r in rows
          if isinstance(r.get("drop_roc_auc"), float) and r["drop_roc_auc"] > WEAK_DROP}


def weak_sources(measured: dict) -> list:
  """What evaluate's test split says the threshold gets wrong, one line per source: real
  images called synthetic more often than WEAK_FPR, synthetic ones found less often than
  WEAK_RECALL."""
  lines = []
  for name, m in measured.get("at_threshold", {}).get("per_source", {}).items():
    if m.get("real") and m["fpr"] > WEAK_FPR:
      lines.append(f"{name}: {round(m['fpr'] * m['real'])} of {m['real']} real test images "
                   "called synthetic")
    if m.get("synthetic") and m["recall"] < WEAK_RECALL:
      lines.append(f"{name}: {round(m['recall'] * m['synthetic'])} of {m['synthetic']} "
                   "synthetic test images found")
  return lines


def _sources_not_seen(manual_dir: str, sources: list) -> list:
  """Sources in the manual dir that the training mix left out (a first held-out list)."""
  if not os.path.isdir(manual_dir):
    return []
  present = sorted(name for name in os.listdir(manual_dir)
                   if os.path.isfile(os.path.join(manual_dir, name, "manifest.csv")))
  return [name for name in present if name not in sources]
