"""Builds wikiart from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.wikiart import wikiart_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = wikiart_dataset_builder.Builder
  SPLITS = {"train": 6, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
