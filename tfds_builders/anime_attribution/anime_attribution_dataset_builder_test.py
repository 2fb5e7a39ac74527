"""Builds anime_attribution from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.anime_attribution import anime_attribution_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = anime_attribution_dataset_builder.Builder
  SPLITS = {"train": 20, "validation": 3, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
