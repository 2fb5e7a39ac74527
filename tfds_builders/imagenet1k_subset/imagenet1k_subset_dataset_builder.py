"""imagenet1k_subset: real ImageNet-1K photographs, the counterpart of stable_imagenet1k."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """imagenet1k_subset, read from `<manual_dir>/imagenet1k_subset/<class_id>/*.JPEG`."""

  HOMEPAGE = "https://image-net.org"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Download ILSVRC-2012 (ImageNet-1K) from https://image-net.org (or the Kaggle competition
  "imagenet-object-localization-challenge") and copy or link the class folders you use from
  its training set (`ILSVRC/Data/CLS-LOC/train/<wnid>/*.JPEG`, e.g. `n01440764/`) into
  `<manual_dir>/imagenet1k_subset/`, so that it holds `<wnid>/*.JPEG`.
  """
