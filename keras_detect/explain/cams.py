"""Class activation maps over the registry's last conv layer.

Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM and Faster Score-CAM are tf-keras-vis (0.8.7,
which runs on Keras 3 models as they are); EigenCAM, which it lacks, is the first principal
component of the layer's activations. Every function takes a `targets.Target` and one crop
[S, S, 3] (0..255) and returns an unnormalised map [S, S].

Where global average pooling follows the layer (every detector head here), the gradient
is constant over positions, so Grad-CAM++ (its α normalised over positions, as
tf-keras-vis computes it) gives the same map as LayerCAM.
"""

import contextlib

import keras
import numpy as np
from scipy import ndimage
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.layercam import Layercam
from tf_keras_vis.scorecam import Scorecam

from keras_detect.explain import targets

FASTER_SCORECAM_MAPS = 10  # max_N: the channels of largest variance (the method's default)


def gradcam(target, crop, **_):
  return _gradient_cam(Gradcam, "gradcam", target, crop)


def gradcam_plus_plus(target, crop, **_):
  return _gradient_cam(GradcamPlusPlus, "gradcam++", target, crop)


def layercam(target, crop, **_):
  return _gradient_cam(Layercam, "layercam", target, crop)


def scorecam(target, crop, batch_size=32, **_):
  return _scorecam(target, crop, "scorecam", batch_size=batch_size)


def faster_scorecam(target, crop, max_n=FASTER_SCORECAM_MAPS, batch_size=32, **_):
  return _scorecam(target, crop, "fasterscorecam", max_N=max_n, batch_size=batch_size)


def eigencam(target, crop, **_):
  """EigenCAM (Muhammad & Yeasin, 2020): activations projected on their first principal
  component. Class-agnostic: it shows what the layer responds to, not why the score."""
  layer = targets.conv_layer(target, "eigencam")
  features = keras.Model(target.model.inputs, target.model.get_layer(layer).output)
  activations = np.asarray(features([crop[None]], training=False)[0], np.float64)
  return _upsample(first_component_map(activations), crop.shape[:2])


def first_component_map(activations: np.ndarray) -> np.ndarray:
  """[h, w, c] → [h, w]: each position's score on the first principal component of the
  c-dimensional activation vectors (centred over positions). The component's sign is
  arbitrary; it is chosen so the map correlates positively with the mean activation."""
  h, w, c = activations.shape
  vectors = activations.reshape(h * w, c)
  centred = vectors - vectors.mean(axis=0)
  if not np.any(centred):
    return np.zeros((h, w))
  _, _, components = np.linalg.svd(centred, full_matrices=False)
  projection = centred @ components[0]
  if np.dot(projection, vectors.mean(axis=1) - vectors.mean()) < 0:
    projection = -projection
  return projection.reshape(h, w)


def _gradient_cam(visualizer, method, target, crop):
  layer = targets.conv_layer(target, method)
  cam = visualizer(target.model, clone=False)(
      targets.score_function(target), [crop[None]], penultimate_layer=layer,
      seek_penultimate_conv_layer=False, normalize_cam=False)
  return cam[0][0]


def _scorecam(target, crop, method, **options):
  layer = targets.conv_layer(target, method)
  with _quiet_predict():  # Score-CAM calls model.predict once per image, with a progress bar
    cam = Scorecam(target.model, clone=False)(
        targets.score_function(target), [crop[None]], penultimate_layer=layer,
        seek_penultimate_conv_layer=False, normalize_cam=False, **options)
  return cam[0][0]


@contextlib.contextmanager
def _quiet_predict():
  enabled = keras.config.is_interactive_logging_enabled()
  keras.config.disable_interactive_logging()
  try:
    yield
  finally:
    if enabled:
      keras.config.enable_interactive_logging()


def _upsample(values: np.ndarray, size) -> np.ndarray:
  """Bilinear, as tf-keras-vis sizes its CAMs."""
  factors = [t / f for f, t in zip(values.shape, size)]
  return ndimage.zoom(values, factors, order=1)
