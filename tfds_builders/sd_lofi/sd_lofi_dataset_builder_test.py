"""Builds sd_lofi from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.sd_lofi import sd_lofi_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = sd_lofi_dataset_builder.Builder
  SPLITS = {"train": 14, "validation": 4, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
