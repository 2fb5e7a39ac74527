"""image_folder: your own images, one folder per generator and `real/` for real ones."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """image_folder, read from the manual directory itself: `<manual_dir>/<real|generator>/`."""

  FOLDER = "."  # the manual directory is the user's root
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Pass your own image tree as the manual directory (`--manual_dir <root>`), laid out as
  `<root>/real/**` for real images and `<root>/<generator_name>/**` for the images of each
  generator (any depth, any common image format: JPEG, PNG, WebP, BMP, GIF, TIFF).
  The folder name becomes the `generator` field; `real` (any case) is label real.
  """
  LAYOUT = ("class",)
