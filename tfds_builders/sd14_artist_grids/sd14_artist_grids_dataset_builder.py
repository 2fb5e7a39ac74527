"""sd14_artist_grids: sd14_artist_grids."""

from tfds_builders import base


class Builder(base.GridImageBuilder):
  """sd14_artist_grids, read from `<manual_dir>/sd14_artist_grids/`."""
