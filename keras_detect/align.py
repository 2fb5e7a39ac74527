"""Format alignment: every image of every class leaves as the same kind of JPEG.

Real and synthetic sources differ in container, JPEG quality and size; a detector that
sees raw files learns those instead of generator artefacts. `align_jpeg` downscales by a
random factor, crops to a fixed size at native resolution and re-encodes with a quality
drawn from a range — the same distributions for both classes — all in-graph (tf.data).
"""

from dataclasses import dataclass
from typing import Optional

import tensorflow as tf

from keras_detect.config import is_range
from keras_detect.errors import UserError
from keras_detect.preprocessing import fit_to_size, shrink_short_side

FORMATS = ("jpeg",)


@dataclass(frozen=True)
class AlignSpec:
  format: str = "jpeg"
  quality: tuple = (65, 100)  # inclusive range, drawn uniformly per image
  downscale: tuple = (1.0, 1.0)  # factor range applied before the crop
  # Or: the short side to shrink to, in crop sizes (e.g. [1, 2]), whatever the source's
  # size, so sources of 208 px and of 512 px reach the crop at the same scale.
  short_side: Optional[tuple] = None

  @classmethod
  def from_dict(cls, values: dict, where: str) -> "AlignSpec":
    known = ("format", "quality", "downscale", "short_side")
    unknown = set(values) - set(known)
    if unknown:
      raise UserError(f"{where}: unknown align keys {sorted(unknown)} (known: {', '.join(known)})")
    checks = (("quality", (1, 100, False), "[low, high] within 1..100"),
              ("downscale", (0, 1, True), "[low, high] within (0, 1]"),
              ("short_side", (1, float("inf"), False), "[low, high] crop sizes, 1 <= low <= high"))
    for key, bounds, form in checks:
      if values.get(key) is not None and not is_range(values[key], *bounds):
        raise UserError(f"{where}: align.{key} must be {form}, not {values[key]!r}")
    if values.get("short_side") and "downscale" in values:
      raise UserError(f"{where}: give align.downscale or align.short_side, not both")
    short_side = values.get("short_side")
    spec = cls(format=str(values.get("format", "jpeg")).lower(),
               quality=tuple(values.get("quality", cls.quality)),
               downscale=tuple(values.get("downscale", cls.downscale)),
               short_side=tuple(short_side) if short_side else None)
    if spec.format not in FORMATS:
      raise UserError(f"{where}: align.format must be one of {FORMATS}")
    return spec

  def to_dict(self) -> dict:
    """The mix-file form: what `from_dict` reads back (short_side or downscale, not both)."""
    values = {"format": self.format, "quality": list(self.quality)}
    if self.short_side:
      values["short_side"] = list(self.short_side)
    else:
      values["downscale"] = list(self.downscale)
    return values


def align_jpeg(image: tf.Tensor, spec: AlignSpec, size: int, seed: tf.Tensor) -> tf.Tensor:
  """uint8 [H, W, 3] of any size → JPEG bytes of a size×size crop (scalar tf.string)."""
  seeds = tf.random.experimental.stateless_split(seed, 3)
  image = _random_downscale(image, spec, size, seeds[0])
  image = fit_to_size(image, size, "random_crop", seed=seeds[1])
  image = tf.cast(tf.round(image), tf.uint8)
  quality = tf.random.stateless_uniform([], seeds[2], spec.quality[0], spec.quality[1] + 1,
                                        dtype=tf.int32)
  return tf.raw_ops.EncodeJpegVariableQuality(images=image, quality=quality)


def _random_downscale(image, spec, size, seed):
  short = tf.cast(tf.minimum(tf.shape(image)[0], tf.shape(image)[1]), tf.float32)
  if spec.short_side:
    target = tf.random.stateless_uniform([], seed, spec.short_side[0], spec.short_side[1]) * size
  else:
    target = tf.random.stateless_uniform([], seed, spec.downscale[0], spec.downscale[1]) * short
  # Never below the crop size: a crop is taken next, and upsizing would blur.
  resized = shrink_short_side(image, tf.maximum(target, float(size)))
  return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
