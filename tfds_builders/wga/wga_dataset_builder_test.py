"""Builds wga from dummy_data/ (flat JPEGs and a catalog.csv)."""

import tensorflow_datasets as tfds
from etils import epath

from tfds_builders.wga import wga_dataset_builder

DUMMY = epath.Path(__file__).parent / "dummy_data"


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  DATASET_CLASS = wga_dataset_builder.Builder
  # 20 images; the catalog lists one as a sculpture.
  SPLITS = {"train": 16, "validation": 2, "test": 1}


def test_catalog_leaves_out_works_that_are_not_paintings(tmp_path):
  rows = wga_dataset_builder.Builder(data_dir=str(tmp_path)).rows(DUMMY / "wga")
  names = {row["file_name"] for row in rows}
  assert "bust.jpg" not in names
  assert "allegory.jpg" in names


def test_catalog_forms_read_semicolon_separated_cp1252():
  text = "AUTHOR;URL;FORM\nDürer;https://www.wga.hu/html/d/durer/1/self.html;painting\n"
  assert wga_dataset_builder.catalog_forms(text.encode("cp1252")) == {"self": {"painting"}}


if __name__ == "__main__":
  tfds.testing.test_main()
