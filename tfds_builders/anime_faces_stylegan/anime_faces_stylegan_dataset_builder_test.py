"""Builds anime_faces_stylegan from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.anime_faces_stylegan import anime_faces_stylegan_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = anime_faces_stylegan_dataset_builder.Builder
  SPLITS = {"train": 27, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
