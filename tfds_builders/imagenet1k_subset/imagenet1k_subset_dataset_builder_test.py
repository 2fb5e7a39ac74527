"""Builds imagenet1k_subset from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.imagenet1k_subset import imagenet1k_subset_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = imagenet1k_subset_dataset_builder.Builder
  SPLITS = {"train": 16, "validation": 1, "test": 3}


if __name__ == "__main__":
  tfds.testing.test_main()
