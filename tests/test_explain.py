"""Explanations: every method on tiny detectors, EigenCAM and guided backpropagation on known
inputs, the sanity check, the dataset views and the explain command."""

import json
import os
import runpy
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from sklearn.decomposition import PCA

from keras_detect import cli, detector, explain, export_lib, inference, predict_lib
from keras_detect import config as config_lib
from keras_detect.errors import UserError
from keras_detect.explain import cams, gradients, reports, sanity, sources, targets, views
from run_dirs import write_run_dir

# Two registry backbones with conv layers; 64 px gives MobileNet a 2×2 final map.
DETECTORS = [("mobilenet", 64, {"alpha": 0.25}), ("cnn_pixel", 32, {})]
FAST = {"lime": {"samples": 20}, "smoothgrad": {"samples": 2}, "fasterscorecam": {"max_n": 3}}


def tiny_detector(backbone, size, task="binary", classes=("real", "synthetic"), **options):
  config = config_lib.resolve(flags={"model.backbone": backbone, "data.image_size": size,
                                     "model.task": task},
                              overrides=[f"model.options.{k}={v}" for k, v in options.items()])
  model = detector.build(config.model, size, list(classes), seed=1)
  card = inference.ModelCard(name=f"tiny_{backbone}", backbone=backbone, task=task,
                             image_size=size, short_side=1.25, threshold=0.5,
                             threshold_method="youden", temperature=1.0,
                             class_names=list(classes))
  return model, card


