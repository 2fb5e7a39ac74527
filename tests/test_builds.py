"""Dataset builds that cannot serve stale, escaped, altered or mislabelled files."""

import csv
import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from keras_detect import data
from keras_detect.errors import UserError

BUILDERS = Path(__file__).resolve().parent.parent / "tfds_builders"


def copy_source(name: str, manual_dir: Path) -> Path:
  """A writable copy of a builder's dummy source folder inside manual_dir."""
  folder = manual_dir / name
  shutil.copytree(BUILDERS / name / "dummy_data" / name, folder)
  return folder


def read_manifest(folder: Path) -> list:
  with open(folder / "manifest.csv", newline="") as f:
    return list(csv.DictReader(f))


def write_manifest(folder: Path, rows: list) -> None:
  with open(folder / "manifest.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)


def jpeg_bytes(seed: int, size=(24, 24)) -> bytes:
  pixels = np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format="JPEG")
  return buffer.getvalue()


def add_images(folder: Path, count: int) -> None:
  rows = read_manifest(folder)
  for i in range(count):
    payload = jpeg_bytes(1000 + i)
    name = f"images/added_{i}.jpg"
    (folder / name).write_bytes(payload)
    rows.append({**rows[0], "file_name": name, "sha256": hashlib.sha256(payload).hexdigest()})
  write_manifest(folder, rows)


def total_examples(builder) -> int:
  return sum(split.num_examples for split in builder.info.splits.values())


def file_names(builder) -> set:
  names = set()
  for split in builder.info.splits:
    ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
    names |= {x["file_name"].decode() for x in ds.as_numpy_iterator()}
  return names


def test_a_changed_source_folder_is_rebuilt_not_served_stale(tmp_path):
  folder = copy_source("coco_real", tmp_path / "manual")
  first = data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))
  before = total_examples(first["coco_real"])
  add_images(folder, 5)
  again = data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))
  assert total_examples(again["coco_real"]) == before + 5


def test_an_unchanged_folder_reuses_its_build(tmp_path):
  copy_source("coco_real", tmp_path / "manual")
  first = data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))
  data_file = next(Path(first["coco_real"].data_dir).glob("*.tfrecord*"))
  stamp = data_file.stat().st_mtime_ns
  data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))
  assert data_file.stat().st_mtime_ns == stamp


def test_a_manual_dir_elsewhere_with_other_files_is_rebuilt(tmp_path):
  copy_source("coco_real", tmp_path / "first")
  copy_source("coco_real", tmp_path / "second")
  add_images(tmp_path / "second" / "coco_real", 3)
  first = data.prepare(["coco_real"], str(tmp_path / "first"), str(tmp_path / "tfds"))
  before = total_examples(first["coco_real"])
  second = data.prepare(["coco_real"], str(tmp_path / "second"), str(tmp_path / "tfds"))
  assert total_examples(second["coco_real"]) == before + 3


def image_tree(root: Path, generator: str) -> Path:
  for label, start in (("real", 0), (generator, 50)):
    (root / label).mkdir(parents=True)
    for i in range(10):
      (root / label / f"{i}.jpg").write_bytes(jpeg_bytes(start + i + len(generator)))
  return root


def test_a_second_image_folder_tree_serves_its_own_images(tmp_path):
  entries = [data.SourceEntry("image_folder", folder=str(image_tree(tmp_path / t, g)))
             for t, g in (("tree_a", "gan_a"), ("tree_b", "gan_b"))]
  data_dir = str(tmp_path / "tfds")
  data.prepare([entries[0]], str(tmp_path), data_dir)
  builder = data.prepare([entries[1]], str(tmp_path), data_dir)["image_folder"]
  ds = builder.as_dataset(split="train", decoders={"image": tfds.decode.SkipDecoding()})
  assert {x["generator"].decode() for x in ds.as_numpy_iterator()} <= {"", "gan_b"}
  assert any(name.startswith("gan_b/") for name in file_names(builder))


