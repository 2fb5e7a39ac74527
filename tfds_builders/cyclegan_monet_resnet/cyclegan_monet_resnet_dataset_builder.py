"""cyclegan_monet_resnet: photos translated to Monet style by a CycleGAN with a ResNet generator (6 blocks)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """cyclegan_monet_resnet, read from `<manual_dir>/cyclegan_monet_resnet/`."""

  def group_key(self, row, tile):
    return base.photo_group(row["source_photo"])
