"""Model-randomisation test (Adebayo et al., 2018, "Sanity checks for saliency maps").

The head and the backbone's top stage (the registry's `top_stage_prefix` onwards, as "top"
fine-tuning sees it) are re-initialised; a faithful explanation must then change. The
change is measured by Spearman's rank correlation between the maps of the trained and the
randomised model, image by image. A method whose mean |ρ| stays above SANITY_RHO explains
the image more than the model, and is flagged.
"""

import dataclasses

import keras
import numpy as np
from scipy import stats

from keras_detect import backbones, detector, explain, inference
from keras_detect.errors import UserError
from keras_detect.explain import targets

SANITY_RHO = 0.5  # mean |ρ| above this: the maps barely changed


@dataclasses.dataclass
class MethodSanity:
  method: str
  rho: list  # one per image; None where it is undefined (see map_similarity)
  mean_rho: float | None  # over the images where ρ is defined
  flagged: bool


@dataclasses.dataclass
class SanityResult:
  layers: list  # the re-initialised layers
  methods: list  # MethodSanity per method
  maps: dict  # method → (trained map, randomised map) of the first crop

  def to_dict(self) -> dict:
    return {"threshold_abs_rho": SANITY_RHO, "reinitialised_layers": self.layers,
            "methods": [dataclasses.asdict(m) for m in self.methods]}


def randomization_test(model, card, crops, methods, options=None, seed: int = 0) -> SanityResult:
  """Explains each crop with each method under `model` and under its randomised copy;
  `options`: method → keyword arguments for it."""
  randomized, layers = randomized_copy(model, card.backbone, seed)
  rows, maps = [], {}
  bar = keras.utils.Progbar(len(methods) * len(crops), unit_name="map pair")
  for method in methods:
    rho, kwargs = [], (options or {}).get(method, {})
    for number, crop in enumerate(crops):
      index = targets.target_for(model, card, crop).index  # the same logit for both models
      trained = explain.explain_crop(model, card, crop, method, index=index, **kwargs)
      random = explain.explain_crop(randomized, card, crop, method, index=index, **kwargs)
      rho.append(map_similarity(trained, random))
      if number == 0:
        maps[method] = (trained, random)
      bar.add(1)
    defined = [value for value in rho if value is not None]
    mean = float(np.mean(defined)) if defined else None
    rows.append(MethodSanity(method, rho, mean, mean is not None and abs(mean) > SANITY_RHO))
  return SanityResult(layers, rows, maps)


def randomized_copy(model, backbone: str, seed: int = 0):
  """(a copy of `model` whose head and top stage hold fresh initial weights, their names).

  A clone made without copying weights holds exactly the layers' initial values, so the
  re-initialised layers come from it and every other layer from `model`."""
  keras.utils.set_random_seed(seed)
  fresh = keras.models.clone_model(model)
  copy = keras.models.clone_model(model)
  copy.set_weights(model.get_weights())
  layers = top_layers(model, backbone)
  for name in layers:
    copy.get_layer(name).set_weights(fresh.get_layer(name).get_weights())
  return copy, layers


def top_layers(model, backbone: str) -> list:
  """Layers with weights from the top stage's first layer to the output (head included)."""
  if inference.is_fused(backbone):
    raise UserError(f"The sanity check re-initialises one backbone's top stage, and a fused "
                    f"detector ({backbone}) has one per member: run it on a member's run.")
  prefix = backbones.get(backbone).top_stage_prefix
  names, in_top = [], False
  for layer in model.layers:
    in_top = in_top or layer.name.startswith(prefix) or layer.name in detector.HEAD_LAYERS
    if in_top and layer.weights:
      names.append(layer.name)
  return names


def map_similarity(first: np.ndarray, second: np.ndarray) -> float | None:
  """Spearman's ρ of two maps: 1 for equal maps, None where one of two different maps is
  flat (ranks are undefined there; Grad-CAM of a class the image shows nothing of is all
  zeros, which says nothing about the model)."""
  first, second = np.ravel(first), np.ravel(second)
  if np.array_equal(first, second):
    return 1.0
  if np.ptp(first) == 0 or np.ptp(second) == 0:
    return None
  return float(stats.spearmanr(first, second).statistic)
