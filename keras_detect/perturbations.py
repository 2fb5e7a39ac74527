"""Robustness conditions as data: name → family, strength and an in-graph image function.

Two registries, by where the function acts:
- `ROBUSTNESS` acts on the model input (float32 [S, S, 3] in 0..255, already sized) and
  keeps its size: JPEG re-compression, blur, noise, grayscale, crop and resize chains.
- `FORMAT_SWAP` acts on the ORIGINAL decoded image (uint8 [H, W, 3], before any cropping;
  `data.make_dataset(transform=...)`): the same pixels saved as another format, for both
  classes alike, which exposes a detector that learned the container instead of the image.
Every function is deterministic, so a condition scores the same on every run.
"""

import io
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from keras_detect import preprocessing
from keras_detect.errors import UserError

NOISE_SEED = 1234
CLEAN = "clean"


@dataclass(frozen=True)
class Condition:
  name: str
  family: str
  strength: float  # the x axis of the family's plot (quality, σ, factor, pixels)
  apply: Callable


def _pixels(image):
  # Each step ends as an 8-bit image, as it would when a real pipeline saves it.
  return tf.clip_by_value(tf.round(image), 0.0, 255.0)


def _resize(image, size):
  return _pixels(tf.image.resize(image, size, method="bilinear", antialias=True))


def _scaled(size, factor):
  return tf.cast(tf.round(tf.cast(size, tf.float32) * factor), tf.int32)


def identity(image):
  return image


def jpeg(quality: int):
  return lambda image: preprocessing.jpeg_roundtrip(image, quality)


def blur(sigma: float):
  kernel = 2 * math.ceil(3 * sigma) + 1  # ±3σ: a 7-tap kernel would truncate σ 3 and 4
  return lambda image: _pixels(preprocessing.gaussian_blur(image[None], sigma, kernel)[0])


def noise(fraction: float):
  """Gaussian noise with σ = fraction of the 0..255 range; seeded by the image itself,
  so every image gets its own noise and the same image always the same."""
  def apply(image):
    content = tf.cast(tf.reduce_sum(tf.round(image)), tf.int64)
    seed = tf.stack([tf.constant(NOISE_SEED, tf.int64), content])
    return _pixels(image + tf.random.stateless_normal(tf.shape(image), seed,
                                                      stddev=fraction * 255.0))
  return apply


def grayscale(image):
  return tf.tile(_pixels(tf.image.rgb_to_grayscale(image)), [1, 1, 3])


def center_crop(fraction: float):
  """The central `fraction` of each side, resized back to the input size."""
  return lambda image: _resize(tf.image.central_crop(image, fraction), tf.shape(image)[:2])


def rescale(factor: float):
  """×factor and back to the input size: down-then-up, or up-then-centre-crop."""
  def apply(image):
    size = tf.shape(image)[:2]
    changed = _resize(image, _scaled(size, factor))
    if factor < 1:
      return _resize(changed, size)
    return tf.image.resize_with_crop_or_pad(changed, size[0], size[1])
  return apply


def resize_chain(factor: float):
  """Up by `factor` then back down: 512→1024→512 is 2.0 and 768→512 is 1.5, relative to
  the model input."""
  def apply(image):
    size = tf.shape(image)[:2]
    return _resize(_resize(image, _scaled(size, factor)), size)
  return apply


def downscale_to(pixels: int):
  """Short side to `pixels`, then back to the input size (a thumbnail round trip; an
  up-and-down resize when the input is smaller than `pixels`)."""
  def apply(image):
    size = tf.shape(image)[:2]
    return _resize(_resize(image, _scaled(size, pixels / tf.cast(tf.reduce_min(size), tf.float32))),
                   size)
  return apply


def encode_as(image_format: str, quality: int = 0):
  """uint8 [H, W, 3] → the same image saved as jpeg | png | webp and decoded again."""
  if image_format == "jpeg":
    return lambda image: preprocessing.decode_image(tf.io.encode_jpeg(image, quality=quality))
  if image_format == "png":
    return lambda image: tf.io.decode_png(tf.io.encode_png(image), channels=3)
  if image_format == "webp":  # TensorFlow decodes WebP but cannot encode it: Pillow does
    def apply(image):
      out = tf.numpy_function(lambda pixels: _pillow_roundtrip(pixels, "WEBP", quality),
                              [image], tf.uint8, stateful=False)
      out.set_shape([None, None, 3])
      return out
    return apply
  raise ValueError(f"Unknown format '{image_format}'")


def _pillow_roundtrip(pixels: np.ndarray, image_format: str, quality: int) -> np.ndarray:
  from PIL import Image
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format=image_format, quality=quality)
  buffer.seek(0)
  return np.asarray(Image.open(buffer).convert("RGB"), dtype=np.uint8)


def _registry(conditions) -> dict:
  return {c.name: c for c in conditions}


ROBUSTNESS = _registry(
    [Condition(CLEAN, CLEAN, 0, identity)]
    + [Condition(f"jpeg_{q}", "jpeg", q, jpeg(q)) for q in (100, 95, 90, 80, 75, 70, 60, 50, 40, 30)]
    + [Condition(f"blur_sigma{s}", "blur", s, blur(s)) for s in (1, 2, 3, 4)]
    + [Condition("noise_0.05", "noise", 0.05, noise(0.05)),
       Condition("grayscale", "grayscale", 1, grayscale),
       Condition("center_crop_50", "crop", 0.5, center_crop(0.5)),
       Condition("resize_x0.5", "resize", 0.5, rescale(0.5)),
       Condition("resize_x2", "resize", 2.0, rescale(2.0)),
       Condition("resize_512_1024_512", "resize_chain", 2.0, resize_chain(2.0)),
       Condition("resize_768_512", "resize_chain", 1.5, resize_chain(1.5)),
       Condition("downscale_112", "downscale", 112, downscale_to(112)),
       Condition("downscale_64", "downscale", 64, downscale_to(64))])

FORMAT_SWAP = _registry([
    Condition(CLEAN, CLEAN, 0, identity),
    Condition("jpeg_95", "format", 95, encode_as("jpeg", 95)),
    Condition("jpeg_75", "format", 75, encode_as("jpeg", 75)),
    Condition("png", "format", 0, encode_as("png")),
    Condition("webp_80", "format", 80, encode_as("webp", 80)),
])


def select(registry: dict, names=None) -> list:
  """The named conditions (all when names is empty), clean always first."""
  names = list(names or registry)
  unknown = [n for n in names if n not in registry]
  if unknown:
    raise UserError(f"Unknown condition(s) {unknown}. Known: {', '.join(registry)}")
  return [registry[CLEAN]] + [registry[n] for n in names if n != CLEAN]
