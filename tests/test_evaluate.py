"""Evaluation of a tiny saved run on dummy data: reports, protocols and user errors."""

import json
import os
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml
from PIL import Image

from keras_detect import cli, data, evaluate, perturbations
from keras_detect.protocols import leave_one_out, robustness
from keras_detect import config as config_lib
from keras_detect.errors import UserError

BUILDERS = Path(__file__).resolve().parent.parent / "tfds_builders"
SOURCES = ("faces_real", "faces_gan", "anime_faces_stylegan")
SIZE = 32


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, dummy_sources):
  """Real faces against two synthetic sources (two generators), from the dummy data."""
  root = tmp_path_factory.mktemp("evaluate_data")
  manual_dir = dummy_sources(root / "manual", SOURCES)
  mixes = {}
  for mix, names in (("three", SOURCES), ("gan_only", ("faces_gan",))):
    path = root / f"{mix}.yaml"
    path.write_text(yaml.safe_dump({"sources": list(names)}))
    mixes[mix] = str(path)
  return {"manual_dir": str(manual_dir), "data_dir": str(root / "tfds"), **mixes}


@pytest.fixture(scope="module")
def brightness_data(tmp_path_factory):
  """Dark real images and bright synthetic ones: mean brightness alone tells them apart.

  Every image of a class has the same mean brightness (so the validation's scores are the
  test's, and a threshold chosen on one fits the other), yet its own content: one pixel
  of the other shade, at its own place, gives it its own content hash and so its split.
  """
  root = tmp_path_factory.mktemp("brightness_data")
  for source, label, generator, shade in (("faces_real", "real", "", 0),
                                          ("faces_gan", "synthetic", "stylegan_ffhq", 255)):
    folder = root / "manual" / source
    (folder / "images").mkdir(parents=True)
    rows = ["file_name,label,generator"]
    for i in range(40):
      pixels = np.full((SIZE * SIZE, 3), shade, np.uint8)
      pixels[i] = 255 - shade
      Image.fromarray(pixels.reshape(SIZE, SIZE, 3)).save(folder / "images" / f"{i}.png")
      rows.append(f"images/{i}.png,{label},{generator}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
  mix = root / "brightness.yaml"
  mix.write_text(yaml.safe_dump({"sources": ["faces_real", "faces_gan"]}))
  return {"three": str(mix), "manual_dir": str(root / "manual"), "data_dir": str(root / "tfds")}


def brightness_model(inverted: bool = False) -> keras.Model:
  """Scores an image by its mean brightness (0 black, 1 white), or by its darkness."""
  inputs = keras.Input((SIZE, SIZE, 3))
  x = keras.layers.GlobalAveragePooling2D()(inputs)
  sign = -1.0 if inverted else 1.0
  score = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(sign / (3 * 255)),
                             bias_initializer=keras.initializers.Constant(float(inverted)))(x)
  return keras.Model(inputs, score)


def tiny_model(outputs: int = 1, size: int = SIZE, both: bool = False) -> keras.Model:
  inputs = keras.Input((size, size, 3))
  x = keras.layers.Rescaling(1 / 255.0)(inputs)
  x = keras.layers.Conv2D(4, 3, activation="relu")(x)
  x = keras.layers.GlobalAveragePooling2D()(x)
  if both:
    return keras.Model(inputs, {
        "binary": keras.layers.Dense(1, activation="sigmoid", name="binary")(x),
        "attribution": keras.layers.Dense(outputs, activation="softmax", name="attribution")(x)})
  activation = "sigmoid" if outputs == 1 else "softmax"
  return keras.Model(inputs, keras.layers.Dense(outputs, activation=activation)(x))


def save_run(run_dir, tiny_data, model=None, **flags) -> str:
  """A run directory as training leaves it: params.yaml and best.keras."""
  os.makedirs(run_dir, exist_ok=True)
  values = {"data.mix": tiny_data["three"], "data.manual_dir": tiny_data["manual_dir"],
            "data.data_dir": tiny_data["data_dir"], "data.image_size": SIZE,
            "data.batch_size": 8, "data.class_names": ["real", "synthetic"],
            "train.run_dir": str(run_dir)}
  values.update(flags)
  config_lib.save(config_lib.resolve(flags=values), os.path.join(run_dir, "params.yaml"))
  (model or tiny_model()).save(os.path.join(run_dir, "best.keras"))
  return str(run_dir)


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory, tiny_data):
  return save_run(tmp_path_factory.mktemp("run"), tiny_data)


def open_run(run_dir, tmp_path, **kwargs):
  return evaluate.open_run(run_dir, out=str(tmp_path / "out"), verbose=False, **kwargs)


