"""Builds anime_faces_human from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.anime_faces_human import anime_faces_human_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = anime_faces_human_dataset_builder.Builder
  SPLITS = {"train": 5, "validation": 1, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
