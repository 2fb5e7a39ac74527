"""faces_gan: StyleGAN faces (256×256 JPEG, from the "140k Real and Fake Faces" fake side)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """faces_gan, read from `<manual_dir>/faces_gan/`."""