def test_standard_evaluation_writes_metrics_report_figures_and_calibration(binary_run, tmp_path):
  result = evaluate.standard(open_run(binary_run, tmp_path))
  out = tmp_path / "out"
  for name in ("metrics.json", "report.md", "roc.png", "det.png", "precision_recall.png",
               "confusion.png", "reliability.png", "source_confusion.png"):
    assert (out / name).stat().st_size > 0, name
  saved = json.loads((out / "metrics.json").read_text())
  assert saved["at_0.5"]["overall"]["examples"] == 3
  assert set(saved["at_threshold"]["per_source"]) == set(SOURCES)
  assert set(saved["at_0.5"]["per_generator"]) == {"real", "stylegan_ffhq", "stylegan_anime_64"}
  assert result["source_confusion"]["classes"] == ["real", "synthetic"]
  calibration = json.loads((out / "calibration.json").read_text())
  assert calibration["temperature"] > 0 and 0 <= calibration["threshold"] <= 1
  assert calibration["chosen_on"] == "three/validation"
  report = (out / "report.md").read_text()
  assert "## Per source" in report and "| roc_auc |" in report.replace(" at 0.5", "")


def test_a_model_that_separates_the_classes_scores_auc_1_and_accuracy_1(brightness_data,
                                                                       tmp_path):
  run_dir = save_run(tmp_path / "run", brightness_data, model=brightness_model())
  result = evaluate.standard(open_run(run_dir, tmp_path))
  overall = result["at_threshold"]["overall"]
  assert overall["real"] > 0 and overall["synthetic"] > 0
  assert overall["roc_auc"] == 1.0 and overall["accuracy"] == 1.0
  assert 0.1 < result["calibration"]["threshold"] < 1.0  # above every dark image


def test_a_model_with_inverted_scores_has_auc_0(brightness_data, tmp_path):
  run_dir = save_run(tmp_path / "run", brightness_data, model=brightness_model(inverted=True))
  result = evaluate.standard(open_run(run_dir, tmp_path))
  assert result["at_0.5"]["overall"]["roc_auc"] == 0.0
  assert result["at_0.5"]["overall"]["accuracy"] == 0.0


def test_a_perturbation_that_destroys_the_signal_drops_the_scores(brightness_data, tmp_path,
                                                                  monkeypatch):
  flat = perturbations.Condition("flat_gray", "flat", 1, lambda image: image * 0 + 128)
  monkeypatch.setitem(perturbations.ROBUSTNESS, flat.name, flat)
  run_dir = save_run(tmp_path / "run", brightness_data, model=brightness_model())
  rows = robustness.robustness(open_run(run_dir, tmp_path), conditions=["grayscale", flat.name])
  clean, gray, flat_row = rows
  assert clean["roc_auc"] == 1.0 and clean["drop_roc_auc"] == 0.0
  assert gray["drop_roc_auc"] == 0.0  # grayscale keeps the brightness
  assert flat_row["roc_auc"] == 0.5 and flat_row["drop_roc_auc"] == 0.5
  # One score for every image: one class right, the other wrong.
  assert flat_row["accuracy_at_threshold"] < 1.0
  assert flat_row["drop_accuracy_at_threshold"] == pytest.approx(
      1.0 - flat_row["accuracy_at_threshold"])


def test_single_class_test_set_reports_auc_as_undefined(binary_run, tiny_data, tmp_path):
  result = evaluate.standard(open_run(binary_run, tmp_path, mix=tiny_data["gan_only"]))
  overall = result["at_0.5"]["overall"]
  assert overall["roc_auc"] is None and "only synthetic" in overall["undefined"]
  assert "roc.png" not in result["figures"]
  assert "only synthetic" in (tmp_path / "out" / "report.md").read_text()


def test_every_format_swap_condition_decodes_and_scores(binary_run, tmp_path):
  rows = robustness.format_swap(open_run(binary_run, tmp_path))
  assert [r["condition"] for r in rows] == list(perturbations.FORMAT_SWAP)
  for row in rows:
    assert row["examples"] == 3 and row["roc_auc"] is not None, row["condition"]
  assert rows[0]["drop_roc_auc"] == 0.0
  assert (tmp_path / "out" / "format_swap.md").stat().st_size > 0


def test_robustness_runs_the_chosen_conditions_and_plots_each_family(binary_run, tmp_path):
  names = ["jpeg_50", "blur_sigma2", "resize_x0.5", "noise_0.05"]
  rows = robustness.robustness(open_run(binary_run, tmp_path), conditions=names)
  assert [r["condition"] for r in rows] == ["clean"] + names
  assert all(r["accuracy_at_threshold"] is not None for r in rows)
  for family in ("jpeg", "blur", "resize", "noise"):
    assert (tmp_path / "out" / f"robustness_{family}.png").stat().st_size > 0
  table = (tmp_path / "out" / "robustness.md").read_text()
  assert "drop_roc_auc" in table and "blur_sigma2" in table


