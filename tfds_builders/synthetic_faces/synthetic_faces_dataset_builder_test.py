"""Builds synthetic_faces from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.synthetic_faces import synthetic_faces_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = synthetic_faces_dataset_builder.Builder
  SPLITS = {"train": 14, "validation": 2, "test": 4}


if __name__ == "__main__":
  tfds.testing.test_main()
