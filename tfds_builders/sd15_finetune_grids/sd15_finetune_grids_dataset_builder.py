"""sd15_finetune_grids: sd15_finetune_grids."""

from tfds_builders import base


class Builder(base.GridImageBuilder):
  """sd15_finetune_grids, read from `<manual_dir>/sd15_finetune_grids/`."""
