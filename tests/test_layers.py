"""Custom layers: shapes, what they compute, and save/load with safe_mode=True."""

import io

import keras
import numpy as np
import pytest
import scipy.fft
import tensorflow as tf
from PIL import Image

from keras_detect import config as config_lib
from keras_detect import detector, layers, preprocessing


def images(batch=2, size=16, seed=0):
  return np.random.default_rng(seed).uniform(0, 255, (batch, size, size, 3)).astype("float32")


EXTREMES = np.stack([np.zeros((4, 4, 3)), np.full((4, 4, 3), 255.0)]).astype("float32")


@pytest.mark.parametrize("mode, low, high", [
    ("none", 0.0, 255.0),
    ("tf", -1.0, 1.0),
    ("torch", (0 - 0.485) / 0.229, (1 - 0.406) / 0.225),
    ("caffe", -123.68, 255 - 103.939),
])
def test_backbone_preprocess_maps_0_255_to_the_documented_range(mode, low, high):
  out = layers.BackbonePreprocess(mode)(EXTREMES).numpy()
  np.testing.assert_allclose([out.min(), out.max()], [low, high], rtol=1e-5)


@pytest.mark.parametrize("mode, module", [
    ("tf", keras.applications.mobilenet),
    ("torch", keras.applications.densenet),
    ("caffe", keras.applications.resnet50),
])
def test_backbone_preprocess_matches_keras_preprocess_input(mode, module):
  x = images()
  expected = module.preprocess_input(x.copy())
  np.testing.assert_allclose(layers.BackbonePreprocess(mode)(x).numpy(), expected, atol=1e-4)


def test_backbone_preprocess_rejects_an_unknown_mode():
  with pytest.raises(ValueError, match="Unknown preprocess mode"):
    layers.BackbonePreprocess("bgr")


def test_dct2d_keeps_the_shape():
  assert layers.DCT2D()(images(size=12)).shape == (2, 12, 12, 3)


def test_dct2d_matches_scipy_log_dct_standardised():
  x = images(batch=1)
  coefficients = scipy.fft.dctn(x[0], type=2, norm="ortho", axes=(0, 1))
  logs = np.log(np.abs(coefficients) + 1e-3)
  expected = (logs - logs.mean()) / logs.std()
  np.testing.assert_allclose(layers.DCT2D()(x).numpy()[0], expected, atol=1e-3)


def test_dct2d_of_a_constant_image_puts_the_energy_in_the_dc_coefficient():
  out = layers.DCT2D()(np.full((1, 16, 16, 3), 100.0, "float32")).numpy()[0]
  dc = out[0, 0]
  rest = out.reshape(-1, 3)[1:]
  assert np.all(dc > rest.max(axis=0) + 5.0)  # many standard deviations above the rest


@pytest.mark.parametrize("channels", [1, 3, 64])
def test_cbam_builds_for_any_channel_count_and_keeps_the_shape(channels):
  x = np.random.default_rng(0).normal(size=(2, 8, 8, channels)).astype("float32")
  assert layers.CBAM(reduction=16, kernel_size=3)(x).shape == x.shape


def test_cbam_is_a_gate_between_zero_and_the_input():
  x = np.abs(np.random.default_rng(0).normal(size=(2, 8, 8, 4))).astype("float32")
  out = layers.CBAM(reduction=2)(x).numpy()
  assert np.all(out >= 0) and np.all(out <= x)


SAVABLE = {
    "backbone_preprocess": lambda: layers.BackbonePreprocess("caffe"),
    "dct2d": lambda: layers.DCT2D(epsilon=1e-2),
    "cbam": lambda: layers.CBAM(reduction=2, kernel_size=5),
    "random_jpeg": lambda: preprocessing.RandomJpegQuality((40, 60), rate=1.0, seed=1),
    "random_blur": lambda: preprocessing.RandomGaussianBlur((1.0, 2.0), rate=1.0, seed=1),
    "random_downscale": lambda: preprocessing.RandomDownscale((0.5, 0.7), rate=1.0, seed=1),
    "degradation": lambda: preprocessing.Degradation(seed=3),
}


