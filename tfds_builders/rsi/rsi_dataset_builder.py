"""rsi: real and generated remote-sensing images, by imaging modality and generator."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """rsi, read from `<manual_dir>/rsi/<modality>/<real|generator>/`."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the remote-sensing detection images in `<manual_dir>/rsi/` as
  `<modality>/<real|generator>/*`: one folder per imaging modality (e.g. `optical/`,
  `sar/`, `infrared/`), and in it `real/` for real images and one folder per generator,
  named after it (e.g. `stylegan2/`, `ddpm/`). Images may sit in sub-folders. Rearrange a
  release with another layout into this one (moving or linking its folders).
  """
  LAYOUT = ("modality", "class")

  def group_key(self, row, tile):
    # The modality leads the group so results can be broken down by it; `source` stays
    # the builder name, which mixes and evaluation match on.
    return row["modality"] + "/" + super().group_key(row, tile)
