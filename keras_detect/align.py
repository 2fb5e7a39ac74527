"""Format alignment: every image of every class leaves as the same kind of JPEG.

Real and synthetic sources differ in container, JPEG quality and size; a detector that
sees raw files learns those instead of generator artefacts. `align_jpeg` downscales by a
random factor, crops to a fixed size at native resolution and re-encodes with a quality
drawn from a range — the same distributions for both classes — all in-graph (tf.data).
"""

from dataclasses import dataclass

import tensorflow as tf

from keras_detect.errors import UserError
from keras_detect.preprocessing import fit_to_size

FORMATS = ("jpeg",)


@dataclass(frozen=True)
class AlignSpec:
  format: str = "jpeg"
  quality: tuple = (65, 100)  # inclusive range, drawn uniformly per image
  downscale: tuple = (1.0, 1.0)  # factor range applied before the crop

  @classmethod
  def from_dict(cls, values: dict, where: str) -> "AlignSpec":
    unknown = set(values) - {"format", "quality", "downscale"}
    if unknown:
      raise UserError(f"{where}: unknown align keys {sorted(unknown)} (known: format, quality, downscale)")
    spec = cls(format=str(values.get("format", "jpeg")).lower(),
               quality=tuple(values.get("quality", cls.quality)),
               downscale=tuple(values.get("downscale", cls.downscale)))
    if spec.format not in FORMATS:
      raise UserError(f"{where}: align.format must be one of {FORMATS}")
    if not (1 <= spec.quality[0] <= spec.quality[1] <= 100):
      raise UserError(f"{where}: align.quality must be [low, high] within 1..100")
    if not (0 < spec.downscale[0] <= spec.downscale[1] <= 1):
      raise UserError(f"{where}: align.downscale must be [low, high] within (0, 1]")
    return spec


def align_jpeg(image: tf.Tensor, spec: AlignSpec, size: int, seed: tf.Tensor) -> tf.Tensor:
  """uint8 [H, W, 3] of any size → JPEG bytes of a size×size crop (scalar tf.string)."""
  seeds = tf.random.experimental.stateless_split(seed, 3)
  image = _random_downscale(image, spec.downscale, size, seeds[0])
  image = fit_to_size(image, size, "random_crop", seed=seeds[1])
  image = tf.cast(tf.round(image), tf.uint8)
  quality = tf.random.stateless_uniform([], seeds[2], spec.quality[0], spec.quality[1] + 1,
                                        dtype=tf.int32)
  return tf.raw_ops.EncodeJpegVariableQuality(images=image, quality=quality)


def _random_downscale(image, factor_range, size, seed):
  height, width = tf.shape(image)[0], tf.shape(image)[1]
  short = tf.cast(tf.minimum(height, width), tf.float32)
  factor = tf.random.stateless_uniform([], seed, factor_range[0], factor_range[1])
  # Never below the crop size: a crop is taken next, and upsizing would blur.
  factor = tf.clip_by_value(factor, tf.minimum(size / short, 1.0), 1.0)
  new_size = tf.cast(tf.round(tf.cast([height, width], tf.float32) * factor), tf.int32)
  resized = tf.image.resize(image, new_size, method="area", antialias=True)
  resized = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
  return tf.cond(factor < 1.0, lambda: resized, lambda: image)
