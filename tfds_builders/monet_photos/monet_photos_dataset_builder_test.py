"""Builds monet_photos from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.monet_photos import monet_photos_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = monet_photos_dataset_builder.Builder
  SPLITS = {"train": 10, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
