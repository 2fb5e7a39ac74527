"""real_camera_metadata_extractor: camera-original JPEG photographs with EXIF (many camera makes)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """real_camera_metadata_extractor, read from `<manual_dir>/real_camera_metadata_extractor/`."""

  # One or two files per camera model: a camera's files share a split, and with few
  # groups the splits go by rank so each holds some cameras.
  SPLIT_BY_RANK = True

  def group_key(self, row, tile):
    return "camera:" + self.camera(row)