def test_attribution_model_in_a_binary_run_is_a_user_error(tiny_data, tmp_path):
  run_dir = save_run(tmp_path / "run", tiny_data, model=tiny_model(outputs=3))
  with pytest.raises(UserError, match="'attribution' model but params.yaml says task 'binary'"):
    open_run(run_dir, tmp_path)


def test_attribution_model_on_data_without_its_generators_is_a_user_error(tiny_data, tmp_path):
  run_dir = save_run(tmp_path / "run", tiny_data, model=tiny_model(outputs=3),
                     **{"model.task": "attribution",
                        "data.class_names": ["real", "dalle3", "midjourney"]})
  with pytest.raises(UserError, match="no attribution can be scored"):
    open_run(run_dir, tmp_path)


@pytest.mark.parametrize("task", ["attribution", "both"])
def test_attribution_model_reports_the_generator_confusion(tiny_data, tmp_path, task):
  names = ["real", "stylegan_anime_64", "stylegan_ffhq"]
  run_dir = save_run(tmp_path / "run", tiny_data, model=tiny_model(3, both=task == "both"),
                     **{"model.task": task, "data.class_names": names})
  result = evaluate.standard(open_run(run_dir, tmp_path))
  assert result["attribution"]["examples"] == 3
  assert result["source_confusion"]["classes"] == names
  assert (tmp_path / "out" / "generator_confusion.png").stat().st_size > 0


def test_model_input_size_other_than_the_config_is_a_user_error(tiny_data, tmp_path):
  run_dir = save_run(tmp_path / "run", tiny_data, model=tiny_model(size=48))
  with pytest.raises(UserError, match="image_size 32"):
    open_run(run_dir, tmp_path)


def test_report_lists_the_files_a_builder_could_not_decode(tiny_data, tmp_path):
  manual_dir = tmp_path / "manual"
  shutil.copytree(BUILDERS / "faces_real" / "dummy_data" / "faces_real", manual_dir / "faces_real")
  (manual_dir / "faces_real" / "images" / "0.jpg").write_bytes(b"not an image")
  (manual_dir / "faces_gan").symlink_to(BUILDERS / "faces_gan" / "dummy_data" / "faces_gan")
  mix = tmp_path / "broken.yaml"
  mix.write_text(yaml.safe_dump({"sources": ["faces_real", "faces_gan"]}))
  run_dir = save_run(tmp_path / "run", tiny_data, **{
      "data.mix": str(mix), "data.manual_dir": str(manual_dir),
      "data.data_dir": str(tmp_path / "tfds")})
  result = evaluate.standard(open_run(run_dir, tmp_path))
  (counts,) = result["skipped_files"]["faces_real"].values()
  assert sum(counts.values()) == 1
  assert "- faces_real:" in (tmp_path / "out" / "report.md").read_text()


def test_split_without_examples_is_a_user_error(binary_run, tmp_path):
  with pytest.raises(UserError, match="no 'holdout' examples"):
    evaluate.standard(open_run(binary_run, tmp_path), split="holdout")


def test_leave_one_out_trains_without_each_synthetic_source_and_tests_on_it(binary_run, tmp_path):
  trained_on = {}

  def fake_train(config):
    sources = [s["name"] for s in yaml.safe_load(open(config.data.mix))["sources"]]
    trained_on[config.train.run_dir] = sources
    return save_run(config.train.run_dir, {"three": config.data.mix,
                                           "manual_dir": config.data.manual_dir,
                                           "data_dir": config.data.data_dir})

  rows = leave_one_out.leave_one_out(open_run(binary_run, tmp_path), group="source",
                                train_fn=fake_train)
  assert [r["held_out"] for r in rows] == ["anime_faces_stylegan", "faces_gan"]
  for row in rows:
    assert row["held_out"] not in trained_on[row["run_dir"]]
    assert row["held_out_examples"] == 1 and row["real_examples"] == 1
    assert row["roc_auc"] is not None
  assert "faces_gan" in (tmp_path / "out" / "leave_one_out.md").read_text()


@pytest.mark.slow
def test_leave_one_out_with_the_real_trainer(tiny_data, tmp_path):
  from keras_detect import train_lib

  run_dir = save_run(tmp_path / "run", tiny_data, **{
      "model.backbone": "simplenet", "train.epochs": 1, "train.steps_per_epoch": 1,
      "train.tensorboard": False})
  rows = leave_one_out.leave_one_out(open_run(run_dir, tmp_path), group="generator",
                                train_fn=lambda config: train_lib.train(config, verbose=0))
  assert len(rows) == 2 and all(os.path.isfile(os.path.join(r["run_dir"], "best.keras"))
                                for r in rows)


