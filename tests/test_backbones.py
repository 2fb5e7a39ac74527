"""The backbone registry: every entry builds, and its layer names are right."""

import os
import shutil
import urllib.error

import keras
import numpy as np
import pytest
from keras.src.backend import config as keras_config
from keras.src.utils import file_utils

from keras_detect import backbones, detector
from keras_detect import config as config_lib
from keras_detect.errors import UserError

MOBILENET_FILE = "mobilenet_2_5_224_tf_no_top.h5"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_WEIGHTS = next((path for path in (os.path.join(ROOT, "..", "shared", "weights", MOBILENET_FILE),
                                         os.path.join(ROOT, "shared", "weights", MOBILENET_FILE))
                       if os.path.isfile(path)), "")


def build(name, size=None, **kwargs):
  keras.backend.clear_session()
  size = size or max(backbones.get(name).min_size, 32)
  return backbones.build_features(name, keras.Input((size, size, 3)), **kwargs)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
  """An empty KERAS_HOME and no network.

  Keras reads KERAS_HOME once, at import, into `config._KERAS_DIR`; `get_file` asks
  `config.keras_home()` on each call, so patching that attribute redirects the cache.
  """
  monkeypatch.setenv("KERAS_HOME", str(tmp_path))
  monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))

  def offline(*args, **kwargs):
    raise urllib.error.URLError("no network in tests")

  monkeypatch.setattr(file_utils, "urlretrieve", offline)
  return tmp_path


@pytest.mark.parametrize("name", sorted(backbones.BACKBONES))
def test_entry_builds_with_its_layer_names(name):
  entry = backbones.get(name)
  model = build(name)
  assert len(model.output.shape) == (2 if entry.own_head else 4)
  names = [layer.name for layer in model.layers]
  if entry.last_conv_layer is not None:
    assert entry.last_conv_layer in names
    assert len(model.get_layer(entry.last_conv_layer).output.shape) == 4
  assert any(n.startswith(entry.top_stage_prefix) for n in names)
  if entry.family == "baseline":  # ConvNeXt nests its own stem and downsampling Sequentials
    assert not any(isinstance(layer, keras.Model) for layer in model.layers)
  assert entry.preprocess in ("none", "tf", "torch", "caffe")
  assert entry.min_size <= entry.native_size


# Truncated entries: the name prefix of the first block cut away, and the name prefixes of
# the last stage kept (what "top" fine-tuning trains).
TRUNCATED = {
    "resnet50_stage2": ("conv4", ("conv3",)),
    "effnetb0_block3": ("block4", ("block3",)),
    "mobilenet_block6": ("conv_dw_7", ("conv_dw_6", "conv_pw_6")),
}


@pytest.mark.parametrize("name", sorted(TRUNCATED))
def test_truncated_entry_ends_at_its_last_conv_layer(name):
  entry, (cut, _) = backbones.get(name), TRUNCATED[name]
  model = build(name)
  assert model.get_layer(entry.last_conv_layer).output is model.output
  assert not any(layer.name.startswith(cut) for layer in model.layers)
  assert model.count_params() < 1_500_000


@pytest.mark.parametrize("name", sorted(TRUNCATED))
def test_top_finetuning_of_a_truncated_entry_trains_its_last_stage_only(name):
  keras.backend.clear_session()
  config = config_lib.resolve(overrides=(f"model.backbone={name}", "model.head_units=8"))
  model = detector.build(config.model, 32, ["real", "synthetic"])
  detector.set_trainable(model, "top", pretrained=False)
  trained = [layer.name for layer in model.layers if layer.trainable and layer.weights
             and layer.name in detector.backbone_layer_names(model)]
  assert trained and all(n.startswith(TRUNCATED[name][1]) for n in trained)


@pytest.mark.skipif(not os.path.isfile(SHARED_WEIGHTS), reason="shared weight file absent")
def test_truncated_mobilenet_loads_the_shared_weights_file():
  truncated = build("mobilenet_block6", weights=SHARED_WEIGHTS)
  full = build("mobilenet", alpha=0.25, weights=SHARED_WEIGHTS)
  for layer in ("conv1", "conv_pw_6"):
    np.testing.assert_array_equal(truncated.get_layer(layer).get_weights()[0],
                                  full.get_layer(layer).get_weights()[0])


