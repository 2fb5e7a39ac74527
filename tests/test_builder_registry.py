"""Every builder folder is a registered TFDS dataset with the shared spec and its files."""

from pathlib import Path

import pytest
import tensorflow_datasets as tfds

import tfds_builders
from tfds_builders import base

BUILDERS = Path(tfds_builders.__file__).parent
FOLDERS = sorted(p.name for p in BUILDERS.iterdir()
                 if p.is_dir() and not p.name.startswith(("_", ".")))
NAMES = tfds_builders.builder_names()


def test_every_folder_is_a_builder():
  assert NAMES == FOLDERS


def test_import_registers_every_builder():
  registered = set(tfds.list_builders(with_community_datasets=False))
  assert set(NAMES) <= registered


@pytest.mark.parametrize("name", NAMES)
def test_builder_uses_the_shared_feature_spec(name, tmp_path):
  builder = tfds.builder_cls(name)(data_dir=str(tmp_path))
  # FeaturesDict has no value equality; its JSON form is the whole spec.
  assert builder.info.features.to_json() == base.features().to_json()


@pytest.mark.parametrize("name", NAMES)
def test_builder_folder_has_the_required_files(name):
  folder = BUILDERS / name
  for required in (f"{name}_dataset_builder.py", f"{name}_dataset_builder_test.py",
                   "README.md", "TAGS.txt"):
    assert (folder / required).is_file(), f"{name}: {required} missing"
  dummy = folder / "dummy_data"
  assert dummy.is_dir() and any(dummy.iterdir()), f"{name}: dummy_data/ missing or empty"


@pytest.mark.parametrize("name", NAMES)
def test_manual_dir_builder_says_where_its_data_goes(name):
  cls = tfds.builder_cls(name)
  if issubclass(cls, base.ImageFolderBuilder):  # every such builder reads the manual dir
    assert cls.MANUAL_DOWNLOAD_INSTRUCTIONS and cls.MANUAL_DOWNLOAD_INSTRUCTIONS.strip()