@pytest.mark.parametrize("name", sorted(SAVABLE))
def test_layer_saves_and_loads_with_safe_mode(name, tmp_path):
  inputs = keras.Input((16, 16, 3))
  layer = SAVABLE[name]()
  outputs = keras.layers.Conv2D(2, 3, name="after")(layer(inputs))
  model = keras.Model(inputs, outputs)
  path = str(tmp_path / f"{name}.keras")
  model.save(path)
  loaded = keras.models.load_model(path, safe_mode=True)
  x = images()
  np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
  assert loaded.layers[1].get_config() == layer.get_config()


def test_degradation_with_a_seed_is_deterministic_and_changes_the_image():
  layer = preprocessing.Degradation(seed=7)
  x = images()
  first, second = layer(x).numpy(), layer(x).numpy()
  np.testing.assert_array_equal(first, second)
  assert np.abs(first - x).mean() > 1.0
  assert first.min() >= 0.0 and first.max() <= 255.0


def test_degradation_also_applies_at_inference():
  x = images()
  assert not np.allclose(preprocessing.Degradation(seed=1)(x, training=False), x)


@pytest.mark.parametrize("make", [
    lambda: preprocessing.RandomJpegQuality((30, 40), rate=1.0, seed=1),
    lambda: preprocessing.RandomGaussianBlur((2.0, 3.0), rate=1.0, seed=1),
    lambda: preprocessing.RandomDownscale((0.3, 0.5), rate=1.0, seed=1),
], ids=["jpeg", "blur", "downscale"])
def test_augmentation_is_identity_at_inference_and_changes_images_in_training(make):
  layer = make()
  x = images()
  np.testing.assert_array_equal(layer(x, training=False), x)
  assert np.abs(layer(x, training=True).numpy() - x).mean() > 1.0


def test_blur_kernel_covers_three_sigma_of_the_largest_sigma():
  assert preprocessing.RandomGaussianBlur((0.0, 3.0)).kernel_size == 19
  assert preprocessing.RandomGaussianBlur((0.0, 3.0), kernel_size=7).kernel_size == 7


def test_downscale_keeps_the_size_and_loses_detail():
  x = images(size=32)
  out = preprocessing.RandomDownscale((0.5, 0.5), rate=1.0, seed=0)(x, training=True).numpy()
  assert out.shape == x.shape
  assert np.abs(np.diff(out, axis=2)).mean() < 0.5 * np.abs(np.diff(x, axis=2)).mean()


def augment_config(**fields):
  return config_lib.AugmentConfig(**fields)


@pytest.mark.parametrize("recipe, rate", [("cnndetection", 0.5), ("cnndetection_0.1", 0.1)])
def test_recipe_builds_flips_downscale_blur_and_jpeg_at_its_rate(recipe, rate):
  built = preprocessing.augmentation(augment_config(recipe=recipe), seed=0)
  assert [layer.name for layer in built] == ["augment_flip", "augment_downscale",
                                             "augment_blur", "augment_jpeg"]
  assert all(layer.rate == rate for layer in built[1:])
  assert built[2].sigma_range == (0.0, 3.0) and built[3].quality_range == (30, 100)


def test_downscale_alone_is_one_layer_after_the_flip():
  built = preprocessing.augmentation(augment_config(downscale=[0.5, 1.0]), seed=0)
  assert [layer.name for layer in built] == ["augment_flip", "augment_downscale"]
  assert built[1].scale_range == (0.5, 1.0) and built[1].rate == 0.5


def test_every_config_recipe_name_has_an_entry():
  assert set(config_lib.AUGMENT_RECIPES) == set(preprocessing.RECIPES)
  assert preprocessing.augmentation(augment_config(flip=False)) == []


