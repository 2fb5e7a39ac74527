"""synth_gpt4o_awesome_images: GPT-4o / Sora images, stored by their gallery as 8-bit palette PNGs."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """synth_gpt4o_awesome_images, read from `<manual_dir>/synth_gpt4o_awesome_images/`."""

  # A case's images stay together; few cases, so splits go by rank. The files were
  # colour-quantised to 256-colour palettes by the gallery, not by the generator: the
  # palette is decoded to RGB here, and mixes say how they keep the banding from
  # becoming a shortcut.
  SPLIT_BY_RANK = True

  def group_key(self, row, tile):
    return "case:" + row["case"]
