"""artbench10: human artworks in 10 styles (ArtBench-10, 256×256 ImageFolder release)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """artbench10, read from `<manual_dir>/artbench10/artbench-10-imagefolder-split/`."""

  FOLDER = "artbench10/artbench-10-imagefolder-split"
  HOMEPAGE = "https://github.com/liaopeiyuan/artbench"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Download the 256x256 ImageFolder release of ArtBench-10, `artbench-10-imagefolder-split.tar`
  (linked as "256x256 a-la-ImageFolder" from https://github.com/liaopeiyuan/artbench), and
  extract it inside `<manual_dir>/artbench10/`, so that it holds
  `artbench-10-imagefolder-split/train/<style>/*.jpg` and
  `artbench-10-imagefolder-split/test/<style>/*.jpg` (styles such as `impressionism`, `ukiyo_e`).
  """
  # The style folders are below the split; every image is real whatever its style.
  LAYOUT = ("split",)
