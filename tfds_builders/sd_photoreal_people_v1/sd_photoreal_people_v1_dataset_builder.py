"""sd_photoreal_people_v1: Stable Diffusion v1.5 "a photo of a person" (synthetic)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """sd_photoreal_people_v1, read from `<manual_dir>/sd_photoreal_people_v1/`."""
