"""Builds cyclegan_vangogh_resnet from dummy_data/ (same layout as the real folder)."""

import tensorflow_datasets as tfds

from tfds_builders.cyclegan_vangogh_resnet import cyclegan_vangogh_resnet_dataset_builder


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = cyclegan_vangogh_resnet_dataset_builder.Builder
  SPLITS = {"train": 10, "validation": 8, "test": 2}


if __name__ == "__main__":
  tfds.testing.test_main()
