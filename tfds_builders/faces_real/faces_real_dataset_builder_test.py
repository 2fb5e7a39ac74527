"""Builds faces_real from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.faces_real import faces_real_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = faces_real_dataset_builder.Builder
  SPLITS = {"train": 42, "validation": 7, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
