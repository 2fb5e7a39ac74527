"""Model layers that travel inside saved detectors: backbone input scaling, DCT features, CBAM.

- `BackbonePreprocess(mode)`: 0..255 pixels → what a Keras Applications backbone expects.
- `DCT2D`: per-channel 2-D DCT-II, log-magnitude, standardised per image.
- `CBAM`: channel then spatial attention (Woo et al., 2018).

All are registered for `keras.models.load_model(..., safe_mode=True)`.
"""

import keras
import tensorflow as tf

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
  the quantisation noise of 8-bit images (≈ 0.3 per coefficient).
  """

  def __init__(self, epsilon=1e-3, **kwargs):
    super().__init__(**kwargs)
    self.epsilon = epsilon

  def call(self, images):
    # tf.signal.dct works on float32 only and over the last axis.
    x = tf.transpose(tf.cast(images, tf.float32), [0, 3, 1, 2])       # [B, C, H, W]
    x = tf.signal.dct(x, type=2, norm="ortho")                         # along each row
    x = tf.signal.dct(tf.linalg.matrix_transpose(x), type=2, norm="ortho")  # along each column
    x = tf.transpose(x, [0, 3, 2, 1])                                  # [B, C, W, H] → [B, H, W, C]
    x = tf.math.log(tf.abs(x) + self.epsilon)
    return tf.cast(tf.image.per_image_standardization(x), self.compute_dtype)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "epsilon": self.epsilon}


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
