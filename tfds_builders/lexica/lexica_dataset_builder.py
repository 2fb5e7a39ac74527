"""lexica: Stable Diffusion images from the lexica.art search engine (synthetic)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """lexica, read from `<manual_dir>/lexica/` (images at any depth)."""

  HOMEPAGE = "https://lexica.art"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the Stable Diffusion images saved from https://lexica.art (the set used by the
  "AI art vs human art" detection papers, or your own download) in `<manual_dir>/lexica/`,
  flat or in sub-folders; JPEG, PNG and WebP files are read.
  """
  LABEL = "synthetic"
  GENERATOR = "stable_diffusion_lexica"
