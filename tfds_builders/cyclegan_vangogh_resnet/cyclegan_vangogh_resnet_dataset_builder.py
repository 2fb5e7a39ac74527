"""cyclegan_vangogh_resnet: photo->Van Gogh CycleGAN (resnet_9blocks) with the matching real input photos (extra source)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """cyclegan_vangogh_resnet, read from `<manual_dir>/cyclegan_vangogh_resnet/`."""

  def group_key(self, row, tile):
    return "vangogh_pair:" + row["pair_id"]
