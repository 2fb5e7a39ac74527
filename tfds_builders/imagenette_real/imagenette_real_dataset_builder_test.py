"""Builds imagenette_real from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.imagenette_real import imagenette_real_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = imagenette_real_dataset_builder.Builder
  SPLITS = {"train": 16, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
