"""synthetic_faces: StyleGAN faces ("1 Million Fake Faces", 1024×1024, synthetic)."""

from tfds_builders import base


class Builder(base.ClassFolderBuilder):
  """synthetic_faces, read from `<manual_dir>/synthetic_faces/` (images at any depth)."""

  HOMEPAGE = "https://www.kaggle.com/datasets/tunguz/1-million-fake-faces"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Download the Kaggle dataset "1 Million Fake Faces"
  (https://www.kaggle.com/datasets/tunguz/1-million-fake-faces) and unzip all or some of
  its parts into `<manual_dir>/synthetic_faces/`, keeping their folders (e.g.
  `1m_faces_00_01_02_03/1m_faces_00/*.jpg`); any other StyleGAN face folder works too.
  """
  LABEL = "synthetic"
  GENERATOR = "stylegan_ffhq"
