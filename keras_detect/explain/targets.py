"""What an explanation explains: one logit of a detector, seen through a linear output.

Gradients of a sigmoid or softmax saturate, so every method works on a copy of the
detector whose output layers are linear (tf-keras-vis `ReplaceToLinear`). Score-CAM and
LIME need class probabilities from these logits (tf-keras-vis' Score-CAM applies softmax to
the model output, and softmax of one value is always 1). A binary detector's logit z
becomes the pair `[-z/2, z/2]`, whose softmax is `[1 - p, p]`: index 1 is the synthetic
score, index 0 the real one. An attribution detector explains its predicted class.
"""

import dataclasses
import weakref

import keras
import numpy as np
from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

from keras_detect import backbones, detector, inference
from keras_detect.errors import UserError

SYNTHETIC = 1  # the synthetic logit of a binary detector's [-z/2, z/2] view

_VIEWS = weakref.WeakKeyDictionary()  # model → {variant: logit model}, made on first use


@dataclasses.dataclass(frozen=True)
class Target:
  """model: crops [B, S, S, 3] (0..255) → logits [B, K]; index: the explained logit."""
  model: keras.Model
  index: int
  label: str
  conv_layer: str | None  # the registry's last conv layer, None where there is none
  backbone: str
  source_model: keras.Model  # the detector explained, which `variant` copies
  task: str

  def variant(self, name: str, clone_function) -> keras.Model:
    """The logit model of a copy made with `clone_function` (e.g. guided ReLUs)."""
    return logit_model(self.source_model, self.task, name, clone_function)


def target_for(model: keras.Model, card, crop: np.ndarray, index: int | None = None) -> Target:
  """The Target of `model` for one crop; `index` fixes the logit (else the prediction)."""
  view = logit_model(model, card.task)
  if index is None:
    index = SYNTHETIC if card.task != detector.ATTRIBUTION else int(
        np.argmax(view([crop[None]], training=False)[0]))
  names = ("real", "synthetic") if card.task != detector.ATTRIBUTION else card.class_names
  return Target(view, index, str(names[index]), _last_conv_layer(card.backbone),
                card.backbone, model, card.task)


def _last_conv_layer(backbone: str) -> str | None:
  # A fused model holds one feature map per member, inside nested models: no single layer.
  return None if inference.is_fused(backbone) else backbones.get(backbone).last_conv_layer


def logit_model(model: keras.Model, task: str, variant: str = "linear",
                clone_function=None) -> keras.Model:
  """A copy of `model` (its weights when first asked for) whose output is the logits of the
  explained head; `variant` names copies made with another `clone_function`."""
  views = _VIEWS.setdefault(model, {})
  if variant not in views:
    copy = keras.models.clone_model(model, clone_function=clone_function)
    copy.set_weights(model.get_weights())
    ReplaceToLinear()(copy)
    head = detector.ATTRIBUTION if task == detector.ATTRIBUTION else detector.BINARY
    logits = copy.get_layer(head).output
    if head == detector.BINARY:
      logits = keras.layers.Concatenate(name="logits")([-0.5 * logits, 0.5 * logits])
    # A list of inputs, as tf-keras-vis passes them, so Keras does not warn on each call.
    views[variant] = keras.Model(copy.inputs, logits, name=f"{model.name}_{variant}")
  return views[variant]


def conv_layer(target: Target, method: str) -> str:
  """The layer a CAM method reads; a UserError where the backbone has no spatial map."""
  if inference.is_fused(target.backbone):
    raise UserError(f"{method} needs one convolutional feature map, and a fused detector "
                    f"({target.backbone}) has one per member: explain a member's run with "
                    f"{method}, or this one with saliency, smoothgrad or lime.")
  layer = target.conv_layer
  found = layer and any(l.name == layer for l in target.model.layers)
  if not found or len(target.model.get_layer(layer).output.shape) != 4:
    raise UserError(f"{method} needs a convolutional feature map, and {target.backbone} has "
                    "none (its registry entry names no last_conv_layer, or the model lacks "
                    "it); use saliency, smoothgrad, guided_positive, guided_negative or lime.")
  return layer


def score_function(target: Target):
  """The tf-keras-vis score: the explained logit of each sample."""
  return lambda output: output[:, target.index]


def normalize(values) -> np.ndarray:
  """Min-max to [0, 1] in float64 (gradients of an untrained model can be ~1e-20, below
  the 1e-7 epsilon that tf-keras-vis' own normalisation adds); a flat map is all zeros."""
  values = np.nan_to_num(np.asarray(values, np.float64))
  low, high = values.min(), values.max()
  if high <= low:
    return np.zeros(values.shape, np.float32)
  return ((values - low) / (high - low)).astype(np.float32)
