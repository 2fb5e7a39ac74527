"""Score fusion: several trained runs of one mix (an `rgb` and an `npr` detector, say) → one
run directory whose best.keras scores an image with all of them.

The fused model feeds the same 0..255 input crop to each member and averages their
calibrated logits (`layers.LogitMean`: the logit of the probability of synthetic divided by
the member's temperature; for attribution, log-probabilities likewise). The members stay
whole nested models, so evaluation, export and predict treat the fused run like any other;
the threshold and temperature of the fused score are chosen by `keras-detect evaluate` on
the mix's validation split, as for a single run. Grad-CAM needs one member's layers:
explain a member run, or the fused one with LIME.

Members must share the mix, input size and inference scale (one crop is fed to all), and,
for attribution, the class names. The fused task is `both` when every member has both
heads, else `binary`.
"""

import copy
import os
import shutil

import keras

from keras_detect import config as config_lib
from keras_detect import detector, files, inference, layers
from keras_detect.errors import UserError

FUSION = "fusion.json"
TASKS = ("binary", "both")


def fuse(run_dirs: list, out_dir: str, overwrite: bool = False) -> str:
  """Writes the fused run (params.yaml, best.keras, fusion.json) to out_dir."""
  if len(run_dirs) < 2:
    raise UserError("Fusion needs at least two run directories.")
  if os.path.exists(os.path.join(out_dir, inference.PARAMS)) and not overwrite:
    raise UserError(f"{out_dir} already holds a run: pass --overwrite to replace it, or "
                    "another --out.")
  members = [_member(run_dir) for run_dir in run_dirs]
  config = _fused_config(members, out_dir)
  model = fused_model(members, config.model.task)
  if os.path.exists(os.path.join(out_dir, inference.PARAMS)):
    shutil.rmtree(out_dir)  # --overwrite: no calibration or metrics of the old run stay
  os.makedirs(out_dir, exist_ok=True)
  files.write_text(os.path.join(out_dir, inference.PARAMS), config_lib.to_yaml(config))
  files.write_json(os.path.join(out_dir, FUSION), {
      "rule": "mean of the members' logits, each divided by its calibration temperature",
      "members": [{"run_dir": os.path.abspath(m["run_dir"]),
                   "backbone": m["config"].model.backbone,
                   "representation": m["config"].model.representation,
                   "temperature": m["card"].temperature,
                   "attribution_temperature": m["card"].attribution_temperature}
                  for m in members]})
  with files.atomic_write(os.path.join(out_dir, inference.BEST)) as temp:
    model.save(temp)
  return out_dir


def fused_model(members: list, task: str) -> keras.Model:
  """The shared input → each member → LogitMean of their outputs (nothing to train)."""
  size = members[0]["config"].data.image_size
  image = keras.Input((size, size, 3), name="image")
  outputs = []
  for i, member in enumerate(members):
    model = member["model"]
    nested = keras.Model(model.inputs, model.output, name=f"member_{i}")
    result = nested(image)
    outputs.append(result if isinstance(result, dict) else {detector.BINARY: result})
  fused = {detector.BINARY: layers.LogitMean(
      [m["card"].temperature for m in members], "binary", name=detector.BINARY)(
          [o[detector.BINARY] for o in outputs])}
  if task == "binary":
    return keras.Model(image, fused[detector.BINARY], name="fusion")
  fused[detector.ATTRIBUTION] = layers.LogitMean(
      [m["card"].attribution_temperature for m in members], "softmax", name=detector.ATTRIBUTION)(
          [o[detector.ATTRIBUTION] for o in outputs])
  return keras.Model(image, fused, name="fusion")


def _member(run_dir: str) -> dict:
  card = inference.read_card(run_dir)  # needs calibration.json: the member's temperature
  if card.task not in TASKS:
    raise UserError(f"{run_dir} is a '{card.task}' model: fusion takes runs with a binary "
                    f"head (task {' or '.join(TASKS)}).")
  return {"run_dir": run_dir, "card": card,
          "config": config_lib.load(os.path.join(run_dir, inference.PARAMS)),
          "model": detector.load_model(os.path.join(run_dir, inference.BEST), compile=False)}


def _fused_config(members: list, out_dir: str) -> config_lib.Config:
  first = members[0]["card"]
  for member in members[1:]:
    card = member["card"]
    for key in ("mix", "image_size", "short_side"):
      if getattr(card, key) != getattr(first, key):
        raise UserError(f"Members differ in {key}: {getattr(first, key)} "
                        f"({members[0]['run_dir']}) vs {getattr(card, key)} "
                        f"({member['run_dir']}); fused members score one crop of one mix.")
  both = all(m["card"].task == "both" for m in members) and all(
      m["card"].class_names == first.class_names for m in members)
  config = copy.deepcopy(members[0]["config"])
  config.model.task = "both" if both else "binary"
  config.data.class_names = list(first.class_names) if both else []
  config.train.run_dir = out_dir
  return config
