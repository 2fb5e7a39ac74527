"""Builds dalle_gallery from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.dalle_gallery import dalle_gallery_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = dalle_gallery_dataset_builder.Builder
  SPLITS = {"train": 15, "validation": 3, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
