"""synth_sd35_large_artists: Stable Diffusion 3.5 Large "artist style" images (ComfyUI PNG, 1024 px)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """synth_sd35_large_artists, read from `<manual_dir>/synth_sd35_large_artists/`."""

  SPLIT_BY_RANK = True  # 20 files: every split gets some
