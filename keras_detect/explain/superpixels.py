"""LIME (`lime.lime_image`): which superpixels raise and which lower the explained
probability, from a local linear model fitted on randomly hidden superpixels.

The map is signed: each superpixel carries its LIME weight, scaled so that 0.5 is no
effect, above 0.5 raises and below lowers the probability (see `SIGNED` in the package).
"""

import contextlib
import io

import numpy as np
from lime import lime_image
from skimage.segmentation import quickshift


LIME_SAMPLES = 200  # LIME's own default is 1000; 200 keeps one image to seconds on a CPU
LIME_BATCH = 50


def lime(target, crop, samples=LIME_SAMPLES, seed=0, **_):
  """Signed LIME weights per superpixel, [S, S] in [0, 1] with 0.5 neutral."""
  weights, segments = lime_weights(target, crop, samples=samples, seed=seed)
  signed = weights[segments]
  scale = np.abs(signed).max()
  return 0.5 + 0.5 * signed / scale if scale > 0 else np.full(signed.shape, 0.5)


def lime_weights(target, crop, samples=LIME_SAMPLES, seed=0):
  """(weight per superpixel [n], superpixel of each pixel [S, S])."""
  def probabilities(images):
    logits = target.model([images.astype(np.float32)], training=False)
    return np.asarray(_softmax(np.asarray(logits, np.float64)))

  explainer = lime_image.LimeImageExplainer(random_state=seed)
  with contextlib.redirect_stderr(io.StringIO()):  # lime draws a tqdm bar per image
    explanation = explainer.explain_instance(
        crop.astype(np.float64), probabilities, labels=(target.index,), top_labels=None,
        num_samples=samples, batch_size=LIME_BATCH, segmentation_fn=segment,
        random_seed=seed)
  weights = np.zeros(explanation.segments.max() + 1)
  for segment_id, weight in explanation.local_exp[target.index]:
    weights[segment_id] = weight
  return weights, explanation.segments


def segment(image: np.ndarray) -> np.ndarray:
  """LIME's default quickshift, on 0..1 values: what it does for uint8 images, which
  scikit-image scales so; the crops here are float 0..255."""
  return quickshift(image / 255.0, kernel_size=4, max_dist=200, ratio=0.2)


def _softmax(logits: np.ndarray) -> np.ndarray:
  shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
  return shifted / shifted.sum(axis=-1, keepdims=True)
