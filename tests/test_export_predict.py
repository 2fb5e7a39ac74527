"""Export a tiny detector for TF Serving, reload it, and score files with predict."""

import base64
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_detect import cli, data, detector, export_lib, inference, predict_lib, preprocessing
from keras_detect import config as config_lib
from keras_detect.errors import UserError
from run_dirs import SIZE, write_run_dir

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
# Scores from the three paths (tf.data evaluation, predict, the SavedModel) agree to this.
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_mix):
  return write_run_dir(tmp_path_factory.mktemp("run"), tiny_mix)


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
  out = tmp_path_factory.mktemp("saved_models")
  return export_lib.export(run_dir, out_dir=str(out), name="tiny")


def encoded(pixels: np.ndarray, file_format: str, **options) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format=file_format, **options)
  return buffer.getvalue()


def sample_pixels(seed=0, shape=(45, 70, 3)) -> np.ndarray:
  return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


def keras_reference(run_dir: str, pixels: np.ndarray) -> dict:
  """What the Keras model says on the same pixels, through the one sizing layer."""
  card = inference.read_card(run_dir)
  model = detector.load_model(os.path.join(run_dir, inference.BEST))
  crops = preprocessing.ShortSideCrop(card.image_size, card.short_side)(
      tf.cast(pixels[None], tf.float32))
  outputs = inference.calibrated_outputs(model(crops, training=False), card)
  return {k: v.numpy() for k, v in outputs.items()}


def test_export_writes_an_integer_version_with_its_card_and_serving_files(exported):
  version = Path(exported)
  assert version.name == "1"
  assert (version / "saved_model.pb").is_file()
  card = json.loads((version / "assets" / inference.CARD).read_text())
  assert card["image_size"] == SIZE and card["temperature"] == 1.7
  assert "Threshold 0.5000" in (version / "assets" / "MODEL_CARD.md").read_text()
  assert 'name: "tiny"' in (version.parent / export_lib.MODELS_CONFIG).read_text()
  assert "max_batch_size" in (version.parent / export_lib.BATCHING).read_text()
  assert not [p for p in version.parent.iterdir() if p.name.startswith(".")]


def test_the_card_lists_the_test_sources_the_threshold_serves_badly():
  measured = {"at_threshold": {"per_source": {
      "photos": {"real": 5, "synthetic": 0, "fpr": 0.2, "recall": 0.0},
      "paintings": {"real": 40, "synthetic": 0, "fpr": 0.025, "recall": 0.0},
      "gan": {"real": 0, "synthetic": 34, "fpr": None, "recall": 6 / 34},
      "diffusion": {"real": 0, "synthetic": 10, "fpr": None, "recall": 0.9},
      "pairs": {"real": 5, "synthetic": 5, "fpr": 0.4, "recall": 0.2}}}}
  lines = inference.weak_sources(measured)
  assert lines == ["photos: 1 of 5 real test images called synthetic",
                   "gan: 6 of 34 synthetic test images found",
                   "pairs: 2 of 5 real test images called synthetic",
                   "pairs: 1 of 5 synthetic test images found"]
  card = inference.ModelCard(name="c", backbone="mobilenet", task="binary", image_size=SIZE,
                             short_side=1.25, threshold=0.5, threshold_method="youden",
                             temperature=1.0, weak_sources=lines)
  text = export_lib.model_card_markdown(card)
  assert "real images flagged above 5%, synthetic ones found below 50%" in text
  assert "  - gan: 6 of 34 synthetic test images found\n" in text
  assert inference.weak_sources({}) == []


def test_saved_model_cli_lists_both_signatures(exported):
  shown = subprocess.run([os.path.join(os.path.dirname(sys.executable), "saved_model_cli"),
                          "show", "--dir", exported, "--all"], capture_output=True, text=True,
                         check=True).stdout
  assert "signature_def['serving_default']" in shown
  assert "signature_def['predict_images']" in shown
  assert "probability" in shown and "label" in shown


