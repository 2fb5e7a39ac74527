"""Builds coco_real from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.coco_real import coco_real_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = coco_real_dataset_builder.Builder
  SPLITS = {"train": 7, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
