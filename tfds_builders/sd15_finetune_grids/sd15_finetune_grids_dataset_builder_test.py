"""Builds sd15_finetune_grids from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.sd15_finetune_grids import sd15_finetune_grids_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = sd15_finetune_grids_dataset_builder.Builder
  SPLITS = {"train": 48, "validation": 4, "test": 4}


if __name__ == "__main__":
  tfds.testing.test_main()