def test_augmentation_layers_draw_from_different_seeds():
  built = preprocessing.augmentation(augment_config(recipe="cnndetection", grayscale=0.2), seed=5)
  assert [layer.seed for layer in built] == [5, 6, 7, 8, 9]


def test_grayscale_is_the_keras_layer():
  [layer] = preprocessing.augmentation(augment_config(flip=False, grayscale=0.3))
  assert type(layer) is keras.layers.RandomGrayscale and layer.factor == 0.3


def test_recipe_is_identity_at_inference_and_changes_images_in_training():
  recipe = keras.Sequential(preprocessing.augmentation(augment_config(recipe="cnndetection"),
                                                       seed=0))
  x = images(batch=8, size=32)
  np.testing.assert_array_equal(recipe(x, training=False).numpy(), x)
  assert np.abs(recipe(x, training=True).numpy() - x).mean() > 1.0


def test_detector_with_a_recipe_survives_save_and_load(tmp_path):
  keras.backend.clear_session()
  config = config_lib.resolve(overrides=("model.backbone=simplenet",
                                         "model.augment.recipe=cnndetection"))
  model = detector.build(config.model, 32, ["real", "synthetic"])
  model.save(tmp_path / "recipe.keras")
  loaded = keras.models.load_model(tmp_path / "recipe.keras", safe_mode=True)
  x = images(batch=3, size=32)
  assert "augment_jpeg" in [layer.name for layer in loaded.layers]
  np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                             atol=1e-5)
  np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layers_follow_a_float16_compute_policy():
  x = tf.constant(images(), tf.float16)
  for layer in (layers.BackbonePreprocess("torch", dtype="mixed_float16"),
                layers.DCT2D(dtype="mixed_float16")):
    assert layer(x).dtype == tf.float16


def test_short_side_crop_layer_matches_the_per_image_evaluation_policy():
  batch = np.random.default_rng(1).uniform(0, 255, (3, 90, 140, 3)).astype("float32")
  layer = preprocessing.ShortSideCrop(32, short_side=1.5)
  out = layer(batch).numpy()
  assert out.shape == (3, 32, 32, 3)
  for image, expected in zip(batch, out):
    single = preprocessing.fit_to_size(image, 32, "short_side_crop", short_side=1.5).numpy()
    np.testing.assert_allclose(single, expected, atol=1e-3)


def test_short_side_crop_shrinks_to_its_scale_and_upsizes_small_images():
  # A 96 px square shrunk to 1.5 × 32 = 48 px keeps 2×2 blocks as one pixel each.
  checker = np.kron(np.indices((48, 48)).sum(0) % 2, np.ones((2, 2)))[..., None] * 255.0
  shrunk = preprocessing.ShortSideCrop(32, short_side=1.5)(np.repeat(checker, 3, -1)[None])
  assert set(np.unique(np.round(shrunk.numpy()))) == {0.0, 255.0}
  small = preprocessing.ShortSideCrop(32)(np.full((1, 10, 20, 3), 100.0, "float32"))
  np.testing.assert_allclose(small.numpy(), 100.0, atol=1e-3)


def test_decode_image_reads_jpeg_with_the_accurate_idct_as_pillow_does():
  pixels = np.random.default_rng(2).integers(0, 255, (24, 24, 3), dtype=np.uint8)
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
  pillow = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
  decoded = preprocessing.decode_image(tf.constant(buffer.getvalue())).numpy()
  np.testing.assert_array_equal(decoded, pillow)


def test_short_side_crop_layer_survives_save_and_load(tmp_path):
  inputs = keras.Input((None, None, 3))
  model = keras.Model(inputs, preprocessing.ShortSideCrop(16, short_side=1.2)(inputs))
  model.save(tmp_path / "m.keras")
  loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
  batch = images(batch=1, size=40)
  np.testing.assert_allclose(loaded(batch).numpy(), model(batch).numpy())
