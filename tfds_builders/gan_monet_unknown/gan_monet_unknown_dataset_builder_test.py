"""Builds gan_monet_unknown from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.gan_monet_unknown import gan_monet_unknown_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = gan_monet_unknown_dataset_builder.Builder
  SPLITS = {"train": 5, "validation": 1, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
