"""TFDS builders for keras-detect: `import tfds_builders` registers every source.

Each folder is one dataset in the TFDS layout; `tfds.load("<name>",
download_and_prepare_kwargs={"download_config": tfds.download.DownloadConfig(
manual_dir="../shared/data")})` builds it from its manual directory.
"""

import importlib
from pathlib import Path

_HERE = Path(__file__).parent


def builder_names() -> list:
  """Every dataset folder in this package (each has <name>_dataset_builder.py)."""
  return sorted(p.parent.name for p in _HERE.glob("*/*_dataset_builder.py"))


for _name in builder_names():
  importlib.import_module(f"{__name__}.{_name}.{_name}_dataset_builder")
