"""Atomic writes: every file lands complete or not at all, even when the process is killed.

A file is written to a temporary name in its own folder and renamed over the target
(`os.replace` is atomic within one file system), so a reader never sees a torn file.
"""

import contextlib
import json
import os
import secrets


@contextlib.contextmanager
def atomic_write(path):
  """Yields a temporary path beside `path`; renames it to `path` when the block succeeds.

  The temporary name ends with the target's name, so tools that choose a format by the
  extension (Keras `.keras` / `.weights.h5`, matplotlib `.png`) treat it alike. A block
  that writes nothing leaves `path` as it was; one that raises leaves no temporary file.
  """
  path = os.fspath(path)
  folder, name = os.path.split(path)
  temp = os.path.join(folder, f".tmp-{secrets.token_hex(4)}-{name}")
  try:
    yield temp
  except BaseException:
    _remove(temp)
    raise
  if os.path.exists(temp):
    os.replace(temp, path)


def write_text(path, text: str) -> str:
  with atomic_write(path) as temp:
    with open(temp, "w") as f:
      f.write(text)
  return os.fspath(path)


def write_json(path, values) -> str:
  """JSON with numpy scalars as plain numbers."""
  return write_text(path, json.dumps(values, indent=1, default=lambda v: v.item()))


def _remove(path: str) -> None:
  with contextlib.suppress(FileNotFoundError):
    os.remove(path)
