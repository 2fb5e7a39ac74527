"""wikiart: wikiart."""

from tfds_builders import base


class Builder(base.ImageFolderBuilder):
  """wikiart, read from `<manual_dir>/wikiart/`."""

  # 8 px per side removes the thin dark edge line (1-2 px pad plus JPEG ringing) of
  # most files; 8 keeps the crop on the JPEG block grid, so no new blocking artefact.
  CROP = (8, 8, 8, 8)
