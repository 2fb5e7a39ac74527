"""Builds sd14_artist_grids from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.sd14_artist_grids import sd14_artist_grids_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = sd14_artist_grids_dataset_builder.Builder
  SPLITS = {"train": 96, "validation": 16, "test": 16}


if __name__ == "__main__":
  tfds.testing.test_main()
