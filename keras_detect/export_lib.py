"""TF Serving export: a run directory → `saved_models/<name>/<version>/`.

The SavedModel decodes and sizes images inside the graph, so a client sends file bytes
and nothing else. Two signatures:
- `serving_default`: `images`, tf.string [None] of encoded JPEG, PNG, GIF (first frame),
  BMP or WebP (TensorFlow's own decoders), decoded to RGB, then `ShortSideCrop`;
- `predict_images`: `images`, float32 [None, H, W, 3] pixels 0..255 of any H, W (one size
  per batch), for clients that decode themselves;
- `serving_crops`: encoded images like serving_default, each scored on its training-scale
  crop and NATIVE_CROPS crops at native resolution, pooled (inference.combine_crops), with
  `verdict` (real | synthetic | uncertain) and `crop_spread` besides.
Both return `probability` (after the calibration temperature), `label` (real/synthetic at
the validated threshold) and, for attribution models, `generator_probabilities` and
`generator`. The model card (assets/model_card.json and assets/MODEL_CARD.md) and the
Keras model itself (assets/detector.keras, for explanations, which need its layers)
travel inside the version folder; the model folder gets a `models.config` entry and batching
parameters for tensorflow_model_server.

A version is written to a hidden temporary folder (TF Serving ignores names that are not
integers) and renamed into place, so a crash never leaves a half version.
"""

import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from keras_detect import detector, inference, preprocessing
from keras_detect.errors import UserError

SAVED_MODELS = "saved_models"
NATIVE_CROPS = 4
MODELS_CONFIG = "models.config"
BATCHING = "batching_parameters.txt"
BATCHING_PARAMETERS = """\
max_batch_size { value: 32 }
batch_timeout_micros { value: 5000 }
num_batch_threads { value: 4 }
max_enqueued_batches { value: 100 }
"""


def export(run_dir: str, *, out_dir: str = SAVED_MODELS, name: str = "", version: int = 0,
           overwrite: bool = False) -> str:
  """Writes the run's detector as a SavedModel version; returns the version folder."""
  card = inference.read_card(run_dir, name)
  model = detector.load_model(os.path.join(run_dir, inference.BEST), compile=False)
  model_dir = os.path.join(out_dir, card.name)
  version = version or next_version(model_dir)
  final = os.path.join(model_dir, str(version))
  if os.path.exists(final) and not overwrite:
    raise UserError(f"{final} exists: pass --overwrite to replace it, or --version N "
                    f"(next free: {next_version(model_dir)}).")
  os.makedirs(model_dir, exist_ok=True)
  staging = tempfile.mkdtemp(prefix=f".{version}-", dir=model_dir)
  try:
    _write_saved_model(model, card, staging)
    _write_card(card, os.path.join(staging, "assets"))
    model.save(os.path.join(staging, "assets", inference.KERAS_MODEL))  # without the optimizer
    _replace(staging, final)
  finally:
    shutil.rmtree(staging, ignore_errors=True)
  _write_serving_files(model_dir, card.name)
  return final


def next_version(model_dir: str) -> int:
  if not os.path.isdir(model_dir):
    return 1
  return max((int(n) for n in os.listdir(model_dir) if n.isdigit()), default=0) + 1


def serving_functions(model: keras.Model, card: inference.ModelCard):
  """(bytes → outputs, pixels → outputs, bytes → pooled crops) as tf.functions over one
  sizing path."""
  sizing = preprocessing.ShortSideCrop(card.image_size, card.short_side)
  crop_spec = tf.TensorSpec([card.image_size, card.image_size, 3], tf.float32)

  def outputs(crops):
    return inference.calibrated_outputs(model(crops, training=False), card)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
  def from_bytes(images):
    crops = tf.map_fn(
        lambda data: sizing(tf.cast(preprocessing.decode_image(data), tf.float32)[None])[0],
        images, fn_output_signature=crop_spec)
    return outputs(crops)

  @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="images")])
  def from_pixels(images):
    return outputs(sizing(images))

  n_crops = 1 + NATIVE_CROPS
  crops_spec = tf.TensorSpec([n_crops, card.image_size, card.image_size, 3], tf.float32)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
  def from_bytes_crops(images):
    crops = tf.map_fn(
        lambda data: inference.image_crops(preprocessing.decode_image(data), card, NATIVE_CROPS),
        images, fn_output_signature=crops_spec)
    size = card.image_size
    return inference.combine_crops(outputs(tf.reshape(crops, [-1, size, size, 3])), n_crops, card)

  return from_bytes, from_pixels, from_bytes_crops


