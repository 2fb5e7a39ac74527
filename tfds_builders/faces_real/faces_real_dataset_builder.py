"""faces_real: FFHQ photographs (256×256 JPEG, from the "140k Real and Fake Faces" real side)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """faces_real, read from `<manual_dir>/faces_real/`."""
