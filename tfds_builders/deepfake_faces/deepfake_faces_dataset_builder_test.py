"""Builds deepfake_faces from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.deepfake_faces import deepfake_faces_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = deepfake_faces_dataset_builder.Builder
  SPLITS = {"train": 10, "validation": 4, "test": 4}


if __name__ == "__main__":
  tfds.testing.test_main()
