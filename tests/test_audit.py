"""The shortcut audit: file traits that give the class away are found, aligned bytes are not."""

import json

import numpy as np
import pytest
from PIL import Image
from sklearn.model_selection import cross_val_predict

from keras_detect import audit, cli, data, preprocessing
from keras_detect.errors import UserError

SIZE = 64  # toy images are SIZE×SIZE
CROP = 48  # the audit's --image-size on the toy mix
PER_CLASS = 40


def toy_traits(n, rng, **fixed):
  """n trait dicts like those of a 256 px JPEG source, with `fixed` values overriding."""
  return [{"format": "JPEG", "width": 256, "height": 256, "bytes_per_pixel": rng.uniform(0.1, 0.4),
           "jpeg_quality": int(rng.integers(65, 101)), "chroma_subsampling": "4:2:0",
           "has_exif": False, **fixed} for _ in range(n)]


def test_traits_that_differ_only_in_format_separate_the_classes():
  rng = np.random.default_rng(0)
  traits = (toy_traits(60, rng)
            + toy_traits(60, rng, format="PNG", jpeg_quality=-1, chroma_subsampling=""))
  report = audit.audit(traits, [0] * 60 + [1] * 60)
  whole = report["comparisons"][0]
  assert whole["logistic_regression"] > 0.9 and whole["gradient_boosting"] > 0.9
  assert report["top_traits"][0]["trait"] in ("format", "jpeg_quality", "chroma_subsampling")
  assert "format=" in next(t["summary"] for t in report["top_traits"] if t["trait"] == "format")


def test_classes_drawn_from_the_same_traits_score_near_chance():
  rng = np.random.default_rng(1)
  report = audit.audit(toy_traits(150, rng), [0] * 75 + [1] * 75)
  whole = report["comparisons"][0]
  assert whole["logistic_regression"] < 0.7 and whole["gradient_boosting"] < 0.7


def test_each_source_is_compared_with_the_other_class():
  rng = np.random.default_rng(2)
  traits = toy_traits(30, rng) + toy_traits(30, rng, width=512) + toy_traits(30, rng, width=1024)
  sources = ["real_a"] * 30 + ["fake_b"] * 30 + ["fake_c"] * 30
  report = audit.audit(traits, [0] * 30 + [1] * 60, sources=sources)
  names = [row["comparison"] for row in report["comparisons"]]
  assert names == ["whole mix", "fake_b vs all real", "fake_c vs all real"]
  assert report["comparisons"][1]["real"] == 30 and report["comparisons"][1]["synthetic"] == 30


def test_a_group_never_straddles_folds(monkeypatch):
  # Group 0 holds 12 examples of both classes: ungrouped, 5 folds would each take some.
  groups = [0] * 12 + [1 + i // 2 for i in range(48)]
  labels = [0, 1] * 30
  sources = ["real_a", "fake_b", "real_a", "fake_c"] * 15
  folds_of_group = []

  def recording_cross_val_predict(model, x, y, *, groups, cv, **kwargs):
    seen = {}
    for fold, (_, test) in enumerate(cv.split(x, y, groups)):
      for group in groups[test]:
        seen.setdefault(group, set()).add(fold)
    folds_of_group.append(seen)
    return cross_val_predict(model, x, y, groups=groups, cv=cv, **kwargs)

  monkeypatch.setattr(audit, "cross_val_predict", recording_cross_val_predict)
  audit.audit(toy_traits(60, np.random.default_rng(3)), labels, groups, sources, folds=5)
  assert folds_of_group and all(0 in seen for seen in folds_of_group)
  for seen in folds_of_group:
    assert {group: len(folds) for group, folds in seen.items() if len(folds) != 1} == {}


def test_a_trait_that_separates_the_classes_scores_auc_1():
  rng = np.random.default_rng(5)
  labels = [0, 1] * 50
  traits = [{**t, "width": 256 if label == 0 else 512}
            for t, label in zip(toy_traits(100, rng, jpeg_quality=90, bytes_per_pixel=0.2),
                                labels)]
  report = audit.audit(traits, labels)
  whole = report["comparisons"][0]
  assert whole["logistic_regression"] == whole["gradient_boosting"] == 1.0
  top = report["top_traits"][0]
  assert (top["trait"], top["auc"]) == ("width", 1.0)


def test_a_random_trait_scores_near_auc_0_5():
  rng = np.random.default_rng(6)
  # Only bytes_per_pixel varies, drawn from one distribution for both classes.
  report = audit.audit(toy_traits(100, rng, jpeg_quality=90), [0, 1] * 50)
  whole = report["comparisons"][0]
  assert 0.3 < whole["logistic_regression"] < 0.7 and 0.3 < whole["gradient_boosting"] < 0.7


def test_warning_fires_above_0_6_and_names_the_traits():
  report = {"comparisons": [{"comparison": "whole mix", "logistic_regression": 0.95,
                             "gradient_boosting": 0.99}],
            "top_traits": [{"trait": "width", "auc": 0.98}, {"trait": "format", "auc": 0.7},
                           {"trait": "has_exif", "auc": 0.5}]}
  text = audit.warning(report)
  assert text.startswith("WARNING") and "width, format" in text and "has_exif" not in text
  report["comparisons"][0].update(logistic_regression=0.55, gradient_boosting=0.6)
  assert audit.warning(report) is None


def test_a_single_class_is_a_user_error():
  with pytest.raises(UserError, match="real and synthetic"):
    audit.audit(toy_traits(10, np.random.default_rng(4)), [0] * 10)


# --- end to end: a toy mix built with the faces_real / faces_gan builders ---------------

def smooth_image(seed):
  """Random low-frequency content with a little noise: compresses like a photo."""
  rng = np.random.default_rng(seed)
  coarse = Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8))
  pixels = np.asarray(coarse.resize((SIZE, SIZE), Image.BILINEAR), dtype=np.float64)
  return np.clip(pixels + rng.normal(0, 6, pixels.shape), 0, 255).astype(np.uint8)


