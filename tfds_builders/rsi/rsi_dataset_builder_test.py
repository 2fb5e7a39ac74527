"""Builds rsi from dummy_data/ (<modality>/<real|generator>/)."""

import tensorflow_datasets as tfds
from etils import epath

from tfds_builders.rsi import rsi_dataset_builder

DUMMY = epath.Path(__file__).parent / "dummy_data"


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = rsi_dataset_builder.Builder
  SPLITS = {"train": 22, "validation": 3, "test": 2}


def test_modality_leads_the_group_and_generator_keeps_its_name(tmp_path):
  builder = rsi_dataset_builder.Builder(data_dir=str(tmp_path))
  row = next(r for r in builder.rows(DUMMY / "rsi") if r["file_name"].startswith("sar/ddpm/"))
  assert builder.group_key(row, None).startswith("sar/sha256:")
  assert (row["label"], row["generator"]) == ("synthetic", "ddpm")


if __name__ == "__main__":
  tfds.testing.test_main()
