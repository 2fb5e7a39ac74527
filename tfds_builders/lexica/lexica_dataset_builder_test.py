"""Builds lexica from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.lexica import lexica_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = lexica_dataset_builder.Builder
  SPLITS = {"train": 13, "validation": 3, "test": 4}


if __name__ == "__main__":
  tfds.testing.test_main()
