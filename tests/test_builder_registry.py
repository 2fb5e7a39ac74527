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


def is_class_folder(name) -> bool:
  return issubclass(tfds.builder_cls(name), base.ClassFolderBuilder)


def what_a_user_reads(name, tmp_path) -> tuple:
  """(text, folder): the error a build without the source's folder raises, and the folder it
  names; a builder that reads the manual directory itself has only its instructions."""
  cls = tfds.builder_cls(name)
  if cls.FOLDER == ".":
    return " ".join(cls.MANUAL_DOWNLOAD_INSTRUCTIONS.split()), "manual directory"
  manual = tmp_path / "manual"
  (manual / "some_other_source").mkdir(parents=True)  # TFDS refuses an empty manual dir
  builder = cls(data_dir=str(tmp_path / "tfds"))
  with pytest.raises(base.MissingManualDir) as error:
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))
  return str(error.value), str(manual / (cls.FOLDER or name))


@pytest.mark.parametrize("name", [n for n in NAMES if not is_class_folder(n)])
def test_missing_folder_error_names_the_folder_and_its_manifest(name, tmp_path):
  text, folder = what_a_user_reads(name, tmp_path)
  assert folder in text and "manifest.csv" in text, text


def layout_words(cls) -> list:
  """What a user must be told to lay out: split folders, each class folder, other levels."""
  words = []
  for level in cls.LAYOUT:
    if level == "split":
      words.append("train")
    elif level == "class":
      words += list(cls.CLASSES) if cls.CLASSES is not None else [cls.REAL_FOLDER]
    else:
      words.append(level)
  return words


@pytest.mark.parametrize("name", [n for n in NAMES if is_class_folder(n)])
def test_missing_folder_error_names_the_folder_and_its_layout(name, tmp_path):
  cls = tfds.builder_cls(name)
  text, folder = what_a_user_reads(name, tmp_path)
  assert folder in text, text
  missing = [word for word in layout_words(cls) if word not in text]
  assert not missing, f"{name}: the instructions do not name {missing}: {text}"
  # No manifest is read, so none may be asked for.
  assert "manifest.csv" not in text, text
