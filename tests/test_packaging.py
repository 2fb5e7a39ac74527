"""A non-editable install carries what the code reads at run time: the mixes and builder files."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import tfds_builders
from keras_detect import data

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
  out = tmp_path_factory.mktemp("wheel")
  subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
                 check=True)
  (wheel,) = out.glob("keras_detect-*.whl")
  return set(zipfile.ZipFile(wheel).namelist())


@pytest.mark.slow
def test_the_wheel_ships_every_mix(wheel_names):
  shipped = {f"keras_detect/mixes/{name}.yaml" for name in data.list_mixes()}
  assert shipped and shipped <= wheel_names
  assert "keras_detect/mixes/README.md" in wheel_names


@pytest.mark.slow
def test_the_wheel_ships_every_builder_with_its_readme(wheel_names):
  for name in tfds_builders.builder_names():
    assert f"tfds_builders/{name}/{name}_dataset_builder.py" in wheel_names
    assert f"tfds_builders/{name}/README.md" in wheel_names