def test_every_entry_declares_its_family():
  families = {e.family for e in backbones.BACKBONES.values()}
  assert families == {"keras_applications", "baseline"}
  assert backbones.get("simplenet").family == "baseline"
  assert backbones.get("effnetb4").family == "keras_applications"


def test_registry_has_all_efficientnets_and_the_baselines():
  assert backbones.list_backbones("effnetb?") == [f"effnetb{i}" for i in range(8)]
  for name in ("simplenet", "xception_mlp", "mlp", "lenet", "cnn_pixel", "cnn_dct",
               "cnn_dct_mask", "xception_pixel", "xception_dct", "xception_dct_mask"):
    assert name in backbones.BACKBONES


def test_list_backbones_filters_with_a_pattern():
  assert backbones.list_backbones("resnet*") == ["resnet101", "resnet152", "resnet50",
                                                 "resnet50_stage2"]
  assert backbones.list_backbones("*_block?") == ["effnetb0_block3", "mobilenet_block6"]
  assert backbones.list_backbones() == sorted(backbones.BACKBONES)
  assert backbones.list_backbones("nothing*") == []


def test_unknown_name_lists_known_names_and_close_matches():
  with pytest.raises(UserError) as error:
    backbones.get("effnetb9")
  message = str(error.value)
  assert "Did you mean" in message and "effnetb0" in message
  assert "mobilenetv3small" in message and "simplenet" in message


def test_input_below_min_size_is_a_user_error():
  with pytest.raises(UserError, match="at least 71"):
    build("xception", size=64)


def test_unknown_option_is_a_user_error():
  with pytest.raises(UserError, match="Unknown option.*depth"):
    build("mobilenet", depth=3)


def test_options_reach_the_constructor():
  model = build("mobilenet", alpha=0.25)
  assert model.output.shape[-1] == 256


def test_backbone_is_built_inline_on_the_callers_tensor():
  keras.backend.clear_session()
  inputs = keras.Input((32, 32, 3))
  x = keras.layers.Identity(name="upstream")(inputs)
  features = backbones.build_features("resnet50", x)
  assert features.inputs[0] is inputs
  assert "upstream" in [layer.name for layer in features.layers]


def test_imagenet_weights_offline_fail_fast_in_one_line(keras_home):
  with pytest.raises(UserError) as error:
    build("effnetb0", weights="imagenet")
  message = str(error.value)
  assert "\n" not in message
  assert "effnetb0" in message and "`efficientnetb0_notop.h5`" in message
  assert "--weights PATH" in message and str(keras_home / "models") in message


def test_xception_baselines_fetch_imagenet_weights_through_the_same_guard(keras_home):
  with pytest.raises(UserError, match="xception_weights_tf_dim_ordering_tf_kernels_notop.h5"):
    build("xception_dct", weights="imagenet")


def test_scratch_baselines_have_no_imagenet_weights():
  with pytest.raises(UserError, match="from scratch"):
    build("simplenet", weights="imagenet")


@pytest.fixture(scope="module")
def random_mobilenet_kernel():
  return build("mobilenet", size=224, alpha=0.25).get_layer("conv1").get_weights()[0]


@pytest.mark.skipif(not os.path.isfile(SHARED_WEIGHTS), reason="shared weight file absent")
def test_shared_mobilenet_file_loads_as_imagenet_weights(keras_home, random_mobilenet_kernel):
  os.makedirs(keras_home / "models")
  shutil.copy(SHARED_WEIGHTS, keras_home / "models" / MOBILENET_FILE)
  cached = build("mobilenet", size=224, alpha=0.25, weights="imagenet")
  cached_kernel = cached.get_layer("conv1").get_weights()[0]
  from_path = build("mobilenet", size=224, alpha=0.25, weights=SHARED_WEIGHTS)
  assert cached.output.shape[1:] == (7, 7, 256)
  assert not np.allclose(cached_kernel, random_mobilenet_kernel)
  np.testing.assert_array_equal(cached_kernel, from_path.get_layer("conv1").get_weights()[0])
