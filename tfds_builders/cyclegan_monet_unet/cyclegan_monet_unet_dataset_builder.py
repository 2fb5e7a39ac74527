"""cyclegan_monet_unet: photos translated to Monet style by a CycleGAN with a (small) U-Net generator."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """cyclegan_monet_unet, read from `<manual_dir>/cyclegan_monet_unet/`."""

  def group_key(self, row, tile):
    return base.photo_group(row["source_photo"])
