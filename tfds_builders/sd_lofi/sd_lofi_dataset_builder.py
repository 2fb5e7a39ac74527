"""sd_lofi: Stable Diffusion images in the "LoFi" style (synthetic)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """sd_lofi, read from `<manual_dir>/sd_lofi/` (images at any depth)."""

  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the Stable Diffusion "LoFi" images (the set used by the "AI art vs human art"
  detection papers) in `<manual_dir>/sd_lofi/`, flat or in sub-folders; JPEG, PNG and
  WebP files are read.
  """
  LABEL = "synthetic"
  GENERATOR = "stable_diffusion_lofi"
