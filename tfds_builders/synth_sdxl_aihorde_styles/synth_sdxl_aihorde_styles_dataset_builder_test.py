"""Builds synth_sdxl_aihorde_styles from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.synth_sdxl_aihorde_styles import synth_sdxl_aihorde_styles_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = synth_sdxl_aihorde_styles_dataset_builder.Builder
  SPLITS = {"train": 6, "validation": 2, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
