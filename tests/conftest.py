"""Shared fixtures: a tiny two-source mix built from the builders' dummy data."""

import types
from pathlib import Path

import pytest

BUILDERS = Path(__file__).resolve().parent.parent / "tfds_builders"
TINY_SOURCES = ("faces_real", "faces_gan")


def link_dummy_sources(manual_dir: Path, names) -> Path:
  """A manual dir holding each named builder's dummy data, as ../shared/data holds sources."""
  manual_dir.mkdir(parents=True, exist_ok=True)
  for name in names:
    (manual_dir / name).symlink_to(BUILDERS / name / "dummy_data" / name)
  return manual_dir


@pytest.fixture(scope="session")
def dummy_sources():
  return link_dummy_sources


@pytest.fixture(scope="session")
def tiny_mix(tmp_path_factory):
  """A mix of faces_real vs faces_gan dummy images, built once into a temporary data dir."""
  root = tmp_path_factory.mktemp("tiny")
  manual_dir = link_dummy_sources(root / "manual", TINY_SOURCES)
  mix = root / "tiny.yaml"
  mix.write_text("description: tiny test mix\nsources:\n"
                 + "".join(f"  - name: {name}\n" for name in TINY_SOURCES)
                 + "align:\n  format: jpeg\n  quality: [70, 95]\n")
  return types.SimpleNamespace(manual_dir=str(manual_dir), data_dir=str(root / "tfds"),
                               mix=str(mix))
