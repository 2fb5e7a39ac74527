"""Builds cifake from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds
from etils import epath

from tfds_builders.cifake import cifake_dataset_builder

DUMMY = epath.Path(__file__).parent / "dummy_data"


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = cifake_dataset_builder.Builder
  # Official train: 20 images, one copy of a test image (moved to test), one corrupt file.
  SPLITS = {"train": 19, "validation": 1, "test": 7}


def test_copy_of_a_test_image_in_train_goes_to_test(tmp_path):
  builder = cifake_dataset_builder.Builder(data_dir=str(tmp_path))
  splits = {row["file_name"]: builder.split_of(row, None)
            for row in builder.rows(DUMMY / "cifake")}
  assert splits["train/REAL/duplicate.jpg"] == "test"
  assert splits["test/REAL/0.jpg"] == "test"


def test_corrupt_file_is_skipped_and_counted(tmp_path):
  builder = cifake_dataset_builder.Builder(data_dir=str(tmp_path))
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=str(DUMMY)))
  assert sum(builder.info.metadata["skipped"]["train"].values()) == 1
  assert builder.info.splits["train"].num_examples == 19


if __name__ == "__main__":
  tfds.testing.test_main()
