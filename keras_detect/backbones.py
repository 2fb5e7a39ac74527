"""Backbones by name: one registry of plain data, in the manner of keras-hub presets and timm.

`BACKBONES` maps a name to a `Backbone`: how to build the network on an input tensor, the
input scaling it expects, its native and smallest input sizes, and the layer names that
explanations (Grad-CAM's last conv layer) and fine-tuning (the top stage) look up. The
papers' baselines (`baselines.py`) register into the same namespace.

    entry = backbones.get("effnetb4")
    x = layers.BackbonePreprocess(entry.preprocess)(inputs)
    features = backbones.build_features("effnetb4", x, weights="imagenet")

Layer names were read from models built with weights=None (keras 3.15); the table-driven
test in tests/test_backbones.py rebuilds every entry and checks them.
"""

import contextlib
import dataclasses
import difflib
import fnmatch
import functools
import inspect
import os
import socket
from typing import Callable

import keras
from keras.src.backend import config as keras_config
from keras.src.utils import file_utils

from keras_detect import baselines
from keras_detect.errors import UserError

A = keras.applications
DOWNLOAD_TIMEOUT_S = 20  # per socket operation; a dead network fails instead of hanging


@dataclasses.dataclass(frozen=True)
class Backbone:
  """One registry entry.

  constructor: `constructor(input_tensor=..., weights=..., include_top=False, **options)
    -> keras.Model`, the signature of the Keras Applications constructors.
  native_size: the input size the network was designed (and ImageNet-trained) for.
  min_size: the smallest input side the constructor accepts.
  preprocess: a `layers.BackbonePreprocess` mode, applied before the network.
  last_conv_layer: the layer whose output is the final feature map (Grad-CAM); None where
    there is no spatial map (the MLP baseline).
  top_stage_prefix: "top" fine-tuning trains every layer, in `model.layers` order, from the
    first whose name starts with this prefix. Where a stage's first layers are auto-named
    (Inception branches), it names the weightless concat that closes the stage before.
  options: default constructor keyword arguments, overridable per model config.
  own_head: True when the network ends in a feature vector (2-D) and the caller adds only
    the output layer(s); False when it ends in a 4-D feature map for the standard head.
  family: "keras_applications" or "baseline".
  """
  constructor: Callable[..., keras.Model]
  native_size: int
  min_size: int
  preprocess: str
  last_conv_layer: str | None
  top_stage_prefix: str
  options: dict = dataclasses.field(default_factory=dict)
  own_head: bool = False
  family: str = "keras_applications"


def _named_output(constructor, layer_name):
  """`constructor`, with an identity layer of a fixed name on its final feature map.

  MobileNetV3 and ConvNeXt end in auto-named layers ("activation_17", "layer_normalization")
  whose names depend on what was built before in the session; Grad-CAM needs a stable one.
  """
  @functools.wraps(constructor)
  def build(**kwargs):
    model = constructor(**kwargs)
    outputs = keras.layers.Identity(name=layer_name)(model.output)
    return keras.Model(model.input, outputs, name=model.name)
  return build


def _truncated(constructor, last_layer):
  """`constructor`, cut after `last_layer`: its early stages, whose feature maps still
  resolve the pixel-level traces of generators (NPR stops ResNet-50 after its second stage).

  The full network is built first, so that ImageNet weights or a weights file, both made
  for it, load as they are; the returned model holds only the layers up to the cut.
  """
  @functools.wraps(constructor)
  def build(**kwargs):
    model = constructor(**kwargs)
    return keras.Model(model.input, model.get_layer(last_layer).output,
                       name=f"{model.name}_to_{last_layer}")
  return build


