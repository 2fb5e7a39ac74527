"""Builds anime_faces_dcgan from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.anime_faces_dcgan import anime_faces_dcgan_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = anime_faces_dcgan_dataset_builder.Builder
  SPLITS = {"train": 104, "validation": 12, "test": 12}


if __name__ == "__main__":
  tfds.testing.test_main()
