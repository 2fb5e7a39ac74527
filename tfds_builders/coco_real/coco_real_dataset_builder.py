"""coco_real: real photographs (COCO 2017, Flickr)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """coco_real, read from `<manual_dir>/coco_real/`."""