BACKBONES: dict[str, Backbone] = {
    "effnetb0": Backbone(A.EfficientNetB0, 224, 32, "none", "top_activation", "block7a"),
    "effnetb1": Backbone(A.EfficientNetB1, 240, 32, "none", "top_activation", "block7a"),
    "effnetb2": Backbone(A.EfficientNetB2, 260, 32, "none", "top_activation", "block7a"),
    "effnetb3": Backbone(A.EfficientNetB3, 300, 32, "none", "top_activation", "block7a"),
    "effnetb4": Backbone(A.EfficientNetB4, 380, 32, "none", "top_activation", "block7a"),
    "effnetb5": Backbone(A.EfficientNetB5, 456, 32, "none", "top_activation", "block7a"),
    "effnetb6": Backbone(A.EfficientNetB6, 528, 32, "none", "top_activation", "block7a"),
    "effnetb7": Backbone(A.EfficientNetB7, 600, 32, "none", "top_activation", "block7a"),
    "effnetv2s": Backbone(A.EfficientNetV2S, 384, 32, "none", "top_activation", "block6a",
                          options={"include_preprocessing": True}),
    "inceptionv3": Backbone(A.InceptionV3, 299, 75, "tf", "mixed10", "mixed8"),
    "xception": Backbone(A.Xception, 299, 71, "tf", "block14_sepconv2_act", "block14"),
    "vgg16": Backbone(A.VGG16, 224, 32, "caffe", "block5_conv3", "block5"),
    "vgg19": Backbone(A.VGG19, 224, 32, "caffe", "block5_conv4", "block5"),
    "densenet121": Backbone(A.DenseNet121, 224, 32, "torch", "relu", "conv5"),
    "resnet50": Backbone(A.ResNet50, 224, 32, "caffe", "conv5_block3_out", "conv5"),
    "resnet101": Backbone(A.ResNet101, 224, 32, "caffe", "conv5_block3_out", "conv5"),
    "resnet152": Backbone(A.ResNet152, 224, 32, "caffe", "conv5_block3_out", "conv5"),
    "inceptionresnetv2": Backbone(A.InceptionResNetV2, 299, 75, "tf", "conv_7b_ac", "mixed_7a"),
    "mobilenet": Backbone(A.MobileNet, 224, 32, "tf", "conv_pw_13_relu", "conv_dw_12",
                          options={"alpha": 1.0}),
    "mobilenetv3small": Backbone(_named_output(A.MobileNetV3Small, "mobilenetv3_features"),
                                 224, 32, "none", "mobilenetv3_features", "expanded_conv_8_",
                                 options={"include_preprocessing": True}),
    "mobilenetv3large": Backbone(_named_output(A.MobileNetV3Large, "mobilenetv3_features"),
                                 224, 32, "none", "mobilenetv3_features", "expanded_conv_12_",
                                 options={"include_preprocessing": True}),
    "convnexttiny": Backbone(_named_output(A.ConvNeXtTiny, "convnext_tiny_features"),
                             224, 32, "none", "convnext_tiny_features",
                             "convnext_tiny_downsampling_block_2",
                             options={"include_preprocessing": True}),
    # Truncated: ResNet-50 to conv3 (its second residual stage; 1.5 M of 23.6 M weights),
    # EfficientNetB0 to block 3 (69 k), MobileNet α 0.25 to block 6 (20 k; the α of the
    # shared weights file). Each "top" stage is the last one kept.
    "resnet50_stage2": Backbone(_truncated(A.ResNet50, "conv3_block4_out"), 224, 32, "caffe",
                                "conv3_block4_out", "conv3"),
    "effnetb0_block3": Backbone(_truncated(A.EfficientNetB0, "block3b_add"), 224, 32, "none",
                                "block3b_add", "block3a"),
    "mobilenet_block6": Backbone(_truncated(A.MobileNet, "conv_pw_6_relu"), 224, 32, "tf",
                                 "conv_pw_6_relu", "conv_dw_6", options={"alpha": 0.25}),
}
BACKBONES.update({name: Backbone(**fields, family="baseline")
                  for name, fields in baselines.BASELINES.items()})


def get(name: str) -> Backbone:
  """The registry entry for `name`; a UserError naming the known ones otherwise."""
  if name in BACKBONES:
    return BACKBONES[name]
  close = difflib.get_close_matches(name, BACKBONES, n=3)
  hint = f" Did you mean {' or '.join(close)}?" if close else ""
  raise UserError(f"Unknown backbone '{name}'.{hint} Known: {', '.join(sorted(BACKBONES))}")


def list_backbones(pattern: str = "*") -> list:
  """Registry names matching a shell-style pattern, sorted (like timm.list_models)."""
  return sorted(fnmatch.filter(BACKBONES, pattern))


def build_features(name: str, inputs, weights=None, **options) -> keras.Model:
  """The backbone built ON `inputs` (already preprocessed), without its classifier.

  Its layers sit inline in the caller's functional graph: the returned model runs from the
  source inputs of `inputs` to the feature map (or, for `own_head` baselines, the feature
  vector), so the caller can build one flat model on `model.output`. `weights` is None,
  "imagenet" or a path to a weights file.
  """
  entry = get(name)
  _check_size(name, entry, inputs)
  options = {**entry.options, **options}
  _check_options(name, entry.constructor, options)
  guard = _imagenet_download(name) if weights == "imagenet" else contextlib.nullcontext()
  try:
    with guard:
      return entry.constructor(input_tensor=inputs, weights=weights, include_top=False, **options)
  except ValueError as error:  # the constructors' own argument checks
    raise UserError(f"{name}: {' '.join(str(error).split())}") from error


def _check_size(name, entry, inputs):
  sides = [side for side in inputs.shape[1:3] if side is not None]
  if any(side < entry.min_size for side in sides):
    raise UserError(f"{name} needs inputs of at least {entry.min_size}×{entry.min_size} pixels, "
                    f"got {'×'.join(map(str, sides))}; use --image-size {entry.min_size} or more "
                    f"(native: {entry.native_size}).")


def _check_options(name, constructor, options):
  parameters = inspect.signature(constructor).parameters
  if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
    return
  fixed = {"input_tensor", "weights", "include_top"}
  unknown = sorted(set(options) - (set(parameters) - fixed))
  if unknown:
    known = sorted(set(parameters) - fixed)
    raise UserError(f"Unknown option(s) for {name}: {', '.join(unknown)} "
                    f"(known: {', '.join(known)}).")


@contextlib.contextmanager
def _imagenet_download(name):
  """Turns a failed ImageNet weight download into one UserError, with a short socket timeout.

  Keras Applications fetch weights through `file_utils.get_file`, which looks in
  `$KERAS_HOME/models/` first; wrapping it names the file the constructor asked for.
  """
  original = file_utils.get_file

  def get_file(fname=None, origin=None, *args, **kwargs):
    try:
      return original(fname, origin, *args, **kwargs)
    except Exception as error:
      expected = fname or os.path.basename(origin or "")
      models_dir = os.path.join(keras_config.keras_home(), "models")
      reason = " ".join(str(error).split())[:200] or type(error).__name__
      raise UserError(f"The ImageNet weights for {name} could not be downloaded "
                      f"({reason}); put the file `{expected}` in "
                      f"$KERAS_HOME/models/ (here {models_dir}; default ~/.keras/models/) "
                      "or pass --weights PATH.") from error

  timeout = socket.getdefaulttimeout()
  file_utils.get_file = get_file
  socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
  try:
    yield
  finally:
    file_utils.get_file = original
    socket.setdefaulttimeout(timeout)
