"""imagenette_real: real photographs (Imagenette, 10 easy ImageNet classes)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """imagenette_real, read from `<manual_dir>/imagenette_real/`."""
