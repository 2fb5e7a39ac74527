"""Builds synth_sd35_large_artists from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.synth_sd35_large_artists import synth_sd35_large_artists_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = synth_sd35_large_artists_dataset_builder.Builder
  SPLITS = {"train": 8, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
