"""The server's scoring: predict_lib's rows, each with the most likely generators and where
the model looked (keras_detect.explain's Grad-CAM), one request at a time.

Every model call runs on one worker thread, so requests queue instead of each holding the
model's working memory, however many clients there are."""

import asyncio
import base64
import concurrent.futures
import importlib
import logging

import numpy as np

from keras_detect import predict_lib
from tfds_builders import image_io

TOP_GENERATORS = 3

log = logging.getLogger(__name__)


class Scorer:
  """Rows for uploads: `await scorer.rows([(name, read), ...], explain)`."""

  def __init__(self, detector, limits):
    self.detector = detector
    self.limits = limits
    self._worker = concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                                         thread_name_prefix="keras-detect-score")
    # An export's Keras model loads on first use: load it now, once, not inside a request.
    self._has_keras_model = detector.keras_model is not None

  @property
  def explains(self) -> bool:
    return self._has_keras_model and _explain_module() is not None

  async def rows(self, items, explain: bool = True) -> list:
    return await asyncio.get_running_loop().run_in_executor(self._worker, self._rows, items,
                                                            explain)

  def _rows(self, items, explain: bool) -> list:
    keeping = _KeepingProbabilities(self.detector)
    rows = predict_lib.predict_payloads(keeping, items, batch_size=self.limits.batch_size,
                                        max_pixels=self.limits.max_pixels, progress=False)
    for row in rows:
      row.update(generators=[], crop=None, overlay=None)
    scored = [(row, read) for row, (_, read) in zip(rows, items) if not row["error"]]
    if len(keeping.generator_probabilities) == len(scored):
      for (row, _), probabilities in zip(scored, keeping.generator_probabilities):
        row["generators"] = self._generators(probabilities)
    if explain:
      for row, read in scored:
        row.update(self._explanation(read()))
    return rows

  def _generators(self, probabilities) -> list:
    """The most likely generators, most likely first ("real" is class 0)."""
    ranked = sorted(zip(self.detector.card.class_names[1:], probabilities[1:]),
                    key=lambda pair: -pair[1])
    return [{"name": name, "probability": float(p)} for name, p in ranked[:TOP_GENERATORS]]

  def _explanation(self, data: bytes) -> dict:
    crop = self.detector.crop(image_io.decode(data, max_pixels=self.limits.max_pixels).pixels)
    overlay = _gradcam_png(self.detector, crop)
    if overlay is None:
      return {}
    return {"crop": _data_url(image_io.encode_png(_uint8(crop))), "overlay": _data_url(overlay)}


class _KeepingProbabilities:
  """The detector, keeping the generator probabilities of each image it scores, in order.

  predict_lib scores the readable images in the order given and keeps only the top
  generator; the page lists the runners-up too, from that same scoring pass."""

  def __init__(self, detector):
    self._detector = detector
    self.generator_probabilities = []

  def __getattr__(self, name):
    return getattr(self._detector, name)

  def score(self, *args, **kwargs) -> dict:
    scores = self._detector.score(*args, **kwargs)
    self.generator_probabilities.extend(scores.get("generator_probabilities", []))
    return scores


def _gradcam_png(detector, crop: np.ndarray):
  """A PNG of the Grad-CAM overlay on the crop, or None where there can be none."""
  explain = _explain_module()
  model = detector.keras_model if explain else None
  if model is None:
    return None
  try:
    heatmap = explain.explain_crop(model, detector.card, crop, method="gradcam")
    return image_io.encode_png(np.asarray(explain.overlay(crop, heatmap), np.uint8))
  except Exception:  # pylint: disable=broad-except
    # The overlay is an aid beside the verdict: a failure loses it, never the verdict.
    log.exception("Grad-CAM failed; the row is returned without an overlay")
    return None


def _explain_module():
  try:
    return importlib.import_module("keras_detect.explain")
  except ImportError:
    return None


def _uint8(crop: np.ndarray) -> np.ndarray:
  return np.clip(np.round(crop), 0, 255).astype(np.uint8)


def _data_url(png: bytes) -> str:
  return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
