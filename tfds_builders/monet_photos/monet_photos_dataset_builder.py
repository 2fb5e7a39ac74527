"""monet_photos: real landscape photographs (Kaggle "I'm Something of a Painter Myself")."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """monet_photos, read from `<manual_dir>/monet_photos/`."""

  def group_key(self, row, tile):
    # The CycleGAN Monet fakes name this photo; both land in the same split.
    return base.photo_group(row["file_name"].rsplit("/", 1)[-1])
