"""dalle_gallery: DALL·E 2 images from OpenAI's public gallery (synthetic)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """dalle_gallery, read from `<manual_dir>/dalle_gallery/` (images at any depth)."""

  HOMEPAGE = "https://openai.com/dall-e-2"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the DALL·E 2 images saved from OpenAI's public DALL·E gallery (the set used by the
  "AI art vs human art" detection papers) in `<manual_dir>/dalle_gallery/`, flat or in
  sub-folders; JPEG, PNG and WebP files are read.
  """
  LABEL = "synthetic"
  GENERATOR = "dalle2"
