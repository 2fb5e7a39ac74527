"""stable_imagenet1k: Stable Diffusion 1.4 images of the 1000 ImageNet classes (synthetic)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """stable_imagenet1k, read from `<manual_dir>/stable_imagenet1k/<class_id>/*.jpg`."""

  HOMEPAGE = "https://www.kaggle.com/datasets/vitaliykinakh/stable-imagenet1k"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Download the Kaggle dataset "Stable ImageNet-1K"
  (https://www.kaggle.com/datasets/vitaliykinakh/stable-imagenet1k) and unzip it into
  `<manual_dir>/stable_imagenet1k/`, keeping one folder per class
  (`<class_id>/*.jpg`, at any depth).
  """
  LABEL = "synthetic"
  GENERATOR = "stable_diffusion_1_4"
