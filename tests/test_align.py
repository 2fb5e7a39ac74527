"""Format alignment: every image leaves as a JPEG of the crop size, with the requested
quality range and scale, whatever its original format and size."""

import numpy as np
import pytest
import tensorflow as tf

from keras_detect import align, preprocessing
from keras_detect.errors import UserError
from tfds_builders import image_io

SIZE = 32


def noisy_image(height, width, seed=0):
  rng = np.random.default_rng(seed)
  return tf.constant(rng.integers(0, 256, (height, width, 3)), tf.uint8)


def aligned(image, spec, seed):
  encoded = align.align_jpeg(image, spec, SIZE, tf.constant([seed, 0], tf.int64))
  return image_io.decode(encoded.numpy())


@pytest.mark.parametrize("height,width", [(SIZE, SIZE), (200, 90), (600, 1000)])
def test_every_image_becomes_a_jpeg_of_the_crop_size(height, width):
  decoded = aligned(noisy_image(height, width), align.AlignSpec(), seed=1)
  assert decoded.traits.format == "JPEG"
  assert decoded.pixels.shape == (SIZE, SIZE, 3)


def test_qualities_are_drawn_from_the_requested_range():
  spec = align.AlignSpec(quality=(70, 80))
  qualities = {aligned(noisy_image(64, 64), spec, seed).traits.jpeg_quality for seed in range(12)}
  # The quality is estimated back from the quantization tables: allow one step either way.
  assert min(qualities) >= 69 and max(qualities) <= 81
  assert len(qualities) > 3


@pytest.mark.parametrize("short", [100, 400, 1000])
def test_short_side_brings_every_source_to_the_same_scale(short):
  spec = align.AlignSpec(short_side=(1.5, 2.0))
  for seed in range(5):
    out = align._random_downscale(noisy_image(short, short + 37), spec, SIZE,
                                  tf.constant([seed, 0], tf.int64))
    side = min(out.shape[:2])
    expected_low, expected_high = min(short, 1.5 * SIZE), min(short, 2.0 * SIZE)
    assert expected_low - 1 <= side <= expected_high + 1


def test_downscale_never_goes_below_the_crop_size():
  spec = align.AlignSpec(downscale=(0.1, 0.1))
  out = align._random_downscale(noisy_image(50, 80), spec, SIZE, tf.constant([0, 0], tf.int64))
  assert min(out.shape[:2]) == SIZE


def test_the_same_seed_gives_the_same_bytes():
  image, spec = noisy_image(300, 200), align.AlignSpec(short_side=(1.0, 3.0))
  first = align.align_jpeg(image, spec, SIZE, tf.constant([7, 3], tf.int64)).numpy()
  again = align.align_jpeg(image, spec, SIZE, tf.constant([7, 3], tf.int64)).numpy()
  other = align.align_jpeg(image, spec, SIZE, tf.constant([8, 3], tf.int64)).numpy()
  assert first == again and first != other


@pytest.mark.parametrize("values,message", [
    ({"colour": 1}, "unknown align keys"),
    ({"format": "png"}, "align.format"),
    ({"quality": [90, 60]}, "align.quality"),
    ({"downscale": [0.5, 1.5]}, "align.downscale"),
    ({"short_side": [0.5, 1.0]}, "align.short_side"),
    ({"short_side": [1.0, 2.0], "downscale": [0.5, 1.0]}, "not both"),
    ({"quality": 75}, "align.quality"),  # a number where a [low, high] list belongs
    ({"downscale": "half"}, "align.downscale"),
    ({"short_side": [1.0]}, "align.short_side"),
])
def test_bad_align_blocks_are_user_errors(values, message):
  with pytest.raises(UserError, match=message):
    align.AlignSpec.from_dict(values, "mix.yaml")


def test_short_side_crop_shows_the_whole_image_at_the_training_scale():
  # A 400 px image: white frame 100 px wide around a black middle.
  image = np.full((400, 400, 3), 255, np.uint8)
  image[100:300, 100:300] = 0
  native = preprocessing.fit_to_size(image, SIZE, "center_crop").numpy()
  scaled = preprocessing.fit_to_size(image, SIZE, "short_side_crop").numpy()
  assert native.shape == scaled.shape == (SIZE, SIZE, 3)
  assert native.max() == 0  # the middle 32 px at native scale: all black
  assert scaled[0, 0].min() > 200 and scaled[SIZE // 2, SIZE // 2].max() < 50  # frame and middle


@pytest.mark.parametrize("values", [
    {"format": "jpeg", "quality": [60, 90], "short_side": [1.0, 2.0]},
    {"format": "jpeg", "quality": [70, 100], "downscale": [0.5, 1.0]},
])
def test_an_align_block_reads_back_what_it_writes(values):
  spec = align.AlignSpec.from_dict(values, "mix.yaml")
  assert spec.to_dict() == values
  assert align.AlignSpec.from_dict(spec.to_dict(), "mix.yaml") == spec
