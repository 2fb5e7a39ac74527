"""Model layers that travel inside saved detectors: input representations, backbone input
scaling, DCT features, CBAM.

- `BackbonePreprocess(mode)`: 0..255 pixels → what a Keras Applications backbone expects.
- `DCT2D`: per-channel 2-D DCT-II, log-magnitude, standardised per image.
- `CBAM`: channel then spatial attention (Woo et al., 2018).
- `LogitMean`: score fusion of several detectors (keras_detect.fusion).
- Input representations (`REPRESENTATIONS`, chosen by `model.representation`): what the
  backbone sees instead of the pixels, between augmentation and `BackbonePreprocess`.
  `NPR` (neighbouring-pixel residual), `SRMHighPass` (fixed SRM residual filters), `DCT2D`
  rescaled to the pixel range, and `HighLowPatches` with `PatchPool` (AIDE's patch scoring).

Every representation emits values in 0..255 (or, for the DCT, mostly so), the range
`BackbonePreprocess` is defined on, so each of its modes maps them where the backbone
expects its inputs. Residuals are centred: 0 is mid-grey (127.5) and ±255 are white and
black; see `centre_residual`.

All are registered for `keras.models.load_model(..., safe_mode=True)`.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_detect.errors import UserError

# ImageNet statistics as in keras.applications.imagenet_utils.preprocess_input.
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
IMAGENET_MEAN_BGR_255 = (103.939, 116.779, 123.68)

PREPROCESS_MODES = ("none", "tf", "torch", "caffe")


@keras.saving.register_keras_serializable(package="keras_detect")
class BackbonePreprocess(keras.layers.Layer):
  """Maps 0..255 RGB to a backbone's expected input, as tensor math inside the graph.

  Modes (the `mode` of `keras.applications.imagenet_utils.preprocess_input`):
  - "none": identity, for networks that rescale inside themselves (EfficientNet,
    EfficientNetV2, ConvNeXt, MobileNetV3 with include_preprocessing=True); range 0..255.
  - "tf": x / 127.5 − 1 (MobileNet, Xception, InceptionV3, InceptionResNetV2); range −1..1.
  - "torch": x / 255, then ImageNet mean/std per channel (DenseNet); range ≈ −2.12..2.64.
  - "caffe": RGB → BGR, then minus the ImageNet BGR means (VGG, ResNet); range ≈ −123.7..151.1.
  """

  def __init__(self, mode="none", **kwargs):
    super().__init__(**kwargs)
    if mode not in PREPROCESS_MODES:
      raise ValueError(f"Unknown preprocess mode '{mode}' (known: {', '.join(PREPROCESS_MODES)})")
    self.mode = mode

  def call(self, images):
    dtype = images.dtype
    if self.mode == "tf":
      return images / 127.5 - 1.0
    if self.mode == "torch":
      mean = tf.constant(IMAGENET_MEAN_RGB, dtype)
      std = tf.constant(IMAGENET_STD_RGB, dtype)
      return (images / 255.0 - mean) / std
    if self.mode == "caffe":
      return images[..., ::-1] - tf.constant(IMAGENET_MEAN_BGR_255, dtype)
    return images

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="keras_detect")
class DCT2D(keras.layers.Layer):
  """[B, H, W, C] → log |DCT-II| per channel, standardised per image.

  The orthonormal DCT-II runs over rows then columns (it is separable, so the order does
  not change the result); log(|x| + epsilon) compresses the many-decade range between the
  DC term and the high frequencies where generator artefacts live. Each image is then
  standardised to zero mean and unit variance over H, W and C, as in
  `tf.image.per_image_standardization`: a fixed per-coefficient scale would need dataset
  statistics that a saved model cannot carry without a separate fitting step.

  `epsilon` is on the scale of the input; for 0..255 pixels the default sits well below
  the quantisation noise of 8-bit images (≈ 0.3 per coefficient). The output is
  `offset + scale · z` for the standardised z: the baselines use z itself (0, 1); the
  `dct` representation uses 127.5 + 32 z, so ±4 standard deviations span 0..255 and
  `BackbonePreprocess` treats the spectrum like an image. A few coefficients lie beyond
  (the DC term above; near-zero ones, the log's tail bounded by epsilon, below); the map
  is linear, so they are kept rather than clipped.
  """

  def __init__(self, epsilon=1e-3, offset=0.0, scale=1.0, **kwargs):
    super().__init__(**kwargs)
    self.epsilon = epsilon
    self.offset = offset
    self.scale = scale

  def call(self, images):
    # tf.signal.dct works on float32 only and over the last axis.
    x = tf.transpose(tf.cast(images, tf.float32), [0, 3, 1, 2])       # [B, C, H, W]
    x = tf.signal.dct(x, type=2, norm="ortho")                         # along each row
    x = tf.signal.dct(tf.linalg.matrix_transpose(x), type=2, norm="ortho")  # along each column
    x = tf.transpose(x, [0, 3, 2, 1])                                  # [B, C, W, H] → [B, H, W, C]
    x = tf.math.log(tf.abs(x) + self.epsilon)
    x = self.offset + self.scale * tf.image.per_image_standardization(x)
    return tf.cast(x, self.compute_dtype)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "epsilon": self.epsilon, "offset": self.offset,
            "scale": self.scale}


@keras.saving.register_keras_serializable(package="keras_detect")
class CBAM(keras.layers.Layer):
  """Convolutional Block Attention Module: channel attention, then spatial attention.

  Channel: global average and max pooling → one shared MLP (C → C/reduction → C) → sum →
  sigmoid, scaling each channel. Spatial: mean and max over channels → k×k conv → sigmoid,
  scaling each position. The output has the input's shape; the spatial map is the "mask".
  """

  def __init__(self, reduction=16, kernel_size=7, **kwargs):
    super().__init__(**kwargs)
    self.reduction = reduction
    self.kernel_size = kernel_size

  def build(self, input_shape):
    channels = input_shape[-1]
    hidden = max(channels // self.reduction, 1)
    self.mlp_hidden = keras.layers.Dense(hidden, activation="relu", name="mlp_hidden")
    self.mlp_out = keras.layers.Dense(channels, name="mlp_out")
    self.spatial_conv = keras.layers.Conv2D(1, self.kernel_size, padding="same",
                                            activation="sigmoid", name="spatial_conv")
    pooled = (input_shape[0], channels)
    self.mlp_hidden.build(pooled)
    self.mlp_out.build((input_shape[0], hidden))
    self.spatial_conv.build((*input_shape[:-1], 2))

  def call(self, features):
    avg = keras.ops.mean(features, axis=(1, 2))
    peak = keras.ops.max(features, axis=(1, 2))
    weights = keras.ops.sigmoid(self.mlp_out(self.mlp_hidden(avg))
                                + self.mlp_out(self.mlp_hidden(peak)))
    features = features * weights[:, None, None, :]
    stats = keras.ops.concatenate([keras.ops.mean(features, axis=-1, keepdims=True),
                                   keras.ops.max(features, axis=-1, keepdims=True)], axis=-1)
    return features * self.spatial_conv(stats)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "reduction": self.reduction, "kernel_size": self.kernel_size}


# Residual representations: 127.5 + r / 2 maps the whole range of a pixel difference,
# −255..255, onto 0..255, so NPR loses nothing to the clip; SRM residuals (gains up to 8)
# are truncated at ±255, as steganalysis truncates its residuals, which only edges reach.
RESIDUAL_CENTRE = 127.5
RESIDUAL_GAIN = 0.5


def centre_residual(residual):
  """A residual (pixel differences) → 0..255, 0 at mid-grey."""
  return tf.clip_by_value(RESIDUAL_CENTRE + RESIDUAL_GAIN * residual, 0.0, 255.0)


@keras.saving.register_keras_serializable(package="keras_detect")
class NPR(keras.layers.Layer):
  """Neighbouring-pixel residual (Tan et al., CVPR 2024): x − up₂(down₂(x)), nearest both ways.

  Down-sampling keeps each 2×2 block's top-left pixel and up-sampling repeats it, so the
  residual is each pixel minus its block's anchor: the local correlation that generators'
  up-sampling layers leave and cameras do not. A nearest-upsampled image gives exactly 0
  (mid-grey). Odd sizes are fine: the last row or column is its own block.
  """

  def call(self, images):
    x = tf.cast(images, tf.float32)
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    anchors = tf.repeat(tf.repeat(x[:, ::2, ::2, :], 2, axis=1), 2, axis=2)
    return tf.cast(centre_residual(x - anchors[:, :height, :width, :]), self.compute_dtype)

  def compute_output_shape(self, input_shape):
    return input_shape


# The three SRM kernels of the RGB-N noise stream (Zhou et al., CVPR 2018), 3×3 ones centred
# in 5×5, each divided by its normaliser q: KB (3×3 square), KV (5×5 square) and the
# horizontal second-order residual. Each sums to zero, so flat regions give 0.
SRM_KERNELS = (
    ([[0, 0, 0, 0, 0], [0, -1, 2, -1, 0], [0, 2, -4, 2, 0], [0, -1, 2, -1, 0],
      [0, 0, 0, 0, 0]], 4.0),
    ([[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2],
      [-1, 2, -2, 2, -1]], 12.0),
    ([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 1, -2, 1, 0], [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0]], 2.0),
)


@keras.saving.register_keras_serializable(package="keras_detect")
class SRMHighPass(keras.layers.Layer):
  """[B, H, W, 3] → [B, H, W, 3]: one fixed SRM residual per output channel.

  Each filter runs on the mean of R, G and B (RGB-N sums the channels; the mean keeps the
  residual on the pixel scale), so output channel k is filter k's residual and ImageNet
  backbones keep their three input channels. The kernels are constants, not weights:
  nothing trains them. Reflect padding keeps the image border from reading as an edge.
  """

  def call(self, images):
    grey = tf.reduce_mean(tf.cast(images, tf.float32), axis=-1, keepdims=True)
    padded = tf.pad(grey, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
    kernels = np.stack([np.array(k, "float32") / q for k, q in SRM_KERNELS], axis=-1)
    residuals = tf.nn.conv2d(padded, kernels[:, :, None, :], 1, "VALID")
    return tf.cast(centre_residual(residuals), self.compute_dtype)

  def compute_output_shape(self, input_shape):
    return (*input_shape[:-1], len(SRM_KERNELS))


@keras.saving.register_keras_serializable(package="keras_detect")
class HighLowPatches(keras.layers.Layer):
  """[B, H, W, C] → [B·2k, P, P, C]: each image's k richest and k poorest P px patches.

  After AIDE (Yan et al., 2024): the image is cut into non-overlapping P×P patches at
  native resolution (a remainder at the right and bottom is dropped), each scored by its
  high-frequency DCT energy (squared orthonormal DCT-II coefficients of the channel mean
  with u + v ≥ P, beyond the anti-diagonal), and the k highest then the k lowest are kept,
  image by image. The backbone scores them as one batch; `PatchPool` averages them back.
  """

  def __init__(self, patch_size=32, k=2, **kwargs):
    super().__init__(**kwargs)
    self.patch_size = patch_size
    self.k = k

  @property
  def patches_per_image(self) -> int:
    return 2 * self.k

  def build(self, input_shape):
    height, width = input_shape[1:3]
    if height is not None and width is not None:
      count = (height // self.patch_size) * (width // self.patch_size)
      if count < self.patches_per_image:
        raise ValueError(f"{height}×{width} images hold {count} patches of "
                         f"{self.patch_size} px; {self.patches_per_image} are needed.")

  def call(self, images):
    size, channels = self.patch_size, images.shape[-1]
    window = [1, size, size, 1]
    grid = tf.image.extract_patches(tf.cast(images, tf.float32), window, window,
                                    [1, 1, 1, 1], "VALID")
    patches = tf.reshape(grid, [tf.shape(images)[0], -1, size, size, channels])
    order = tf.argsort(self._high_frequency_energy(patches), axis=1,
                       direction="DESCENDING", stable=True)
    chosen = tf.concat([order[:, :self.k], order[:, -self.k:]], axis=1)
    picked = tf.gather(patches, chosen, batch_dims=1)
    return tf.cast(tf.reshape(picked, [-1, size, size, channels]), self.compute_dtype)

  def _high_frequency_energy(self, patches):
    grey = tf.reduce_mean(patches, axis=-1)                              # [B, N, P, P]
    rows = tf.signal.dct(grey, type=2, norm="ortho")
    both = tf.signal.dct(tf.linalg.matrix_transpose(rows), type=2, norm="ortho")
    index = np.arange(self.patch_size)
    high = (np.add.outer(index, index) >= self.patch_size).astype("float32")
    return tf.reduce_sum(tf.square(both) * high, axis=[-2, -1])         # [B, N]

  def compute_output_shape(self, input_shape):
    batch = None if input_shape[0] is None else input_shape[0] * self.patches_per_image
    return (batch, self.patch_size, self.patch_size, input_shape[-1])

  def get_config(self):
    return {**super().get_config(), "patch_size": self.patch_size, "k": self.k}


@keras.saving.register_keras_serializable(package="keras_detect")
class PatchPool(keras.layers.Layer):
  """[B·n, ...] → [B, ...]: the mean over each image's n consecutive patch rows.

  On a feature map it commutes with the head's global average pooling, so the detector
  pools patches right after the backbone, for feature maps and feature vectors alike.
  """

  def __init__(self, patches_per_image, **kwargs):
    super().__init__(**kwargs)
    self.patches_per_image = patches_per_image

  def call(self, features):
    shape = tf.concat([[-1, self.patches_per_image], tf.shape(features)[1:]], axis=0)
    return tf.reduce_mean(tf.reshape(features, shape), axis=1)

  def compute_output_shape(self, input_shape):
    batch = None if input_shape[0] is None else input_shape[0] // self.patches_per_image
    return (batch, *input_shape[1:])

  def get_config(self):
    return {**super().get_config(), "patches_per_image": self.patches_per_image}


@keras.saving.register_keras_serializable(package="keras_detect")
class LogitMean(keras.layers.Layer):
  """Probabilities of several detectors → one: the mean of their logits, each divided by
  its detector's calibration temperature. `kind` binary: sigmoid outputs [B, 1]; softmax:
  class probabilities [B, K] (log-probabilities averaged, then a softmax)."""

  KINDS = ("binary", "softmax")

  def __init__(self, temperatures, kind: str = "binary", **kwargs):
    super().__init__(dtype="float32", **{k: v for k, v in kwargs.items() if k != "dtype"})
    if kind not in self.KINDS:
      raise ValueError(f"kind must be one of {self.KINDS}, got {kind!r}")
    self.temperatures = [float(t) for t in temperatures]
    self.kind = kind
    # An attribute, as Dense's, so that tf-keras-vis' ReplaceToLinear turns the output into
    # the mean logit that explanations read.
    self.activation = tf.sigmoid if kind == "binary" else tf.nn.softmax

  def call(self, probabilities):
    logits = []
    for p, temperature in zip(probabilities, self.temperatures):
      p = tf.clip_by_value(tf.cast(p, tf.float32), 1e-7, 1 - 1e-7)
      logit = tf.math.log(p) - tf.math.log1p(-p) if self.kind == "binary" else tf.math.log(p)
      logits.append(logit / temperature)
    return self.activation(tf.add_n(logits) / len(logits))

  def compute_output_shape(self, input_shape):
    return input_shape[0]

  def get_config(self):
    return {**super().get_config(), "temperatures": self.temperatures, "kind": self.kind}


# name → (layer class, its arguments); "rgb" is the pixels themselves.
REPRESENTATIONS = {
    "rgb": None,
    "npr": (NPR, {}),
    "highpass": (SRMHighPass, {}),
    "dct": (DCT2D, {"offset": 127.5, "scale": 32.0}),
    "patches": (HighLowPatches, {"patch_size": 32, "k": 2}),
}


def representation(name: str):
  """The layer (named "representation") that re-expresses 0..255 pixels; None for rgb."""
  if name not in REPRESENTATIONS:
    raise UserError(f"Unknown representation '{name}' "
                    f"(known: {', '.join(REPRESENTATIONS)})")
  if REPRESENTATIONS[name] is None:
    return None
  layer_class, arguments = REPRESENTATIONS[name]
  return layer_class(**arguments, name="representation")
