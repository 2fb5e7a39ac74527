"""Builds monet_paintings from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.monet_paintings import monet_paintings_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = monet_paintings_dataset_builder.Builder
  SPLITS = {"train": 12, "validation": 1, "test": 3}


if __name__ == "__main__":
  tfds.testing.test_main()
