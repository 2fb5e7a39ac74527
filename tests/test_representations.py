"""Input representations: what each layer computes, and detectors built on each."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_detect import config as config_lib
from keras_detect import detector, layers
from keras_detect.errors import UserError

CLASSES = ["real", "synthetic"]
SIZE = 64
LAYERS = sorted(name for name, spec in layers.REPRESENTATIONS.items() if spec is not None)
# Output shape for a batch of 2 images of SIZE px: patches hold 2k = 4 per image.
SHAPES = {"npr": (2, SIZE, SIZE, 3), "highpass": (2, SIZE, SIZE, 3),
          "dct": (2, SIZE, SIZE, 3), "patches": (8, 32, 32, 3)}


def images(batch=2, size=SIZE, seed=0):
  return np.random.default_rng(seed).uniform(0, 255, (batch, size, size, 3)).astype("float32")


def tiny_detector(representation, backbone="cnn_pixel"):
  keras.backend.clear_session()
  config = config_lib.resolve(overrides=(f"model.representation={representation}",
                                         f"model.backbone={backbone}", "model.head_units=8"))
  return detector.build(config.model, SIZE, CLASSES)


def test_every_config_name_has_a_layer_entry():
  assert set(config_lib.REPRESENTATIONS) == set(layers.REPRESENTATIONS)
  assert layers.representation("rgb") is None


def test_unknown_representation_is_a_user_error():
  with pytest.raises(UserError, match="Unknown representation 'nrp'.*npr"):
    layers.representation("nrp")


@pytest.mark.parametrize("name", LAYERS)
def test_representation_has_its_output_shape_in_float32(name):
  out = layers.representation(name)(images())
  assert out.shape == SHAPES[name] and out.dtype == tf.float32


@pytest.mark.parametrize("name", LAYERS)
def test_representation_follows_a_float16_compute_policy(name):
  layer = layers.REPRESENTATIONS[name][0](**layers.REPRESENTATIONS[name][1],
                                          dtype="mixed_float16")
  assert layer(tf.constant(images(), tf.float16)).dtype == tf.float16


@pytest.mark.parametrize("name", LAYERS)
def test_representation_is_deterministic(name):
  layer, x = layers.representation(name), images()
  np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())


@pytest.mark.parametrize("name", ["npr", "highpass"])
def test_residuals_stay_in_the_pixel_range(name):
  out = layers.representation(name)(images()).numpy()
  assert out.min() >= 0.0 and out.max() <= 255.0


def test_npr_of_a_nearest_upsampled_image_is_exactly_zero():
  small = images(size=8)
  upsampled = [np.repeat(np.repeat(small, 2, axis=1), 2, axis=2),
               tf.image.resize(small, [16, 16], method="nearest").numpy()]
  for image in upsampled + [upsampled[0][:, :15, :13]]:  # odd sizes too
    residual = (layers.NPR()(image).numpy() - layers.RESIDUAL_CENTRE) / layers.RESIDUAL_GAIN
    assert np.all(residual == 0.0)


def test_npr_is_each_pixel_minus_its_2x2_block_anchor():
  x = images(batch=1, size=4)
  anchors = np.repeat(np.repeat(x[:, ::2, ::2], 2, axis=1), 2, axis=2)
  expected = np.clip(127.5 + (x - anchors) / 2, 0, 255)
  np.testing.assert_allclose(layers.NPR()(x).numpy(), expected, atol=1e-4)


def test_highpass_of_a_flat_image_is_zero_and_of_texture_is_not():
  flat = layers.SRMHighPass()(np.full((1, 16, 16, 3), 80.0, "float32")).numpy()
  np.testing.assert_allclose(flat, layers.RESIDUAL_CENTRE, atol=1e-3)
  textured = layers.SRMHighPass()(images(batch=1, size=16)).numpy()
  assert np.all(np.abs(textured - layers.RESIDUAL_CENTRE).mean(axis=(0, 1, 2)) > 1.0)


def test_dct_representation_centres_the_standardised_spectrum_in_the_pixel_range():
  out = layers.representation("dct")(images()).numpy()
  np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 127.5, atol=1e-2)
  np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 32.0, rtol=1e-3)


def test_patches_keep_the_richest_then_the_poorest_of_each_image():
  # Four 32 px patches: noise (richest), flat (poorest) and two smooth ramps between.
  ramp = np.linspace(0, 255, 32, dtype="float32")[None, :, None] * np.ones((32, 1, 3))
  noise = images(batch=1, size=32)[0]
  flat = np.full((32, 32, 3), 90.0, "float32")
  image = np.concatenate([np.concatenate([ramp, noise], axis=1),
                          np.concatenate([flat, ramp.transpose(1, 0, 2)], axis=1)], axis=0)
  picked = layers.HighLowPatches(patch_size=32, k=1)(image[None]).numpy()
  assert picked.shape == (2, 32, 32, 3)
  np.testing.assert_array_equal(picked[0], noise)
  np.testing.assert_array_equal(picked[1], flat)


def test_patches_need_enough_patches_per_image():
  with pytest.raises(ValueError, match="4 are needed"):
    layers.HighLowPatches(patch_size=32, k=2)(keras.Input((32, 64, 3)))


def test_patch_pool_averages_each_images_consecutive_rows():
  features = np.arange(12, dtype="float32").reshape(6, 2)
  pooled = layers.PatchPool(3)(features).numpy()
  np.testing.assert_allclose(pooled, [features[:3].mean(0), features[3:].mean(0)])


@pytest.mark.parametrize("name", sorted(layers.REPRESENTATIONS))
def test_detector_with_representation_survives_save_and_load(name, tmp_path):
  model = tiny_detector(name)
  path = str(tmp_path / f"{name}.keras")
  model.save(path)
  loaded = keras.models.load_model(path, safe_mode=True)
  x = images(batch=3)
  np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                             atol=1e-5)
  if name != "rgb":
    config = model.get_layer("representation").get_config()
    assert loaded.get_layer("representation").get_config() == config


# cnn_pixel gets the standard head; simplenet, with its own, pools patch feature vectors.
TRAINED = [(name, "cnn_pixel") for name in sorted(layers.REPRESENTATIONS)]


@pytest.mark.parametrize("name, backbone", TRAINED + [("patches", "simplenet")])
def test_detector_with_representation_trains_a_step(name, backbone):
  model = tiny_detector(name, backbone)
  model.compile(optimizer="adam", loss="binary_crossentropy")
  history = model.fit(images(), np.array([[0.0], [1.0]]), batch_size=2, epochs=1, verbose=0)
  assert np.isfinite(history.history["loss"][0])
  assert model.predict(images(batch=3), verbose=0).shape == (3, 1)


def test_patches_reject_a_backbone_that_needs_larger_patches():
  with pytest.raises(UserError, match="xception needs at least 71 px"):
    tiny_detector("patches", "xception")


def test_patches_reject_images_with_too_few_patches():
  config = config_lib.resolve(overrides=("model.representation=patches",
                                         "model.backbone=simplenet"))
  with pytest.raises(UserError, match="data.image_size 64 or more"):
    detector.build(config.model, 48, CLASSES)
