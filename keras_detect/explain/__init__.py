"""Why a detector says what it says: heat maps over one model-input crop.

    from keras_detect import explain, inference
    detector = inference.load_detector("runs/gan_monet-mobilenet")
    crop = detector.crop(pixels)  # uint8 [H, W, 3] → float32 [S, S, 3], as evaluation sizes it
    heatmap = explain.explain_crop(detector.keras_model, detector.card, crop, "gradcam")
    picture = explain.overlay(crop, heatmap)  # uint8 [S, S, 3]

`METHODS` maps a name to `method(target, crop, **options) -> map [S, S]`. A binary detector
is explained for its synthetic score, an attribution detector for its predicted class,
always on logits (see `targets`). CAM methods need the registry's `last_conv_layer`; on a
model without one they raise a UserError, while the gradient methods and LIME still run.
"""

import matplotlib
import numpy as np

from keras_detect.errors import UserError
from keras_detect.explain import cams, gradients, superpixels, targets

METHODS = {
    "gradcam": cams.gradcam,
    "gradcam++": cams.gradcam_plus_plus,
    "scorecam": cams.scorecam,
    "fasterscorecam": cams.faster_scorecam,
    "layercam": cams.layercam,
    "eigencam": cams.eigencam,
    "saliency": gradients.saliency,
    "smoothgrad": gradients.smoothgrad,
    "guided_positive": gradients.guided_positive,
    "guided_negative": gradients.guided_negative,
    "lime": superpixels.lime,
}
CAM_METHODS = ("gradcam", "gradcam++", "scorecam", "fasterscorecam", "layercam", "eigencam")
# Maps where 0.5 means "no effect", above raises and below lowers the probability.
SIGNED = ("lime",)
COLORMAP = "jet"
SIGNED_COLORMAP = "coolwarm"
OPACITY = 0.45


def explain_crop(model, card, crop: np.ndarray, method: str = "gradcam", index=None,
                 **options) -> np.ndarray:
  """Heat map float32 [S, S] in [0, 1] of `method` for one crop [S, S, 3] (0..255).

  `card`: the detector's ModelCard (task, class names, backbone). `index` fixes the
  explained logit (binary: 1, synthetic; attribution: a class), else the prediction's.
  `options` go to the method (e.g. samples=500 for lime or smoothgrad, max_n for
  fasterscorecam)."""
  explain = method_named(method)
  target = targets.target_for(model, card, np.asarray(crop, np.float32), index=index)
  heatmap = explain(target, np.asarray(crop, np.float32), **options)
  if method in SIGNED:
    return np.clip(np.asarray(heatmap, np.float32), 0.0, 1.0)
  return targets.normalize(heatmap)


def overlay(crop: np.ndarray, heatmap: np.ndarray, colormap: str = "",
            opacity: float = OPACITY) -> np.ndarray:
  """uint8 [S, S, 3]: the heat map in a matplotlib colormap blended over the crop."""
  colours = matplotlib.colormaps[colormap or COLORMAP](np.clip(heatmap, 0, 1))[..., :3] * 255
  blended = (1 - opacity) * np.asarray(crop, np.float32) + opacity * colours
  return np.clip(np.round(blended), 0, 255).astype(np.uint8)


def colormap_for(method: str) -> str:
  return SIGNED_COLORMAP if method in SIGNED else COLORMAP


def method_named(name: str):
  """The METHODS entry; a UserError naming the known ones otherwise."""
  if name not in METHODS:
    raise UserError(f"Unknown explanation method '{name}' (known: {', '.join(METHODS)}).")
  return METHODS[name]


def parse_methods(text: str) -> list:
  """"gradcam,lime" → ["gradcam", "lime"], each checked."""
  names = [name.strip() for name in text.split(",") if name.strip()]
  if not names:
    raise UserError(f"--methods needs at least one of {', '.join(METHODS)}")
  for name in names:
    method_named(name)
  return names
