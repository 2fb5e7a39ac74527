"""anime_attribution: human-drawn anime images and four anime diffusion models (attribution)."""

from tfds_builders import base

GENERATORS = ("classic-anim-diffusion", "mo-di-diffusion", "novelai", "waifu-diffusion")


class Builder(base.ClassFolderBuilder):
  """anime_attribution, read from `<manual_dir>/anime_attribution/<class>/`."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the anime attribution images (the collection of the generator-attribution papers) in
  `<manual_dir>/anime_attribution/`, one folder per class: `human/` (drawn by people) and
  `classic-anim-diffusion/`, `mo-di-diffusion/`, `novelai/`, `waifu-diffusion/` (one per
  generator). Images may sit in sub-folders; other folders are left out with a warning.
  """
  LAYOUT = ("class",)
  CLASSES = {"human": "", **{name: name for name in GENERATORS}}
