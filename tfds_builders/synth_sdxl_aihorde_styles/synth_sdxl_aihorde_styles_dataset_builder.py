"""synth_sdxl_aihorde_styles: SDXL-family images (AlbedoBase XL, SDXL 1.0, ICBINP XL), lossy WebP."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """synth_sdxl_aihorde_styles, read from `<manual_dir>/synth_sdxl_aihorde_styles/`."""

  # Every style renders the same three subjects with one seed: a style is one group, so
  # test holds unseen styles; few groups, so splits go by rank.
  SPLIT_BY_RANK = True

  def group_key(self, row, tile):
    return "style:" + row["style"]