def test_image_folder_refuses_a_folder_of_sources(tmp_path):
  copy_source("coco_real", tmp_path / "manual")
  entry = data.SourceEntry("image_folder", folder=str(tmp_path / "manual"))
  with pytest.raises(UserError, match="not one image tree"):
    data.prepare([entry], str(tmp_path / "manual"), str(tmp_path / "tfds"))


def test_a_mix_needs_a_folder_for_image_folder(tmp_path):
  path = tmp_path / "mine.yaml"
  path.write_text("sources:\n  - name: image_folder\n")
  with pytest.raises(UserError, match="`folder:` is required"):
    data.load_mix(str(path))


def test_a_mix_entry_with_an_unknown_key_names_it_and_the_known_ones(tmp_path):
  path = tmp_path / "mine.yaml"
  path.write_text("sources:\n  - name: coco_real\n    weigth: 2\n")
  with pytest.raises(UserError, match=r"unknown key\(s\) \['weigth'\].*name, cap, weight"):
    data.load_mix(str(path))


@pytest.mark.parametrize("escape", ["../outside.jpg", "{absolute}"])
def test_a_manifest_name_outside_the_source_folder_is_refused_with_its_row(tmp_path, escape):
  folder = copy_source("coco_real", tmp_path / "manual")
  outside = tmp_path / "manual" / "outside.jpg"
  outside.write_bytes(jpeg_bytes(7))
  rows = read_manifest(folder)
  rows[2]["file_name"] = escape.format(absolute=outside)
  write_manifest(folder, rows)
  with pytest.raises(UserError, match="manifest row 4: file_name .* points outside"):
    data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))


def test_a_file_whose_sha256_differs_from_the_manifest_is_skipped_and_counted(tmp_path):
  folder = copy_source("coco_real", tmp_path / "manual")
  rows = read_manifest(folder)
  (folder / rows[0]["file_name"]).write_bytes(jpeg_bytes(99))
  builder = data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))["coco_real"]
  assert rows[0]["file_name"] not in file_names(builder)
  skipped = builder.info.metadata["skipped"]
  assert sum(c.get("content differs from the manifest", 0) for c in skipped.values()) == 1


def test_grid_tiles_follow_the_decoded_size_not_the_manifest(tmp_path):
  folder = copy_source("sd15_finetune_grids", tmp_path / "manual")
  rows = read_manifest(folder)
  decoded = Image.open(folder / rows[0]["file_name"]).size
  for row in rows:
    row["width"], row["height"] = "9999", "9999"
  write_manifest(folder, rows)
  builder = data.prepare(["sd15_finetune_grids"], str(tmp_path / "manual"),
                         str(tmp_path / "tfds"))["sd15_finetune_grids"]
  example = next(iter(builder.as_dataset(split="train")))
  rows_cols = int(rows[0]["grid_rows"]), int(rows[0]["grid_cols"])
  assert example["image"].shape[:2] == (decoded[1] // rows_cols[0], decoded[0] // rows_cols[1])


def test_a_split_with_no_usable_file_names_the_source_split_and_reason(tmp_path):
  folder = copy_source("coco_real", tmp_path / "manual")
  for row in read_manifest(folder):
    (folder / row["file_name"]).write_bytes(b"not an image")
  with pytest.raises(UserError, match=r"coco_real: no usable image in the \w+ split"):
    data.prepare(["coco_real"], str(tmp_path / "manual"), str(tmp_path / "tfds"))


def test_linked_folders_in_a_folder_source_are_read_and_a_link_loop_ends(tmp_path):
  release = image_tree(tmp_path / "release", "sdxl")
  (release / "real" / "loop").symlink_to(release / "real")
  tree = tmp_path / "tree"
  tree.mkdir()
  for label in ("real", "sdxl"):
    (tree / label).symlink_to(release / label)
  entry = data.SourceEntry("image_folder", folder=str(tree))
  builder = data.prepare([entry], str(tmp_path), str(tmp_path / "tfds"))["image_folder"]
  assert total_examples(builder) == 20
