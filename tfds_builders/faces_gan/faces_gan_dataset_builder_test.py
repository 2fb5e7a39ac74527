"""Builds faces_gan from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.faces_gan import faces_gan_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = faces_gan_dataset_builder.Builder
  SPLITS = {"train": 29, "validation": 5, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
