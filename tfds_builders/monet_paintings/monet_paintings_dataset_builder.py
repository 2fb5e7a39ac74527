"""monet_paintings: Claude Monet paintings (Kaggle "I'm Something of a Painter Myself")."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """monet_paintings, read from `<manual_dir>/monet_paintings/`."""
