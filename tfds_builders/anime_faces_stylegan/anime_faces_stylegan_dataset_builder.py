"""anime_faces_stylegan: GAN-generated anime faces (StyleGAN, 64x64 and 256x256)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """anime_faces_stylegan, read from `<manual_dir>/anime_faces_stylegan/`."""
