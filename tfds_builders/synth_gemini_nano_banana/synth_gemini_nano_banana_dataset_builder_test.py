"""Builds synth_gemini_nano_banana from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.synth_gemini_nano_banana import synth_gemini_nano_banana_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = synth_gemini_nano_banana_dataset_builder.Builder
  SPLITS = {"train": 8, "validation": 1, "test": 1}


if __name__ == "__main__":
  tfds.testing.test_main()
