"""Apache Beam: a dataset built by Beam (DirectRunner) equals its plain build, and
`keras-detect predict --runner beam` scores files like predict.

Beam lives in an environment of its own (see README, "Scaling out"):
  python3 -m venv .venv-beam && .venv-beam/bin/pip install -q -e ".[beam,dev]"
  .venv-beam/bin/pip install -q --no-deps tensorflow-hub==0.16.1 tf-keras==2.21.0
  .venv-beam/bin/python -m pytest -q tests/test_beam.py
Elsewhere these tests are skipped.
"""

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import pytest

beam = pytest.importorskip("apache_beam")

import tensorflow_datasets as tfds  # noqa: E402

import tfds_builders  # noqa: E402,F401  (registers the builders)
from keras_detect import batch_predict, cli, inference, predict_lib  # noqa: E402
# The tiny run directory and its export, and the folder of good and bad files, of the
# export and predict tests.
from test_export_predict import (TOLERANCE, bad_and_good_files, exported,  # noqa: E402,F401
                                 run_dir)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DIRECT = ["--runner=DirectRunner", "--direct_num_workers=1"]


def build(name: str, manual_dir, data_dir, beam_args=None):
  options = beam.options.pipeline_options.PipelineOptions(beam_args) if beam_args else None
  builder = tfds.builder(name, data_dir=str(data_dir))
  builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
      manual_dir=str(manual_dir), beam_options=options))
  return builder


def stored_examples(builder, split: str) -> list:
  ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
  return sorted((x["file_name"].decode(), x["tile"].decode(), int(x["label"]),
                 x["generator"].decode(), x["group"].decode(),
                 hashlib.sha256(x["image"]).hexdigest())
                for x in tfds.as_numpy(ds))


@pytest.mark.slow
def test_a_beam_build_holds_the_examples_and_splits_of_the_plain_build(tmp_path):
  source = SHARED / "coco_real"
  if not source.is_dir():
    pytest.skip(f"no shared data at {source}")
  manual_dir = tmp_path / "manual"
  shutil.copytree(source, manual_dir / "coco_real")
  # One file no longer matching the manifest: both builds skip it and say why.
  bad = sorted((manual_dir / "coco_real").rglob("*.jpg"))[0]
  bad.write_bytes(bad.read_bytes()[:200])

  plain = build("coco_real", manual_dir, tmp_path / "plain")
  on_beam = build("coco_real", manual_dir, tmp_path / "beam", DIRECT)

  counts = {split: info.num_examples for split, info in plain.info.splits.items()}
  assert {split: info.num_examples for split, info in on_beam.info.splits.items()} == counts
  assert sum(counts.values()) == 71
  for split in counts:
    assert stored_examples(on_beam, split) == stored_examples(plain, split)
  assert on_beam.info.metadata["skipped"] == plain.info.metadata["skipped"]
  assert sum(sum(c.values()) for c in plain.info.metadata["skipped"].values()) == 1


def read_rows(path) -> dict:
  """file name → row of a CSV or JSON-lines file of predict's rows."""
  text = Path(path).read_text()
  rows = ([json.loads(line) for line in text.splitlines()] if str(path).endswith(".jsonl")
          else list(csv.DictReader(io.StringIO(text))))
  return {os.path.basename(row["path"]): row for row in rows}


def assert_same_rows(beam_rows: dict, local_rows: dict) -> None:
  assert beam_rows.keys() == local_rows.keys()
  for name, row in beam_rows.items():
    local = local_rows[name]
    assert bool(row["error"]) == bool(local["error"]), name
    if local["error"]:
      assert row["error"] == local["error"]
      continue
    assert float(row["probability"]) == pytest.approx(local["probability"], abs=TOLERANCE)
    assert float(row["threshold"]) == pytest.approx(local["threshold"])
    for column in ("label", "verdict", "declared"):
      assert row[column] == local[column], (name, column)


@pytest.mark.slow
def test_beam_batch_prediction_writes_the_rows_predict_writes(exported, tmp_path):
  bad_and_good_files(tmp_path / "images")
  inputs = [str(tmp_path / "images"), str(tmp_path / "missing.jpg")]
  output = tmp_path / "scores.csv"

  counts = batch_predict.predict(inputs, str(output), model=exported, native_crops=4,
                                 beam_options=" ".join(DIRECT))
  local = predict_lib.predict_files(inference.load_detector(exported),
                                    predict_lib.find_images(inputs), native_crops=4,
                                    progress=False)
  assert counts == {"rows": 8, "failed": 4}
  assert list(csv.DictReader(open(output))) and next(csv.reader(open(output))) == list(
      predict_lib.COLUMNS)
  assert_same_rows(read_rows(output), {os.path.basename(r["path"]): r for r in local})


@pytest.mark.slow
def test_predict_runner_beam_writes_json_lines_and_fails_on_bad_files(exported, tmp_path,
                                                                      capsys):
  bad_and_good_files(tmp_path / "images")
  output = tmp_path / "scores.jsonl"
  code = cli.main(["predict", "--runner", "beam", "--model", os.path.dirname(exported),
                   str(tmp_path / "images"), "--native-crops", "0", "--output", str(output),
                   "--beam-options=" + " ".join(DIRECT)])
  assert code == 1 and "3 of 7 files could not be scored" in capsys.readouterr().out
  local = predict_lib.predict_files(inference.load_detector(exported),
                                    predict_lib.find_images([str(tmp_path / "images")]),
                                    native_crops=0, progress=False)
  assert_same_rows(read_rows(output), {os.path.basename(r["path"]): r for r in local})