def write_source(root, name, label, extension, first_seed):
  folder = root / name / "images"
  folder.mkdir(parents=True)
  rows = ["file_name,label,generator"]
  for i in range(PER_CLASS):
    path = folder / f"{i}.{extension}"
    Image.fromarray(smooth_image(first_seed + i)).save(
        path, **({"quality": 90} if extension == "jpg" else {}))
    rows.append(f"images/{i}.{extension},{label},{'' if label == 'real' else 'toy_gan'}")
  (root / name / "manifest.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def toy_mix(tmp_path_factory):
  """Real: JPEG; synthetic: PNG; both 64×64 with content from one random distribution."""
  root = tmp_path_factory.mktemp("audit")
  manual = root / "manual"
  write_source(manual, "faces_real", "real", "jpg", 0)
  write_source(manual, "faces_gan", "synthetic", "png", 10_000)
  mix = root / "toy.yaml"
  mix.write_text("sources: [faces_real, faces_gan]\n"
                 "align: {format: jpeg, quality: [65, 100], downscale: [0.75, 1.0]}\n")
  no_align = root / "toy_unaligned.yaml"
  no_align.write_text("sources: [faces_real, faces_gan]\n")
  return {"mix": str(mix), "no_align": str(no_align), "manual_dir": str(manual),
          "data_dir": str(root / "tfds"), "figures": root}


def run_audit(toy_mix, aligned):
  figure = toy_mix["figures"] / f"{'aligned' if aligned else 'files'}.png"
  return audit.audit_mix(toy_mix["mix"], toy_mix["manual_dir"], toy_mix["data_dir"],
                         aligned=aligned, image_size=CROP, figure=str(figure), verbose=False)


def test_unaligned_audit_finds_a_format_only_difference(toy_mix):
  report = run_audit(toy_mix, aligned=False)
  whole = report["comparisons"][0]
  assert whole["real"] == whole["synthetic"] == PER_CLASS
  assert max(whole["logistic_regression"], whole["gradient_boosting"]) > 0.9
  assert report["warning"] and "WARNING" in report["warning"]
  assert (toy_mix["figures"] / "files.png").stat().st_size > 0


def test_aligned_audit_of_the_same_mix_is_near_chance(toy_mix):
  report = run_audit(toy_mix, aligned=True)
  whole = report["comparisons"][0]
  assert whole["logistic_regression"] < 0.7 and whole["gradient_boosting"] < 0.7
  formats = [t["summary"] for t in report["top_traits"] if t["trait"] == "format"]
  assert formats in ([], ["format=JPEG: 100% of real, 100% of synthetic"])


def test_aligned_bytes_are_what_the_training_pipeline_feeds(toy_mix):
  mix = data.load_mix(toy_mix["mix"])
  builders = data.prepare([s.name for s in mix.sources], toy_mix["manual_dir"], toy_mix["data_dir"])
  batches = data.make_dataset(mix, builders, "train", image_size=CROP, batch_size=16)
  fed = {name: image for batch in batches.as_numpy_iterator()
         for name, image in zip(batch["file_name"], batch["image"])}
  for ds, _ in data.raw_examples(mix, builders, "train").values():
    for _, key, encoded in ds.map(lambda x: audit.aligned_bytes(x, mix.align, CROP)):
      decoded = preprocessing.decode_image(encoded).numpy().astype(np.float32)
      np.testing.assert_array_equal(decoded, fed[key.numpy()])


def test_aligned_audit_of_a_mix_without_align_block_is_a_user_error(toy_mix):
  with pytest.raises(UserError, match="no align block"):
    audit.audit_mix(toy_mix["no_align"], toy_mix["manual_dir"], toy_mix["data_dir"],
                    aligned=True, verbose=False)


def test_json_output_parses(toy_mix, capsys):
  figure = toy_mix["figures"] / "cli.png"
  assert cli.main(["audit", toy_mix["mix"], "--manual-dir", toy_mix["manual_dir"],
                   "--data-dir", toy_mix["data_dir"], "--out", str(figure), "--json"]) == 0
  report = json.loads(capsys.readouterr().out)
  assert report["mix"] == "toy" and report["aligned"] is False
  assert report["comparisons"][0]["comparison"] == "whole mix" and report["figure"] == str(figure)
