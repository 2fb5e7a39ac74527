"""imagewoof_real: real photographs (Imagewoof, 10 dog breeds)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """imagewoof_real, read from `<manual_dir>/imagewoof_real/`."""
