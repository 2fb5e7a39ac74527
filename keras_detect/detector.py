"""The detector: augmentation → representation → backbone preprocessing → backbone → head,
as ONE flat graph.

The backbone is built on the model's own input tensor, so its layers sit inline in the
detector (no nested Model): explanation tools look layers up by name, and they cannot
see inside a nested model. The head is GlobalAveragePooling → Dense(ReLU) → BatchNorm →
Dropout → output; baselines with their own head only get the output layer(s).

The representation (`layers.REPRESENTATIONS`) re-expresses the pixels before the backbone's
input scaling. `patches` changes the batch: the backbone scores each image's selected
patches as one batch, and `patch_pool` averages their features back to one row per image.

Tasks: `binary` (sigmoid: probability of synthetic), `attribution` (softmax over `real`
and each generator) or `both` (two named outputs, one loss each).
"""

import math
import os

import keras

from keras_detect import backbones, layers, preprocessing
from keras_detect.errors import UserError

BINARY = "binary"
ATTRIBUTION = "attribution"
BN_MOMENTUM = 0.9
HEAD_LAYERS = ("patch_pool", "head_pool", "head_dense", "head_bn", "head_dropout", BINARY,
               ATTRIBUTION)
INPUT_LAYERS = ("representation", "backbone_preprocess", "degradation")


def build(model_config, image_size: int, class_names: list, seed: int = 0) -> keras.Model:
  """A compiled-ready (not compiled) detector for a ModelConfig."""
  entry = backbones.get(model_config.backbone)
  inputs = keras.Input((image_size, image_size, 3), name="image")
  x = inputs
  for layer in preprocessing.augmentation(model_config.augment, seed=seed):
    x = layer(x)
  if model_config.augment.degradation:
    x = preprocessing.Degradation(seed=seed, name="degradation")(x)
  representation = layers.representation(model_config.representation)
  if representation is not None:
    _check_patches(representation, model_config.backbone, entry, image_size)
    x = representation(x)
  x = layers.BackbonePreprocess(entry.preprocess, name="backbone_preprocess")(x)
  before_backbone = {l.name for l in keras.Model(inputs, x).layers}
  features = backbones.build_features(model_config.backbone, x,
                                      weights=weights_argument(model_config.weights),
                                      **model_config.options)
  y = features.output
  if isinstance(representation, layers.HighLowPatches):
    y = layers.PatchPool(representation.patches_per_image, name="patch_pool")(y)
  if not entry.own_head:
    y = keras.layers.GlobalAveragePooling2D(name="head_pool")(y)
    y = keras.layers.Dense(model_config.head_units, activation="relu", name="head_dense")(y)
    y = keras.layers.BatchNormalization(name="head_bn")(y)
    y = keras.layers.Dropout(model_config.dropout, name="head_dropout")(y)
  outputs = _task_outputs(y, model_config.task, class_names)
  model = keras.Model(inputs, outputs, name=f"detector_{model_config.backbone}")
  for layer in model.layers:
    # Keras' default momentum (0.99) needs ~500 steps before the moving statistics used at
    # inference match the batches; short runs then score every image alike.
    if isinstance(layer, keras.layers.BatchNormalization):
      layer.momentum = BN_MOMENTUM
  model.backbone_layers = [l.name for l in features.layers if l.name not in before_backbone]
  return model


def _check_patches(representation, backbone: str, entry, image_size: int) -> None:
  if not isinstance(representation, layers.HighLowPatches):
    return
  size, needed = representation.patch_size, representation.patches_per_image
  if entry.min_size > size:
    raise UserError(f"The patches representation feeds {size} px patches to the backbone; "
                    f"{backbone} needs at least {entry.min_size} px. Use a backbone that "
                    f"takes {size} px (e.g. resnet50_stage2) or another representation.")
  if (image_size // size) ** 2 < needed:
    side = size * math.ceil(math.sqrt(needed))
    raise UserError(f"The patches representation keeps {needed} patches of {size} px per "
                    f"image; use data.image_size {side} or more (got {image_size}).")


def _task_outputs(features, task: str, class_names: list):
  # float32 outputs keep losses stable under a mixed-precision policy.
  binary = keras.layers.Dense(1, activation="sigmoid", dtype="float32", name=BINARY)
  if task == BINARY:
    return binary(features)
  if len(class_names) < 2:
    raise UserError("Attribution needs at least two classes (real and a generator); "
                    f"the data has {class_names}.")
  attribution = keras.layers.Dense(len(class_names), activation="softmax", dtype="float32",
                                   name=ATTRIBUTION)
  if task == ATTRIBUTION:
    return attribution(features)
  return {BINARY: binary(features), ATTRIBUTION: attribution(features)}


def weights_argument(weights: str):
  """Config value → the `weights` argument of a Keras Applications constructor."""
  if weights in ("", "none", None):
    return None
  if weights == "imagenet":
    return "imagenet"
  if not os.path.isfile(weights):
    raise UserError(f"Weights file not found: {weights} (use --weights none|imagenet|PATH)")
  return weights


def set_trainable(model: keras.Model, policy: str, pretrained: bool) -> None:
  """Fine-tuning policy over the backbone layers; the head always trains.

  head: backbone frozen. top: only the backbone's last stage trains. full: all train.
  With pretrained weights, BatchNorm layers stay frozen (inference mode) so small
  fine-tuning batches do not wreck their ImageNet statistics.
  """
  entry = backbones.get(model.name.removeprefix("detector_"))
  names = backbone_layer_names(model)
  in_top = False
  for layer in model.layers:
    if layer.name not in names:
      layer.trainable = True
      continue
    in_top = in_top or layer.name.startswith(entry.top_stage_prefix)
    trainable = policy == "full" or (policy == "top" and in_top)
    if pretrained and isinstance(layer, keras.layers.BatchNormalization):
      trainable = False
    layer.trainable = trainable


def backbone_layer_names(model: keras.Model) -> set:
  """Every layer that is not the input, the preprocessing/augmentation or the head."""
  if hasattr(model, "backbone_layers"):
    return set(model.backbone_layers)
  own = set(HEAD_LAYERS) | set(INPUT_LAYERS)
  return {l.name for l in model.layers
          if not isinstance(l, keras.layers.InputLayer) and l.name not in own
          and not l.name.startswith("augment_")}


def load_model(path: str, compile: bool = True) -> keras.Model:
  """Loads a saved detector; the custom layers register on import of this module.
  `compile=False` leaves the optimizer out (scoring and export need none)."""
  if not os.path.isfile(path):
    raise UserError(f"No model at {path}: train one with `python -m keras_detect.fit`.")
  return keras.models.load_model(path, safe_mode=True, compile=compile)
