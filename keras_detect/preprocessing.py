"""Image sizing policies and augmentation as Keras layers, so they travel into exported graphs.

- `decode_image`: encoded bytes → RGB uint8, the one in-graph decoder (JPEG decoded with
  the accurate IDCT, as Pillow does, so stored and re-encoded pixels agree).
- `ShortSideCrop`: the inference path of every image (evaluation, predict, the exported
  graph): short side shrunk to the training scale, smaller images upsized, centre crop.
- `fit_to_size`: the tf.data sizing step (resize | center_crop | random_crop at native
  resolution | short_side_crop: shrunk to a fixed scale, then centre-cropped; images smaller
  than the crop are upsized first).
- Augmentation layers (active only in training): random JPEG re-compression, Gaussian
  blur and downscale (CNNDetection-style), beside Keras' own RandomFlip, RandomRotation
  and RandomGrayscale.
- `Degradation`: Gaussian blur (kernel 7, σ 2) then Gaussian noise (σ 0.1 of the 0..1
  range), applied at training AND inference; with a seed it is deterministic.
- `RECIPES`: named sets of blur, JPEG and downscale (`model.augment.recipe`).
- `augmentation(config)`: the layers an AugmentConfig asks for, in order.

Images are float32 in 0..255 throughout.
"""

import itertools
import math

import keras
import tensorflow as tf

from keras_detect.errors import UserError

POLICIES = ("resize", "center_crop", "random_crop", "short_side_crop")
# Where a run does not say (no align.short_side in its mix), short_side_crop shrinks the
# short side to this many crop sizes: the middle of the shipped range [1.0, 1.5].
DEFAULT_SHORT_SIDE = 1.25
# A mix aligned at native resolution (no short_side, no downscale) is evaluated unshrunk:
# a short side of this many crop sizes is larger than any image this reads.
NATIVE_SHORT_SIDE = 10000.0


def eval_short_side(short_side_range) -> float:
  """The inference scale for a mix's `align.short_side` [low, high]: its middle."""
  return float(sum(short_side_range) / 2) if short_side_range else DEFAULT_SHORT_SIDE


def decode_image(data: tf.Tensor) -> tf.Tensor:
  """Encoded JPEG/PNG/GIF (first frame)/BMP/WebP bytes → uint8 [H, W, 3]."""
  image = tf.cond(
      tf.io.is_jpeg(data),
      lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
      lambda: tf.io.decode_image(data, channels=3, expand_animations=False))
  return tf.ensure_shape(image, [None, None, 3])


def fit_to_size(image: tf.Tensor, size: int, policy: str, seed=None,
                short_side: float = DEFAULT_SHORT_SIDE) -> tf.Tensor:
  """uint8/float [H, W, 3] → float32 [size, size, 3] in 0..255."""
  if policy not in POLICIES:
    raise UserError(f"Unknown sizing policy '{policy}' (known: {', '.join(POLICIES)})")
  image = tf.cast(image, tf.float32)
  if policy == "resize":
    return tf.image.resize(image, [size, size], antialias=True)
  if policy == "short_side_crop":
    return short_side_crop(image, size, short_side)
  image = _upsize_to_cover(image, size)
  if policy == "center_crop":
    return tf.image.resize_with_crop_or_pad(image, size, size)
  if seed is None:
    return tf.image.random_crop(image, [size, size, 3])
  return tf.image.stateless_random_crop(image, [size, size, 3], seed)


def short_side_crop(images, size: int, short_side: float) -> tf.Tensor:
  """[H, W, 3] or [B, H, W, 3] float → [..., size, size, 3]: short side shrunk to
  short_side × size, images smaller than the crop upsized, centre crop."""
  images = _upsize_to_cover(shrink_short_side(images, short_side * size), size)
  return tf.image.resize_with_crop_or_pad(images, size, size)


@keras.saving.register_keras_serializable(package="keras_detect")
class ShortSideCrop(keras.layers.Layer):
  """Pixels of any size (0..255, one size per batch) → the model's input, as evaluation
  brings them there: the one inference path of evaluate, predict and the exported graph."""

  def __init__(self, size: int, short_side: float = DEFAULT_SHORT_SIDE, **kwargs):
    super().__init__(**kwargs)
    self.size = size
    self.short_side = short_side

  def call(self, images):
    return short_side_crop(tf.cast(images, tf.float32), self.size, self.short_side)

  def compute_output_shape(self, input_shape):
    return (input_shape[0], self.size, self.size, 3)

  def get_config(self):
    return {**super().get_config(), "size": self.size, "short_side": self.short_side}


def shrink_short_side(image, target):
  """Area-downscales an image (or a batch of one size) whose short side exceeds `target`
  (a float) to that side."""
  height, width = tf.shape(image)[-3], tf.shape(image)[-2]
  short = tf.cast(tf.minimum(height, width), tf.float32)
  factor = tf.minimum(tf.cast(target, tf.float32) / short, 1.0)
  new_size = tf.cast(tf.round(tf.cast([height, width], tf.float32) * factor), tf.int32)
  return tf.cond(factor < 1.0,
                 lambda: tf.image.resize(image, new_size, method="area", antialias=True),
                 lambda: tf.cast(image, tf.float32))


