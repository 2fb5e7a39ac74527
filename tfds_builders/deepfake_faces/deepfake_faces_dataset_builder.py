"""deepfake_faces: FFHQ photographs and StyleGAN faces ("140k Real and Fake Faces", 256×256)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """deepfake_faces, read from `<manual_dir>/deepfake_faces/real_vs_fake/real-vs-fake/`."""

  FOLDER = "deepfake_faces/real_vs_fake/real-vs-fake"
  HOMEPAGE = "https://www.kaggle.com/datasets/xhlulu/140k-real-and-fake-faces"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Download the Kaggle dataset "140k Real and Fake Faces"
  (https://www.kaggle.com/datasets/xhlulu/140k-real-and-fake-faces, e.g.
  `kaggle datasets download xhlulu/140k-real-and-fake-faces`) and unzip it into
  `<manual_dir>/deepfake_faces/`, so that it holds
  `real_vs_fake/real-vs-fake/{train,valid,test}/{real,fake}/*.jpg`.
  """
  LAYOUT = ("split", "class")
  CLASSES = {"real": "", "fake": "stylegan_ffhq"}