def _write_saved_model(model, card, folder: str) -> None:
  from_bytes, from_pixels, from_bytes_crops = serving_functions(model, card)
  archive = keras.export.ExportArchive()
  archive.track(model)
  archive.add_endpoint("serving_default", from_bytes)
  archive.add_endpoint("predict_images", from_pixels)
  archive.add_endpoint("serving_crops", from_bytes_crops)
  archive.write_out(folder, verbose=False)


def _write_card(card: inference.ModelCard, assets: str) -> None:
  os.makedirs(assets, exist_ok=True)
  with open(os.path.join(assets, inference.CARD), "w") as f:
    json.dump(card.to_dict(), f, indent=1)
  with open(os.path.join(assets, "MODEL_CARD.md"), "w") as f:
    f.write(model_card_markdown(card))


def model_card_markdown(card: inference.ModelCard) -> str:
  lines = [f"# Model card: {card.name}", "",
           f"- Backbone: `{card.backbone}`, task `{card.task}`, input {card.image_size} px",
           _scale_line(card),
           f"- Trained on mix `{card.mix}`: {', '.join(card.sources)}",
           f"- Threshold {card.threshold:.4f} on the probability of synthetic ({card.threshold_method}, "
           f"chosen on {card.chosen_on or 'validation'}); temperature {card.temperature:.3f}"]
  if card.class_names:
    lines.append(f"- Classes: {', '.join(card.class_names)}")
  for split, values in card.metrics.items():
    shown = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
    lines.append(f"- {split}: {shown}")
  lines += ["", "## Known blind spots", "",
            "- Generators and cameras outside the training mix: scores there are not "
            "measured by the figures above.",
            f"- Sources never seen in training: {', '.join(card.sources_not_seen) or 'none listed'}."]
  if card.weak_conditions:
    lines.append(f"- Conditions that cost more than {inference.WEAK_DROP:g} test ROC-AUC "
                 "(robustness sweep): "
                 + ", ".join(f"{k} −{v}" for k, v in card.weak_conditions.items()) + ".")
  if card.weak_sources:
    lines.append("- Sources of the test split that the threshold serves badly (real images "
                 f"flagged above {inference.WEAK_FPR:.0%}, synthetic ones found below "
                 f"{inference.WEAK_RECALL:.0%}):")
    lines += [f"  - {line}" for line in card.weak_sources]
  return "\n".join(lines) + "\n"


def _scale_line(card: inference.ModelCard) -> str:
  if card.short_side >= preprocessing.NATIVE_SHORT_SIDE:
    return "- Inference scale: native resolution (never shrunk), then a centre crop"
  return (f"- Inference scale: short side shrunk to {card.short_side:g} × {card.image_size} px "
          "(never enlarged, except images smaller than the crop), then a centre crop")


def _replace(staging: str, final: str) -> None:
  """Renames staging to final; an existing final is moved aside first, then removed."""
  old = None
  if os.path.exists(final):
    old = tempfile.mkdtemp(prefix=".replaced-", dir=os.path.dirname(final))
    os.rename(final, os.path.join(old, "version"))
  os.rename(staging, final)
  if old:
    shutil.rmtree(old, ignore_errors=True)


def _write_serving_files(model_dir: str, name: str) -> None:
  """models.config (TF Serving's --model_config_file) and its batching parameters."""
  config = (f"model_config_list {{\n  config {{\n    name: \"{name}\"\n"
            f"    base_path: \"/models/{name}\"\n    model_platform: \"tensorflow\"\n  }}\n}}\n")
  for file_name, text in ((MODELS_CONFIG, config), (BATCHING, BATCHING_PARAMETERS)):
    with open(os.path.join(model_dir, file_name), "w") as f:
      f.write(text)