def blocks(size, seed=0) -> np.ndarray:
  """A crop of a few flat colour blocks (superpixels LIME can find), 0..255 float."""
  colours = np.random.default_rng(seed).uniform(0, 255, (4, 4, 3))
  return np.kron(colours, np.ones((size // 4, size // 4, 1))).astype(np.float32)


@pytest.fixture(scope="module", params=DETECTORS, ids=[d[0] for d in DETECTORS])
def tiny(request):
  backbone, size, options = request.param
  return tiny_detector(backbone, size, **options)


@pytest.mark.parametrize("method", list(explain.METHODS))
def test_every_method_gives_a_finite_map_in_the_unit_range(tiny, method):
  model, card = tiny
  crop = blocks(card.image_size)
  heatmap = explain.explain_crop(model, card, crop, method, **FAST.get(method, {}))
  assert heatmap.shape == (card.image_size, card.image_size)
  assert heatmap.dtype == np.float32 and np.isfinite(heatmap).all()
  assert heatmap.min() >= 0.0 and heatmap.max() <= 1.0


def test_a_binary_detector_explains_its_synthetic_logit():
  model, card = tiny_detector("cnn_pixel", 32)
  target = targets.target_for(model, card, blocks(32))
  assert (target.index, target.label) == (targets.SYNTHETIC, "synthetic")
  logits = target.model([blocks(32)[None]], training=False).numpy()
  probability = model(blocks(32)[None], training=False).numpy()[0, 0]
  np.testing.assert_allclose(tf.nn.softmax(logits)[0, 1], probability, rtol=1e-4)


def test_an_attribution_detector_explains_its_predicted_class():
  model, card = tiny_detector("cnn_pixel", 32, task="attribution", classes=("real", "a", "b"))
  crop = blocks(32)
  predicted = int(np.argmax(model(crop[None], training=False)[0]))
  target = targets.target_for(model, card, crop)
  assert (target.index, target.label) == (predicted, card.class_names[predicted])
  assert explain.explain_crop(model, card, crop, "gradcam").shape == (32, 32)


def test_explaining_leaves_the_models_own_output_activation_alone():
  model, card = tiny_detector("cnn_pixel", 32)
  explain.explain_crop(model, card, blocks(32), "saliency")
  assert model.get_layer(detector.BINARY).activation is keras.activations.sigmoid


def test_eigencam_is_the_first_principal_component_of_a_known_activation():
  rng = np.random.default_rng(0)
  pattern = rng.normal(size=(5, 6))
  activations = (np.outer(pattern.ravel(), rng.normal(size=8))
                 + 0.01 * rng.normal(size=(30, 8))).reshape(5, 6, 8)
  projected = cams.first_component_map(activations).ravel()
  reference = PCA(n_components=1).fit_transform(activations.reshape(30, 8))[:, 0]
  assert abs(np.corrcoef(projected, reference)[0, 1]) > 0.9999
  np.testing.assert_allclose(np.abs(projected), np.abs(reference), rtol=1e-6, atol=1e-9)
  assert abs(np.corrcoef(projected, pattern.ravel())[0, 1]) > 0.99


def test_eigencam_sign_follows_the_mean_activation():
  activations = np.zeros((4, 4, 3))
  activations[1, 2] = [5.0, 4.0, 6.0]  # one hot spot
  projected = cams.first_component_map(activations)
  assert np.unravel_index(np.argmax(projected), projected.shape) == (1, 2)


def test_guided_relu_passes_back_only_positive_gradients_where_the_input_is_positive():
  x = tf.constant([1.0, 1.0, -1.0, 2.0])
  upstream = tf.constant([-1.0, 2.0, 3.0, 0.5])
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = gradients.guided(keras.activations.relu)(x)
  np.testing.assert_allclose(y, [1.0, 1.0, 0.0, 2.0])
  np.testing.assert_allclose(tape.gradient(y, x, output_gradients=upstream), [0, 2, 0, 0.5])


def test_the_guided_copy_replaces_every_relu_layer_and_fused_relu():
  model, card = tiny_detector("mobilenet", 64, alpha=0.25)
  target = targets.target_for(model, card, blocks(64))
  guided = target.variant("guided", gradients._guided_layer)
  assert not [l for l in guided.layers if type(l) is keras.layers.ReLU]
  assert sum(isinstance(l, gradients.GuidedReLU) for l in guided.layers) == sum(
      type(l) is keras.layers.ReLU for l in model.layers)
  assert guided.get_layer("head_dense").activation is not keras.activations.relu


def test_an_mlp_baseline_gets_a_clear_error_for_cams_while_saliency_and_lime_run():
  model, card = tiny_detector("mlp", 32)
  for method in explain.CAM_METHODS:
    with pytest.raises(UserError, match="convolutional feature map.*use saliency"):
      explain.explain_crop(model, card, blocks(32), method)
  for method in ("saliency", "guided_positive", "lime"):
    assert explain.explain_crop(model, card, blocks(32), method,
                                **FAST.get(method, {})).shape == (32, 32)


def test_an_unknown_method_names_the_known_ones():
  with pytest.raises(UserError, match="gradcam"):
    explain.parse_methods("gradcam,gradkam")


def test_overlay_blends_the_colormap_over_the_crop():
  crop = np.full((8, 8, 3), 100.0, np.float32)
  picture = explain.overlay(crop, np.zeros((8, 8)), colormap="gray", opacity=0.5)
  assert picture.dtype == np.uint8 and picture.shape == (8, 8, 3)
  assert (picture == 50).all()  # half the crop, half black (gray at 0)


def test_lime_weights_raise_where_the_synthetic_logit_rises():
  model, card = tiny_detector("cnn_pixel", 32)
  target = targets.target_for(model, card, blocks(32))
  weights, segments = explain.superpixels.lime_weights(target, blocks(32), samples=60)
  assert segments.shape == (32, 32) and len(weights) == segments.max() + 1 > 1
  heatmap = explain.explain_crop(model, card, blocks(32), "lime", samples=60)
  strongest = np.argmax(np.abs(weights))
  assert (heatmap[segments == strongest] > 0.5).all() == (weights[strongest] > 0)


def test_the_randomised_copy_reinitialises_only_the_top_stage_and_head():
  model, card = tiny_detector("cnn_pixel", 32)
  copy, layers = sanity.randomized_copy(model, card.backbone)
  assert layers == ["cnn_conv4", "cnn_bn4", "head_dense", "head_bn", "binary"]
  for layer in model.layers:
    same = all(np.array_equal(a, b) for a, b in zip(layer.get_weights(),
                                                    copy.get_layer(layer.name).get_weights()))
    changed_kernel = layer.name in ("cnn_conv4", "head_dense", "binary")
    assert same != changed_kernel, layer.name


def test_sanity_flags_a_method_whose_map_ignores_the_model(monkeypatch):
  monkeypatch.setitem(explain.METHODS, "constant", lambda target, crop, **_: np.ones((32, 32)))
  monkeypatch.setitem(explain.METHODS, "brightness", lambda target, crop, **_: crop.mean(-1))
  model, card = tiny_detector("cnn_pixel", 32)
  crops = [blocks(32, seed) for seed in (0, 1)]
  result = sanity.randomization_test(model, card, crops, ["constant", "brightness", "gradcam"])
  rows = {row.method: row for row in result.methods}
  assert rows["constant"].flagged and rows["constant"].mean_rho == 1.0
  assert rows["brightness"].flagged and rows["brightness"].rho == [1.0, 1.0]
  assert len(rows["gradcam"].rho) == 2
  assert set(result.maps) == {"constant", "brightness", "gradcam"}


def test_map_similarity_of_flat_maps():
  flat, varied = np.zeros((4, 4)), np.arange(16.0).reshape(4, 4)
  assert sanity.map_similarity(flat, flat) == 1.0
  assert sanity.map_similarity(flat, varied) is None
  assert sanity.map_similarity(varied, -varied) == pytest.approx(-1.0)


def test_a_periodic_pattern_peaks_at_its_dct_frequency():
  size, k = 32, 12
  column = np.cos(np.pi * k * (np.arange(size) + 0.5) / size)  # the DCT-II basis k
  crop = np.repeat((128 + 60 * column)[None, :, None], size, axis=0).repeat(3, axis=2)
  spectrum = views.dct_spectrum(crop)
  spectrum[0, 0] = -np.inf  # the mean brightness
  assert np.unravel_index(np.argmax(spectrum), spectrum.shape) == (0, k)


def test_fingerprints_average_per_group_and_stretch_to_the_unit_range():
  crops = [(blocks(16, seed), "a" if seed % 2 else "b") for seed in range(4)]
  spectra = views.fingerprints(crops)
  assert {name: count for name, (_, count) in spectra.items()} == {"a": 2, "b": 2}
  stretched = views.contrast_stretch(spectra["a"][0])
  assert stretched.min() == 0.0 and stretched.max() == 1.0


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_mix):
  return write_run_dir(tmp_path_factory.mktemp("explain_run"), tiny_mix, backbone="cnn_pixel",
                       temperature=1.0)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
  folder = tmp_path_factory.mktemp("images")
  for seed in (0, 1):
    Image.fromarray(blocks(48, seed).astype(np.uint8)).save(folder / f"photo{seed}.png")
  (folder / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
  return folder


def test_the_command_writes_a_panel_and_scores_per_image_and_skips_a_broken_file(
    run_dir, images, tmp_path, capsys):
  out = tmp_path / "out"
  status = cli.main(["explain", run_dir, str(images), "--methods", "gradcam,saliency,lime",
                     "--lime-samples", "20", "--out", str(out), "--sanity"])
  assert status == 0
  assert "Skipped" in capsys.readouterr().err
  records = json.loads((out / reports.SCORES).read_text())
  assert [os.path.basename(r["image"]) for r in records] == ["photo0.png", "photo1.png"]
  for record in records:
    assert (out / record["panel"]).is_file()
    model = record["models"][0]
    assert 0.0 <= model["probability"] <= 1.0 and model["explained"] == "synthetic"
  checked = json.loads((out / "sanity.json").read_text())
  assert [m["method"] for m in checked["methods"]] == ["gradcam", "saliency", "lime"]
  assert (out / "sanity.png").is_file()


def test_the_command_compares_two_models_on_the_same_images(run_dir, images, tmp_path):
  out = tmp_path / "out"
  assert cli.main(["explain", run_dir, str(images / "photo0.png"), "--methods", "eigencam",
                   "--compare", run_dir, "--out", str(out)]) == 0
  record = json.loads((out / reports.SCORES).read_text())[0]
  assert len(record["models"]) == 2
  assert record["models"][0]["probability"] == pytest.approx(record["models"][1]["probability"])


def test_the_command_draws_dataset_views_from_a_mix(run_dir, tiny_mix, tmp_path):
  out = tmp_path / "out"
  assert cli.main(["explain", run_dir, "--data", tiny_mix.mix, "--n", "4", "--methods",
                   "saliency", "--mean-saliency", "--fingerprints",
                   "--manual-dir", tiny_mix.manual_dir, "--data-dir", tiny_mix.data_dir,
                   "--out", str(out)]) == 0
  records = json.loads((out / reports.SCORES).read_text())
  assert {r["source"] for r in records} == {"faces_real", "faces_gan"}
  counts = json.loads((out / "mean_saliency.json").read_text())["counts"]
  assert set(counts) == {"real", "synthetic"}
  fingerprints = json.loads((out / "fingerprints.json").read_text())["counts"]
  assert set(fingerprints) == {"faces_real", "faces_gan"}
  assert (out / "mean_saliency.png").is_file() and (out / "fingerprints.png").is_file()


def test_an_exported_model_is_explained_through_its_keras_copy(run_dir, images, tmp_path):
  version = export_lib.export(run_dir, out_dir=str(tmp_path / "saved_models"), name="tiny")
  out = tmp_path / "out"
  assert cli.main(["explain", version, str(images / "photo0.png"), "--methods", "gradcam",
                   "--out", str(out)]) == 0
  exported = json.loads((out / reports.SCORES).read_text())[0]["models"][0]["probability"]
  direct = inference.load_detector(run_dir)
  crop = sources.file_items(direct, [str(images / "photo0.png")])[0].crop
  assert exported == pytest.approx(direct.score(crop[None])["probability"][0], abs=1e-4)


def test_user_mistakes_exit_with_status_2(run_dir, images, tmp_path):
  mlp_run = tmp_path / "mlp"
  mlp_run.mkdir()
  config = config_lib.load(os.path.join(run_dir, inference.PARAMS))
  config.model.backbone = "mlp"
  config_lib.save(config, str(mlp_run / inference.PARAMS))
  detector.build(config.model, 32, ["real", "synthetic"]).save(mlp_run / inference.BEST)
  (mlp_run / inference.CALIBRATION).write_text(json.dumps({"threshold": 0.5}))
  photo = str(images / "photo0.png")
  assert cli.main(["explain", str(mlp_run), photo, "--methods", "gradcam"]) == 2
  assert cli.main(["explain", run_dir, photo, "--methods", "gradkam"]) == 2
  assert cli.main(["explain", run_dir, "--mean-saliency"]) == 2


def test_predict_writes_one_overlay_per_scored_image(run_dir, images, tmp_path):
  folder = tmp_path / "overlays"
  paths = predict_lib.find_images([str(images)])
  rows = predict_lib.predict_files(inference.load_detector(run_dir), paths, progress=False,
                                   explain="saliency", explain_dir=str(folder))
  scored = [row for row in rows if not row["error"]]
  written = sorted(os.listdir(folder))
  assert len(written) == len(scored) == 2 and all(n.endswith("_saliency.png") for n in written)
  assert Image.open(folder / written[0]).size == (32, 32)


def test_python_dash_m_runs_the_command(monkeypatch, capsys):
  monkeypatch.setattr(sys, "argv", ["keras_detect.explain", "--help"])
  with pytest.raises(SystemExit) as exit_:
    runpy.run_module("keras_detect.explain", run_name="__main__")  # what `python -m` does
  assert exit_.value.code == 0 and "--fingerprints" in capsys.readouterr().out
