"""image_folder: your own images, one folder per generator and `real/` for real ones."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """image_folder, read from its own manual directory: `<tree>/<real|generator>/`."""

  FOLDER = "."  # the manual directory is the user's tree itself
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Pass your own image tree as this builder's manual directory (`--manual_dir <tree>`; in
  a keras-detect mix, the entry's `folder: <tree>`), laid out as `<tree>/real/**` for real
  images and `<tree>/<generator_name>/**` for the images of each generator (any depth,
  any common image format: JPEG, PNG, WebP, BMP, GIF, TIFF). The folder name becomes the
  `generator` field; `real` (any case) is label real.
  """
  LAYOUT = ("class",)

  def rows(self, root):
    sources = sorted(p.name for p in root.iterdir() if (p / "manifest.csv").exists())
    if sources:
      raise base.BadSource(
          f"image_folder: {root} holds source folders with manifests ({', '.join(sources[:3])}, "
          "...), not one image tree; give image_folder a tree of its own "
          "(`<tree>/real/`, `<tree>/<generator>/`).")
    return super().rows(root)
