"""gan_monet_unknown: Monet-style GAN outputs, architecture undocumented (extra source)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """gan_monet_unknown, read from `<manual_dir>/gan_monet_unknown/`."""
