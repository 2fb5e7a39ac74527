import pytest

from keras_detect import config as config_lib
from keras_detect.errors import UserError


def test_defaults_follow_the_reference_recipe():
  config = config_lib.resolve()
  assert config.train.optimizer == "adam"
  assert config.train.learning_rate == 1e-3
  assert config.data.batch_size == 64
  assert config.train.epochs == 20
  assert config.model.augment.flip


def test_layers_apply_in_order_file_then_flags_then_set(tmp_path):
  path = tmp_path / "exp.yaml"
  path.write_text("model:\n  backbone: xception\ntrain:\n  epochs: 7\n  learning_rate: 0.01\n")
  config = config_lib.resolve(str(path), {"train.epochs": 3, "data.mix": None},
                              ("train.learning_rate=0.5", "model.options.alpha=0.25"))
  assert config.model.backbone == "xception"
  assert config.train.epochs == 3
  assert config.train.learning_rate == 0.5
  assert config.model.options == {"alpha": 0.25}
  assert config.data.mix == "all_shared"


@pytest.mark.parametrize("override, words", [
    ("train.epoch=3", "Unknown config key 'train.epoch'"),
    ("modle.backbone=x", "Unknown config key 'modle'"),
    ("train.epochs=many", "train.epochs must be a int"),
    ("model.task=regression", "model.task must be one of"),
    ("train.epochs", "--set expects key=value"),
    ("model.representation=nrp", "model.representation must be one of"),
    ("model.augment.recipe=cnn", "model.augment.recipe must be one of"),
])
def test_bad_keys_and_values_are_rejected_with_a_message(override, words):
  with pytest.raises(UserError, match=words.replace("(", r"\(")):
    config_lib.resolve(overrides=(override,))


def test_unknown_key_in_a_file_is_rejected(tmp_path):
  path = tmp_path / "exp.yaml"
  path.write_text("train:\n  epochz: 3\n")
  with pytest.raises(UserError, match="epochz"):
    config_lib.resolve(str(path))


def test_saved_params_reload_to_the_same_config(tmp_path):
  config = config_lib.resolve(overrides=("model.backbone=simplenet", "model.augment.jpeg=[50, 90]"))
  config_lib.save(config, tmp_path / "params.yaml")
  assert config_lib.load(str(tmp_path / "params.yaml")) == config


def test_every_experiment_config_resolves():
  from pathlib import Path
  configs = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.yaml"))
  assert configs
  for path in configs:
    config_lib.resolve(str(path))


def test_representation_and_recipe_are_set_like_any_key():
  config = config_lib.resolve(overrides=("model.representation=npr",
                                         "model.augment.recipe=cnndetection_0.1"))
  assert config.model.representation == "npr"
  assert config.model.augment.recipe == "cnndetection_0.1"
  assert config_lib.resolve().model.representation == "rgb"
  assert config_lib.resolve().model.augment.recipe == "none"


@pytest.mark.parametrize("field", ["blur=[0, 2]", "jpeg=[50, 90]", "downscale=[0.5, 1.0]"])
def test_a_recipe_with_its_own_downscale_blur_or_jpeg_is_rejected(field):
  with pytest.raises(UserError, match="sets downscale, blur and JPEG itself"):
    config_lib.resolve(overrides=("model.augment.recipe=cnndetection", f"model.augment.{field}"))


@pytest.mark.parametrize("value", ["[0.5, 1.5]", "[0.8, 0.5]", "[0, 1]", "0.5", "[0.5]"])
def test_a_downscale_that_is_no_range_within_0_1_is_rejected(value):
  with pytest.raises(UserError, match=r"model.augment.downscale must be \[low, high\] within"):
    config_lib.resolve(overrides=(f"model.augment.downscale={value}",))
