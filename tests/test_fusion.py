"""Score fusion: two runs → one run directory whose model averages their calibrated logits,
and which evaluation, export and predict take like any other run."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_detect import cli, detector, explain, export_lib, fusion, inference
from keras_detect.errors import UserError
from keras_detect.explain import targets
from run_dirs import SIZE, write_run_dir

GENERATORS = ["gan_a", "gan_b"]


def logit(p):
  p = np.clip(p, 1e-7, 1 - 1e-7)
  return np.log(p) - np.log1p(-p)


def shift_binary_output(run_dir, bias):
  """Moves an untrained member's logits to about `bias` (its scores would all be near 0.5)."""
  path = os.path.join(run_dir, inference.BEST)
  model = detector.load_model(path)
  kernel, _ = model.get_layer(detector.BINARY).get_weights()
  model.get_layer(detector.BINARY).set_weights([kernel, np.array([bias], "float32")])
  model.save(path)
  return run_dir


@pytest.fixture(scope="module")
def members(tmp_path_factory, tiny_mix):
  rgb = write_run_dir(tmp_path_factory.mktemp("rgb"), tiny_mix, temperature=1.7, seed=1)
  npr = write_run_dir(tmp_path_factory.mktemp("npr"), tiny_mix, backbone="cnn_pixel",
                      representation="npr", temperature=0.8, seed=2)
  shift_binary_output(rgb, 2.0)
  shift_binary_output(npr, -2.0)
  return rgb, npr


@pytest.fixture(scope="module")
def fused(members, tmp_path_factory):
  return fusion.fuse(list(members), str(tmp_path_factory.mktemp("fused") / "run"))


def write_calibration(fused):
  """The calibration.json `keras-detect evaluate` would write (any test may run first)."""
  if not os.path.isfile(os.path.join(fused, inference.CALIBRATION)):
    with open(os.path.join(fused, inference.CALIBRATION), "w") as f:
      json.dump({"threshold": 0.4, "temperature": 1.0}, f)
  return fused


def pixels(seed=0, n=3):
  return np.random.default_rng(seed).uniform(0, 255, (n, SIZE, SIZE, 3)).astype("float32")


def member_probability(run_dir, x):
  return detector.load_model(os.path.join(run_dir, inference.BEST))(x, training=False).numpy()[:, 0]


def test_the_fused_score_is_the_mean_of_the_members_calibrated_logits(members, fused):
  x = pixels()
  rgb, npr = (member_probability(m, x) for m in members)
  expected = 1 / (1 + np.exp(-(logit(rgb) / 1.7 + logit(npr) / 0.8) / 2))
  model = detector.load_model(os.path.join(fused, inference.BEST))  # safe_mode=True
  np.testing.assert_allclose(model(x, training=False).numpy()[:, 0], expected, atol=1e-5)
  assert np.all(np.abs(expected - rgb) > 0.05)  # neither member alone
  assert np.all(np.abs(expected - npr) > 0.05)


def test_the_fused_run_has_a_card_naming_its_members_and_their_inputs(fused):
  params = open(os.path.join(fused, inference.PARAMS)).read()
  assert "task: binary" in params
  # A fused run is evaluated before export: its own threshold and temperature.
  with pytest.raises(UserError, match="keras-detect evaluate"):
    inference.read_card(fused)
  write_calibration(fused)
  card = inference.read_card(fused)
  assert card.backbone == "fusion of mobilenet/rgb + cnn_pixel/npr"
  recorded = json.load(open(os.path.join(fused, fusion.FUSION)))["members"]
  assert [m["temperature"] for m in recorded] == [1.7, 0.8]


def test_a_fused_run_exports_and_its_savedmodel_scores_as_the_keras_model(fused, tmp_path):
  write_calibration(fused)
  version = export_lib.export(fused, out_dir=str(tmp_path), name="fused")
  x = pixels(seed=4, n=2)
  served = tf.saved_model.load(version).signatures["predict_images"](images=tf.constant(x))
  keras_scores = detector.load_model(os.path.join(fused, inference.BEST))(x, training=False)
  keras_scores = keras_scores.numpy()[:, 0]
  np.testing.assert_allclose(served["probability"].numpy(), keras_scores, atol=1e-5)


def test_members_with_both_heads_fuse_both(tmp_path, tiny_mix):
  for name in ("a", "b"):
    (tmp_path / name).mkdir()
  runs = [write_run_dir(tmp_path / name, tiny_mix, task="both", class_names=["real", *GENERATORS],
                        seed=seed) for seed, name in ((1, "a"), (2, "b"))]
  out = fusion.fuse(runs, str(tmp_path / "fused"))
  outputs = detector.load_model(os.path.join(out, inference.BEST))(pixels(), training=False)
  assert set(outputs) == {detector.BINARY, detector.ATTRIBUTION}
  np.testing.assert_allclose(keras.ops.sum(outputs[detector.ATTRIBUTION], axis=1), 1.0, atol=1e-5)
  assert "task: both" in open(os.path.join(out, inference.PARAMS)).read()


def test_members_of_another_input_size_are_refused_naming_it(members, tmp_path, tiny_mix):
  (tmp_path / "big").mkdir()
  other = write_run_dir(tmp_path / "big", tiny_mix, size=48)
  with pytest.raises(UserError, match="image_size: 32 .* vs 48"):
    fusion.fuse([members[0], other], str(tmp_path / "fused"))


def test_the_command_fuses_and_refuses_to_overwrite_without_asking(members, tmp_path, capsys):
  out = str(tmp_path / "fused")
  assert cli.main(["fuse", *members, "--out", out]) == 0
  assert "keras-detect evaluate" in capsys.readouterr().out
  assert cli.main(["evaluate", out]) == 0  # chooses the fused score's threshold
  assert inference.read_card(out).chosen_on.endswith("/validation")
  assert cli.main(["fuse", *members, "--out", out]) == 2
  assert "--overwrite" in capsys.readouterr().err
  assert cli.main(["fuse", *members, "--out", out, "--overwrite"]) == 0
  assert not os.path.exists(os.path.join(out, inference.CALIBRATION))  # evaluated afresh
  assert cli.main(["fuse", members[0], "--out", out, "--overwrite"]) == 2
  assert "at least two" in capsys.readouterr().err


def test_explanations_of_a_fused_run_read_the_mean_of_the_members_logits(members, fused):
  x = pixels(seed=5, n=2)
  rgb, npr = (member_probability(m, x) for m in members)
  mean_logit = (logit(rgb) / 1.7 + logit(npr) / 0.8) / 2
  fused_detector = inference.load_detector(write_calibration(fused))
  view = targets.logit_model(fused_detector.keras_model, fused_detector.card.task)
  np.testing.assert_allclose(view([x], training=False).numpy()[:, 1], mean_logit / 2, atol=1e-4)
  for method in ("saliency", "lime"):
    heatmap = explain.explain_crop(fused_detector.keras_model, fused_detector.card, x[0],
                                   method, samples=20)
    assert heatmap.shape == (SIZE, SIZE) and np.ptp(heatmap) > 0


def test_cams_and_the_sanity_check_of_a_fused_run_say_to_explain_a_member(fused, tmp_path, capsys):
  write_calibration(fused)
  image = str(tmp_path / "image.png")
  keras.utils.save_img(image, pixels(seed=6, n=1)[0])
  for flags in (["--methods", "gradcam"], ["--methods", "saliency", "--sanity"]):
    assert cli.main(["explain", fused, image, "--out", str(tmp_path / "out"), *flags]) == 2
    assert "member's run" in capsys.readouterr().err
