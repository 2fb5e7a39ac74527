"""sd_photoreal_landscape_v2: Stable Diffusion 2.1-base landscapes (synthetic)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """sd_photoreal_landscape_v2, read from `<manual_dir>/sd_photoreal_landscape_v2/`."""