def test_pixel_signature_returns_what_the_keras_model_returns(run_dir, exported):
  signature = tf.saved_model.load(exported).signatures["predict_images"]
  pixels = sample_pixels()
  served = signature(images=tf.constant(pixels[None], tf.float32))
  expected = keras_reference(run_dir, pixels)
  np.testing.assert_allclose(served["probability"].numpy(), expected["probability"],
                             atol=TOLERANCE)
  assert served["label"].numpy()[0] == expected["label"][0]


@pytest.mark.parametrize("file_format, options", [("JPEG", {"quality": 90}), ("PNG", {}),
                                                   ("BMP", {}), ("WEBP", {"lossless": True})])
def test_bytes_signature_decodes_each_format_as_the_pixels_path_does(run_dir, exported,
                                                                     file_format, options):
  pixels = sample_pixels(seed=1)
  data = encoded(pixels, file_format, **options)
  decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))  # JPEG: lossy, as Pillow reads it
  served = tf.saved_model.load(exported).signatures["serving_default"](images=tf.constant([data]))
  np.testing.assert_allclose(served["probability"].numpy(),
                             keras_reference(run_dir, decoded)["probability"], atol=TOLERANCE)


def test_bytes_signature_reads_the_first_frame_of_a_gif(run_dir, exported):
  frames = [Image.fromarray(sample_pixels(seed=s)).convert("P", palette=Image.ADAPTIVE)
            for s in (2, 3)]
  buffer = io.BytesIO()
  frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
  first = np.asarray(frames[0].convert("RGB"))
  served = tf.saved_model.load(exported).signatures["serving_default"](
      images=tf.constant([buffer.getvalue()]))
  np.testing.assert_allclose(served["probability"].numpy(),
                             keras_reference(run_dir, first)["probability"], atol=TOLERANCE)


