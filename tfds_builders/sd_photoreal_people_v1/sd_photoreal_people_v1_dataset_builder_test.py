"""Builds sd_photoreal_people_v1 from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.sd_photoreal_people_v1 import sd_photoreal_people_v1_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = sd_photoreal_people_v1_dataset_builder.Builder
  SPLITS = {"train": 23, "validation": 4, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