def test_evaluate_out_receives_every_file_and_the_run_dir_none(tiny_data, tmp_path):
  run_dir = save_run(tmp_path / "run", tiny_data)
  before = sorted(os.listdir(run_dir))
  out = tmp_path / "elsewhere"
  assert cli.main(["evaluate", run_dir, "--out", str(out), "--max-examples", "2"]) == 0
  assert sorted(os.listdir(run_dir)) == before
  for name in ("calibration.json", "metrics.json", "report.md", "roc.png"):
    assert (out / name).stat().st_size > 0, name


def test_evaluate_command_writes_a_report_and_exits_2_on_user_errors(binary_run, tmp_path,
                                                                     capsys):
  out = tmp_path / "cli"
  assert cli.main(["evaluate", binary_run, "--out", str(out), "--max-examples", "2"]) == 0
  assert (out / "report.md").is_file() and "Report:" in capsys.readouterr().out
  assert cli.main(["evaluate", str(tmp_path / "missing")]) == 2
  assert "not a run directory" in capsys.readouterr().err


@pytest.fixture(scope="module")
def brightness_families(tmp_path_factory):
  """Two real and two synthetic sources of different families; brightness tells them apart."""
  root = tmp_path_factory.mktemp("brightness_families")
  sources = (("faces_real", "real", "", 0), ("coco_real", "real", "", 0),
             ("faces_gan", "synthetic", "stylegan_ffhq", 255),
             ("anime_faces_stylegan", "synthetic", "stylegan_anime_64", 255))
  for source, label, generator, shade in sources:
    folder = root / "manual" / source
    (folder / "images").mkdir(parents=True)
    rows = ["file_name,label,generator"]
    for i in range(30):
      pixels = np.full((SIZE * SIZE, 3), shade, np.uint8)
      pixels[i + (0 if label == "real" else 40)] = 255 - shade  # one pixel: its own content
      Image.fromarray(pixels.reshape(SIZE, SIZE, 3)).save(folder / "images" / f"{i}.png")
      rows.append(f"images/{i}.png,{label},{generator}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
  mix = root / "families.yaml"
  mix.write_text(yaml.safe_dump({"sources": [s[0] for s in sources]}))
  return {"three": str(mix), "manual_dir": str(root / "manual"), "data_dir": str(root / "tfds")}


# The inverted model's validated threshold leaves its real FPR to Youden's choice: not asserted.
@pytest.mark.parametrize("inverted, auc, fpr", [(False, 1.0, 0.0), (True, 0.0, None)])
def test_leave_sources_out_scores_each_held_out_source_with_a_model_that_never_saw_it(
    brightness_families, tmp_path, inverted, auc, fpr):
  from keras_detect.protocols import sources_out
  trained_on = {}

  def fake_train(config):
    trained_on[config.train.run_dir] = [
        s["name"] for s in yaml.safe_load(open(config.data.mix))["sources"]]
    return save_run(config.train.run_dir, {**brightness_families, "three": config.data.mix},
                    model=brightness_model(inverted))

  run_dir = save_run(tmp_path / "run", brightness_families, model=brightness_model())
  result = sources_out.leave_sources_out(open_run(run_dir, tmp_path), folds=2,
                                         train_fn=fake_train)
  rows = result["rows"]
  assert sorted(r["held_out"] for r in rows) == sorted(
      ["faces_real", "coco_real", "faces_gan", "anime_faces_stylegan"])
  for row in rows:
    assert row["held_out"] not in trained_on[row["run_dir"]]
  summary = result["summary"]
  assert (summary["mean_held_out_auc"], summary["worst_held_out_auc"]) == (auc, auc)
  if fpr is not None:
    assert summary["worst_real_fpr"] == fpr
  assert "Leave sources out" in (tmp_path / "out" / "leave_sources_out.md").read_text()


def test_fold_plan_keeps_a_family_together_and_holds_every_source_out_once():
  from keras_detect.protocols import sources_out
  mix = data.load_mix("all_shared")
  synthetic = {s.name for s in mix.sources if not s.name.endswith(("_real", "_human"))
               and s.name not in ("wikiart", "monet_paintings", "monet_photos")}
  plan = sources_out.fold_plan(mix, synthetic, 3)
  held = [name for fold in plan for name in fold]
  assert sorted(held) == sorted(s.name for s in mix.sources)
  for members in sources_out.FAMILIES.values():
    assert len({i for i, fold in enumerate(plan) for name in fold if name in members}) <= 1
  assert all(set(fold) & synthetic for fold in plan)
