"""Builds cyclegan_monet_unet from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.cyclegan_monet_unet import cyclegan_monet_unet_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = cyclegan_monet_unet_dataset_builder.Builder
  SPLITS = {"train": 10, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
