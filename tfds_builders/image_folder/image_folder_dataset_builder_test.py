"""Builds image_folder from dummy_data/ (a user's tree: real/, my_gan/, sdxl/)."""

import tensorflow_datasets as tfds
from etils import epath

from tfds_builders.image_folder import image_folder_dataset_builder

DUMMY = epath.Path(__file__).parent / "dummy_data"


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = image_folder_dataset_builder.Builder
  # 25 images in JPEG, PNG, BMP, GIF and WebP; a truncated PNG is skipped.
  SPLITS = {"train": 19, "validation": 4, "test": 2}


def _rows(tmp_path):
  return image_folder_dataset_builder.Builder(data_dir=str(tmp_path)).rows(DUMMY)


def test_folder_names_give_label_and_generator(tmp_path):
  assert {(row["label"], row["generator"]) for row in _rows(tmp_path)} == {
      ("real", ""), ("synthetic", "my_gan"), ("synthetic", "sdxl")}


def test_images_in_sub_folders_are_read(tmp_path):
  names = {row["file_name"] for row in _rows(tmp_path)}
  assert {"real/holiday/img0.JPG", "sdxl/batch1/00000.webp"} <= names


def test_hidden_files_and_non_images_are_not_read(tmp_path):
  names = {row["file_name"] for row in _rows(tmp_path)}
  assert "README.txt" not in names
  assert "real/._photo0.jpg" not in names


if __name__ == "__main__":
  tfds.testing.test_main()
