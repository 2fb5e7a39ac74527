"""Builds artbench10 from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.artbench10 import artbench10_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = artbench10_dataset_builder.Builder
  SPLITS = {"train": 17, "validation": 1, "test": 6}


if __name__ == "__main__":
  tfds.testing.test_main()
