"""anime_faces_human: human-drawn anime character faces (getchu face crops, 64x64)."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """anime_faces_human, read from `<manual_dir>/anime_faces_human/`."""