def _upsize_to_cover(image, size):
  """Images whose short side is below `size` are upsized; larger ones are left untouched."""
  height, width = tf.shape(image)[-3], tf.shape(image)[-2]
  short = tf.minimum(height, width)

  def upsize():
    scale = size / tf.cast(short, tf.float32)
    new = tf.cast(tf.math.ceil(tf.cast([height, width], tf.float32) * scale), tf.int32)
    return tf.clip_by_value(tf.image.resize(image, tf.maximum(new, size)), 0.0, 255.0)

  return tf.cond(short < size, upsize, lambda: image)


def gaussian_kernel(size: int, sigma) -> tf.Tensor:
  """[size, size, 3, 1] depthwise kernel for a σ (scalar tensor or float)."""
  sigma = tf.maximum(tf.cast(sigma, tf.float32), 1e-3)
  x = tf.range(size, dtype=tf.float32) - (size - 1) / 2.0
  k1 = tf.exp(-(x ** 2) / (2.0 * sigma ** 2))
  k1 /= tf.reduce_sum(k1)
  k2 = tf.tensordot(k1, k1, axes=0)
  return tf.tile(k2[:, :, None, None], [1, 1, 3, 1])


def gaussian_blur(images: tf.Tensor, sigma, kernel_size: int = 7) -> tf.Tensor:
  """Blurs a [B, H, W, 3] batch with reflect padding (no dark borders)."""
  pad = kernel_size // 2
  padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
  return tf.nn.depthwise_conv2d(padded, gaussian_kernel(kernel_size, sigma), [1, 1, 1, 1], "VALID")


def jpeg_roundtrip(image: tf.Tensor, quality) -> tf.Tensor:
  """One float [H, W, 3] image through JPEG at `quality` (int scalar tensor)."""
  encoded = tf.raw_ops.EncodeJpegVariableQuality(
      images=tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8),
      quality=tf.cast(quality, tf.int32))
  return tf.cast(decode_image(encoded), tf.float32)


class _RandomPerImage(keras.layers.Layer):
  """Base: applies `transform` to each image of a batch with probability `rate` in training."""

  def __init__(self, rate=0.5, seed=None, **kwargs):
    super().__init__(**kwargs)
    self.rate = rate
    self.seed = seed
    self.generator = keras.random.SeedGenerator(seed)

  def call(self, images, training=False):
    if not training:
      return images
    images = tf.cast(images, tf.float32)
    batch = tf.shape(images)[0]
    apply = keras.random.uniform([batch], seed=self.generator) < self.rate
    strengths = self.draw(batch)
    changed = tf.map_fn(lambda args: self.transform(*args), (images, strengths),
                        fn_output_signature=tf.float32)
    return tf.where(apply[:, None, None, None], changed, images)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="keras_detect")
class RandomJpegQuality(_RandomPerImage):
  """Re-compresses an image as JPEG with a quality drawn from [low, high]."""

  def __init__(self, quality_range=(30, 100), rate=0.5, seed=None, **kwargs):
    super().__init__(rate=rate, seed=seed, **kwargs)
    self.quality_range = tuple(int(q) for q in quality_range)

  def draw(self, batch):
    low, high = self.quality_range
    return tf.cast(keras.random.randint([batch], low, high + 1, seed=self.generator), tf.float32)

  def transform(self, image, quality):
    return jpeg_roundtrip(image, quality)

  def get_config(self):
    return {**super().get_config(), "quality_range": list(self.quality_range)}


