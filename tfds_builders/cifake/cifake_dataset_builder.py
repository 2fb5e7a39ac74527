"""cifake: CIFAR-10 photographs and their Stable Diffusion 1.4 counterparts (32×32, CIFAKE)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """cifake, read from `<manual_dir>/cifake/{train,test}/{REAL,FAKE}/`."""

  HOMEPAGE = "https://www.kaggle.com/datasets/birdy654/cifake-real-and-ai-generated-synthetic-images"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Download the Kaggle dataset "CIFAKE: Real and AI-Generated Synthetic Images"
  (https://www.kaggle.com/datasets/birdy654/cifake-real-and-ai-generated-synthetic-images,
  e.g. `kaggle datasets download birdy654/cifake-real-and-ai-generated-synthetic-images`)
  and unzip it into `<manual_dir>/cifake/`, so that it holds `train/REAL/`, `train/FAKE/`,
  `test/REAL/` and `test/FAKE/`.
  """
  LAYOUT = ("split", "class")
  CLASSES = {"REAL": "", "FAKE": "stable_diffusion_1_4"}