def first_file(source_folder: Path) -> str:
  with open(source_folder / "manifest.csv", newline="") as f:
    return next(csv.DictReader(f))["file_name"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not beside the project")
def test_rest_and_grpc_bodies_from_real_files_feed_the_bytes_signature(exported):
  predict_pb2 = pytest.importorskip("tensorflow_serving.apis.predict_pb2")
  sources = ("coco_real", "synth_sd35_large_artists", "synth_sdxl_aihorde_styles",
             "synth_gpt4o_awesome_images")  # JPEG, PNG, WebP, palette PNG
  payloads = [(SHARED / name / first_file(SHARED / name)).read_bytes() for name in sources]
  rest = json.loads(json.dumps({"signature_name": "serving_default", "instances": [
      {"b64": base64.b64encode(p).decode()} for p in payloads]}))
  from_rest = [base64.b64decode(item["b64"]) for item in rest["instances"]]
  request = predict_pb2.PredictRequest()
  request.model_spec.name, request.model_spec.signature_name = "tiny", "serving_default"
  request.inputs["images"].CopyFrom(tf.make_tensor_proto(payloads))
  from_grpc = list(tf.make_ndarray(predict_pb2.PredictRequest.FromString(
      request.SerializeToString()).inputs["images"]))
  signature = tf.saved_model.load(exported).signatures["serving_default"]
  rest_out = signature(images=tf.constant(from_rest))["probability"].numpy()
  grpc_out = signature(images=tf.constant(from_grpc))["probability"].numpy()
  assert rest_out.shape == (len(sources),) and np.all((rest_out >= 0) & (rest_out <= 1))
  np.testing.assert_array_equal(rest_out, grpc_out)


def test_an_export_that_fails_midway_leaves_no_version_folder(run_dir, tmp_path, monkeypatch):
  def broken(*_):
    raise RuntimeError("disk full")
  monkeypatch.setattr(export_lib, "_write_card", broken)
  with pytest.raises(RuntimeError):
    export_lib.export(run_dir, out_dir=str(tmp_path), name="tiny")
  assert os.listdir(tmp_path / "tiny") == []


def test_an_existing_version_is_kept_unless_overwrite_is_asked(run_dir, exported):
  out, name = os.path.dirname(os.path.dirname(exported)), "tiny"
  stamp = os.stat(os.path.join(exported, "saved_model.pb")).st_mtime_ns
  with pytest.raises(UserError, match="--overwrite"):
    export_lib.export(run_dir, out_dir=out, name=name, version=1)
  assert os.stat(os.path.join(exported, "saved_model.pb")).st_mtime_ns == stamp
  assert export_lib.next_version(os.path.dirname(exported)) == 2


def test_export_without_calibration_says_to_evaluate_first(run_dir, tmp_path):
  shutil.copytree(run_dir, tmp_path / "run")
  os.remove(tmp_path / "run" / inference.CALIBRATION)
  with pytest.raises(UserError, match="keras-detect evaluate"):
    export_lib.export(str(tmp_path / "run"), out_dir=str(tmp_path / "out"))


def bad_and_good_files(folder: Path) -> dict:
  """Each kind of bad file beside good ones; name → expected error fragment ('' = good)."""
  folder.mkdir()
  pixels = sample_pixels(seed=4)
  files = {
      "good.jpg": (encoded(pixels, "JPEG"), ""),
      "good.png": (encoded(pixels, "PNG"), ""),
      "cmyk.jpg": (_cmyk_jpeg(pixels), ""),
      "palette.png": (_palette_png(pixels), ""),
      "empty.jpg": (b"", "empty"),
      "notes.png": (b"just some text, not an image", "not an image"),
      "truncated.jpg": (_truncated(encoded(pixels, "JPEG")), "truncated"),
  }
  for name, (payload, _) in files.items():
    (folder / name).write_bytes(payload)
  return {name: why for name, (_, why) in files.items()}


def _truncated(payload: bytes) -> bytes:
  return payload[:len(payload) // 2]


def _cmyk_jpeg(pixels):
  buffer = io.BytesIO()
  Image.fromarray(pixels).convert("CMYK").save(buffer, format="JPEG")
  return buffer.getvalue()


def _palette_png(pixels):
  buffer = io.BytesIO()
  Image.fromarray(pixels).convert("P", palette=Image.ADAPTIVE).save(buffer, format="PNG")
  return buffer.getvalue()


@pytest.mark.parametrize("model_kind", ["run_dir", "saved_model"])
def test_predict_reports_each_bad_file_and_scores_each_good_one(run_dir, exported, tmp_path,
                                                               model_kind):
  expected = bad_and_good_files(tmp_path / "images")
  model = inference.load_detector(run_dir if model_kind == "run_dir" else exported)
  paths = predict_lib.find_images([str(tmp_path / "images"), str(tmp_path / "missing.jpg")])
  rows = {os.path.basename(r["path"]): r for r in predict_lib.predict_files(
      model, paths, batch_size=2, progress=False)}
  assert "no such file" in rows.pop("missing.jpg")["error"]
  for name, why in expected.items():
    row = rows[name]
    if why:
      assert why in row["error"] and row["probability"] is None, name
    else:
      assert not row["error"] and 0.0 <= row["probability"] <= 1.0, name
      assert row["label"] in ("real", "synthetic")


def test_predict_limits_pixels_and_bytes(run_dir, tmp_path):
  (tmp_path / "big.png").write_bytes(encoded(sample_pixels(shape=(200, 200, 3)), "PNG"))
  model = inference.load_detector(run_dir)
  (by_pixels,) = predict_lib.predict_files(model, [str(tmp_path / "big.png")], max_pixels=1000,
                                           progress=False)
  (by_bytes,) = predict_lib.predict_files(model, [str(tmp_path / "big.png")], max_bytes=1000,
                                          progress=False)
  assert "too large" in by_pixels["error"] and "too large" in by_bytes["error"]


def test_predict_and_the_saved_model_agree_on_the_same_files(run_dir, exported, tmp_path):
  folder = tmp_path / "images"
  bad_and_good_files(folder)
  paths = predict_lib.find_images([str(folder)])
  in_process = predict_lib.predict_files(inference.load_detector(run_dir), paths, progress=False)
  served = predict_lib.predict_files(inference.load_detector(exported), paths, progress=False)
  for a, b in zip(in_process, served):
    assert a["error"] == b["error"] and a["label"] == b["label"]
    if not a["error"]:
      assert abs(a["probability"] - b["probability"]) < TOLERANCE


def test_evaluation_predict_and_export_give_the_same_scores(run_dir, exported, tiny_mix):
  """The tf.data evaluation path, predict and the SavedModel on the same test files."""
  card = inference.read_card(run_dir)
  mix = data.load_mix(tiny_mix.mix)
  builders = data.prepare(mix.sources, tiny_mix.manual_dir, tiny_mix.data_dir)
  model = detector.load_model(os.path.join(run_dir, inference.BEST))
  by_file = {}
  for batch in data.make_dataset(mix, builders, "test", image_size=SIZE, batch_size=8,
                                 policy="short_side_crop", align=False,
                                 short_side=card.short_side).as_numpy_iterator():
    outputs = inference.calibrated_outputs(model(batch["image"], training=False), card)
    scores = outputs["probability"].numpy()
    for key, source, score in zip(batch["file_name"], batch["source"], scores):
      by_file[os.path.join(tiny_mix.manual_dir, source.decode(), key.decode().split("#")[0])] = score
  assert by_file
  for model_path in (run_dir, exported):
    rows = predict_lib.predict_files(inference.load_detector(model_path), list(by_file),
                                     progress=False)
    for row in rows:
      assert abs(row["probability"] - by_file[row["path"]]) < TOLERANCE, row["path"]


def test_predict_command_writes_rows_and_exits_1_when_a_file_failed(exported, tmp_path):
  bad_and_good_files(tmp_path / "images")
  out = tmp_path / "scores.jsonl"
  status = cli.main(["predict", "--model", os.path.dirname(exported), str(tmp_path / "images"),
                     "--output", str(out), "--quiet"])
  rows = [json.loads(line) for line in out.read_text().splitlines()]
  assert status == 1 and len(rows) == 7
  assert set(rows[0]) == set(predict_lib.COLUMNS)


def test_predict_with_a_folder_that_is_no_model_says_what_to_pass(tmp_path):
  assert cli.main(["predict", "--model", str(tmp_path), "x.jpg"]) == 2


def test_an_exported_model_carries_its_keras_model_for_explanations(run_dir, exported):
  from_export = inference.load_detector(exported).keras_model
  pixels = tf.constant(sample_pixels(shape=(SIZE, SIZE, 3))[None], tf.float32)
  original = detector.load_model(os.path.join(run_dir, inference.BEST))
  np.testing.assert_allclose(from_export(pixels, training=False).numpy(),
                             original(pixels, training=False).numpy(), atol=1e-6)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not beside the project")
def test_predict_shows_what_a_file_declares_beside_the_pixel_verdict(run_dir):
  camera = SHARED / "real_camera_metadata_extractor"
  comfy = SHARED / "synth_sd35_large_artists"
  paths = [str(camera / first_file(camera)), str(comfy / first_file(comfy))]
  rows = predict_lib.predict_files(inference.load_detector(run_dir), paths, progress=False)
  assert [row["declared"] for row in rows] == ["camera", "synthetic"]
  assert rows[1]["declared_by"] == "ComfyUI" and not rows[1]["signed"]
  for row in rows:
    called_synthetic_yet_camera = row["declared"] == "camera" and row["label"] == "synthetic"
    called_real_yet_generated = row["declared"] == "synthetic" and row["label"] == "real"
    assert bool(row["disagreement"]) == (called_synthetic_yet_camera or called_real_yet_generated)


def test_native_crops_are_the_image_itself_and_the_first_is_the_training_scale(run_dir):
  card = inference.read_card(run_dir)
  pixels = sample_pixels(seed=6, shape=(50, 80, 3))
  crops = inference.image_crops(pixels, card, native=5).numpy()
  assert crops.shape == (6, SIZE, SIZE, 3)
  np.testing.assert_allclose(crops[0], inference.Detector(card, None).crop(pixels))
  np.testing.assert_array_equal(crops[2], pixels[:SIZE, :SIZE])  # top-left, not resampled
  np.testing.assert_array_equal(crops[5], pixels[-SIZE:, -SIZE:])


def test_pooled_crops_are_uncertain_when_they_disagree_or_sit_at_the_threshold(run_dir):
  card = inference.read_card(run_dir)  # temperature 1.7, threshold 0.5
  t = card.calibrated_threshold
  per_crop = {"probability": np.array([0.99, 0.99, 0.01, 0.01,  # disagree
                                       0.97, 0.98, 0.96, 0.97,  # agree: synthetic
                                       t, t, t, t],  # agree at the threshold
                                      np.float32)}
  pooled = {k: v.numpy() for k, v in inference.combine_crops(per_crop, 4, card).items()}
  assert [v.decode() for v in pooled["verdict"]] == ["uncertain", "synthetic", "uncertain"]
  assert pooled["crop_spread"][0] > card.crop_disagreement > pooled["crop_spread"][1]


def test_the_crops_signature_pools_as_predict_does(run_dir, exported):
  pixels = sample_pixels(seed=7, shape=(60, 90, 3))
  data = encoded(pixels, "PNG")
  served = tf.saved_model.load(exported).signatures["serving_crops"](images=tf.constant([data]))
  (row,) = predict_lib.predict_payloads(inference.load_detector(run_dir), [("x.png", data)],
                                        native_crops=export_lib.NATIVE_CROPS, progress=False)
  assert abs(float(served["probability"].numpy()[0]) - row["probability"]) < TOLERANCE
  assert served["verdict"].numpy()[0].decode() == row["verdict"]


def test_a_model_with_both_heads_exports_its_generator_outputs(tmp_path, tiny_mix):
  config = config_lib.resolve(flags={"data.mix": tiny_mix.mix, "model.backbone": "simplenet",
                                     "data.image_size": SIZE, "model.task": "both"},
                              overrides=[f"data.manual_dir={tiny_mix.manual_dir}"])
  config.data.class_names = ["real", "gan_a", "gan_b"]
  config_lib.save(config, str(tmp_path / inference.PARAMS))
  model = detector.build(config.model, SIZE, config.data.class_names, seed=1)
  model.save(tmp_path / inference.BEST)
  (tmp_path / inference.CALIBRATION).write_text(json.dumps(
      {"threshold": 0.4, "temperature": 1.0, "attribution_temperature": 2.0}))
  version = export_lib.export(str(tmp_path), out_dir=str(tmp_path / "out"), name="both")
  served = tf.saved_model.load(version).signatures["serving_default"](
      images=tf.constant([encoded(sample_pixels(seed=8), "PNG")]))
  probabilities = served["generator_probabilities"].numpy()
  assert probabilities.shape == (1, 3) and abs(probabilities.sum() - 1) < 1e-5
  assert served["generator"].numpy()[0].decode() in ("gan_a", "gan_b")
  (row,) = predict_lib.predict_payloads(inference.load_detector(version),
                                        [("x.png", encoded(sample_pixels(seed=8), "PNG"))],
                                        progress=False)
  assert row["generator"] in ("gan_a", "gan_b") and row["verdict"]


@pytest.mark.skipif(not os.path.isdir(inference.DEFAULT_MODEL), reason="no default model here")
def test_predict_without_a_model_uses_the_shipped_default_with_its_generator_head(tmp_path):
  (tmp_path / "photo.png").write_bytes(encoded(sample_pixels(seed=9, shape=(150, 200, 3)), "PNG"))
  out = tmp_path / "rows.csv"
  assert cli.main(["predict", str(tmp_path / "photo.png"), "--output", str(out), "--quiet"]) == 0
  with open(out, newline="") as f:
    (row,) = list(csv.DictReader(f))
  card = inference.load_detector().card
  assert card.name == "keras_detect_default" and card.task == "both"
  assert row["label"] in ("real", "synthetic") and row["generator"] in card.class_names[1:]
  assert abs(float(row["threshold"]) - card.calibrated_threshold) < 1e-6