@keras.saving.register_keras_serializable(package="keras_detect")
class RandomGaussianBlur(_RandomPerImage):
  """Blurs an image with σ drawn from [low, high], isotropic, per image.

  Not `keras.layers.RandomGaussianBlur`, which draws one (σx, σy) pair per batch (every
  blurred image of a step alike, and anisotropic) and zero-pads, darkening the borders it
  blurs. The kernel covers ±3σ of the largest σ unless `kernel_size` says otherwise, so
  σ = 3 is a σ = 3 blur (scipy's gaussian_filter, which CNNDetection uses, covers ±4σ).
  """

  def __init__(self, sigma_range=(0.0, 3.0), rate=0.5, seed=None, kernel_size=None, **kwargs):
    super().__init__(rate=rate, seed=seed, **kwargs)
    self.sigma_range = tuple(float(s) for s in sigma_range)
    self.kernel_size = kernel_size or 2 * math.ceil(3 * self.sigma_range[1]) + 1

  def draw(self, batch):
    low, high = self.sigma_range
    return keras.random.uniform([batch], low, high, seed=self.generator)

  def transform(self, image, sigma):
    return gaussian_blur(image[None], sigma, self.kernel_size)[0]

  def get_config(self):
    return {**super().get_config(), "sigma_range": list(self.sigma_range),
            "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="keras_detect")
class RandomDownscale(_RandomPerImage):
  """Shrinks an image by a factor drawn from [low, high] and brings it back to its size.

  The resolution loss of an image shared at a smaller size, at a fixed batch shape:
  area-averaged down (as photos are shrunk), bilinear back up. Keras' RandomZoom is no
  substitute: it rescales the content and fills the border instead of losing detail.
  """

  def __init__(self, scale_range=(0.5, 1.0), rate=0.5, seed=None, **kwargs):
    super().__init__(rate=rate, seed=seed, **kwargs)
    self.scale_range = tuple(float(s) for s in scale_range)

  def draw(self, batch):
    low, high = self.scale_range
    return keras.random.uniform([batch], low, high, seed=self.generator)

  def transform(self, image, scale):
    size = tf.shape(image)[:2]
    small = tf.maximum(tf.cast(tf.round(tf.cast(size, tf.float32) * scale), tf.int32), 1)
    shrunk = tf.image.resize(image, small, method="area", antialias=True)
    return tf.clip_by_value(tf.image.resize(shrunk, size), 0.0, 255.0)

  def get_config(self):
    return {**super().get_config(), "scale_range": list(self.scale_range)}


@keras.saving.register_keras_serializable(package="keras_detect")
class Degradation(keras.layers.Layer):
  """Gaussian blur then Gaussian noise, in training and at inference alike.

  Keras' GaussianNoise is a training-only regulariser; here the degradation is part of
  the input definition, so a model trained on degraded images sees degraded images in
  evaluation too. With a seed the noise is the same for the same batch position on
  every call (deterministic evaluation); without one it is fresh each call.
  """

  def __init__(self, kernel_size=7, sigma=2.0, noise_std=0.1, seed=None, **kwargs):
    super().__init__(**kwargs)
    self.kernel_size = kernel_size
    self.sigma = sigma
    self.noise_std = noise_std
    self.seed = seed

  def call(self, images):
    images = gaussian_blur(tf.cast(images, tf.float32), self.sigma, self.kernel_size)
    std = self.noise_std * 255.0  # σ is given on the 0..1 scale
    if self.seed is None:
      noise = tf.random.normal(tf.shape(images), stddev=std)
    else:
      noise = tf.random.stateless_normal(tf.shape(images), seed=[self.seed, 0], stddev=std)
    return tf.clip_by_value(images + noise, 0.0, 255.0)

  def compute_output_shape(self, input_shape):
    return input_shape

  def get_config(self):
    return {**super().get_config(), "kernel_size": self.kernel_size, "sigma": self.sigma,
            "noise_std": self.noise_std, "seed": self.seed}


# CNNDetection (Wang et al., CVPR 2020): blur σ ~ U[0, 3] and JPEG quality ~ U[30, 100],
# each drawn independently with probability 0.5 ("Blur+JPEG (0.5)") or 0.1, and flips
# (augment.flip, on by default). The random downscale, an addition, is the resolution loss
# of images shared at reduced size; it comes first, as images are shrunk before they are
# re-compressed.
RECIPES = {
    "none": {},
    "cnndetection": {"downscale": (0.5, 1.0), "blur": (0.0, 3.0), "jpeg": (30, 100),
                     "rate": 0.5},
    "cnndetection_0.1": {"downscale": (0.5, 1.0), "blur": (0.0, 3.0), "jpeg": (30, 100),
                         "rate": 0.1},
}


def augmentation(augment, seed=None) -> list:
  """The training-only augmentation layers an AugmentConfig asks for, in order."""
  if augment.recipe not in RECIPES:
    raise UserError(f"Unknown augmentation recipe '{augment.recipe}' "
                    f"(known: {', '.join(RECIPES)})")
  recipe = RECIPES[augment.recipe]
  rate = recipe.get("rate", 0.5)
  downscale = augment.downscale or recipe.get("downscale")
  blur, jpeg = augment.blur or recipe.get("blur"), augment.jpeg or recipe.get("jpeg")
  # One seed per layer: layers on the same seed draw the same numbers, so each would pick
  # the same images (blur exactly where JPEG) instead of choosing independently.
  seeds = itertools.repeat(None) if seed is None else itertools.count(seed)
  layers = []
  if augment.flip:
    layers.append(keras.layers.RandomFlip("horizontal", seed=next(seeds), name="augment_flip"))
  if augment.rotation:
    layers.append(keras.layers.RandomRotation(augment.rotation, fill_mode="reflect",
                                              seed=next(seeds), name="augment_rotation"))
  if augment.grayscale:
    layers.append(keras.layers.RandomGrayscale(augment.grayscale, seed=next(seeds),
                                               name="augment_grayscale"))
  if downscale:
    layers.append(RandomDownscale(downscale, rate=rate, seed=next(seeds),
                                  name="augment_downscale"))
  if blur:
    layers.append(RandomGaussianBlur(blur, rate=rate, seed=next(seeds), name="augment_blur"))
  if jpeg:
    layers.append(RandomJpegQuality(jpeg, rate=rate, seed=next(seeds), name="augment_jpeg"))
  return layers
