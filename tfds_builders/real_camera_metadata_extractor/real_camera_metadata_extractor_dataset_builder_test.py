"""Builds real_camera_metadata_extractor from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.real_camera_metadata_extractor import real_camera_metadata_extractor_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = real_camera_metadata_extractor_dataset_builder.Builder
  SPLITS = {"train": 8, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
