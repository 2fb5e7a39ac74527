"""synth_gemini_nano_banana: Gemini 2.5 Flash Image / Gemini 3 Pro Image outputs (PNG)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """synth_gemini_nano_banana, read from `<manual_dir>/synth_gemini_nano_banana/`."""

  # Many files carry the Gemini app's visible sparkle logo about 30-80 px from the
  # bottom-right corner: the bottom strip is cut so no example shows it.
  CROP = (0, 0, 112, 0)
  SPLIT_BY_RANK = True

  def group_key(self, row, tile):
    return "case:" + row["case"]
