"""anime_faces_dcgan: DCGAN anime faces, per-epoch sample grids (8x8 tiles of 64x64)."""

from tfds_builders import base


class Builder(base.GridImageBuilder):
  """anime_faces_dcgan, read from `<manual_dir>/anime_faces_dcgan/`."""

  def group_key(self, row, tile):
    # Every grid shows the same 64 latents, so a tile position is one group.
    return "dcgan_tile:" + tile
