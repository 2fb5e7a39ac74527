"""Experiment configuration: defaults in code → YAML file → command-line flags → `--set a.b=v`.

The resolved config is validated (unknown keys and bad values are UserErrors) and written
as params.yaml into the run directory, so a run can be reproduced from its folder.
"""

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from keras_detect.errors import UserError

TASKS = ("binary", "attribution", "both")
FINETUNE_POLICIES = ("head", "top", "full")
OPTIMIZERS = ("adam", "adamw", "sgd")
STRATEGIES = ("default", "mirrored", "multi_worker")
RESIZE_POLICIES = ("resize", "center_crop", "random_crop", "short_side_crop")
# The names of layers.REPRESENTATIONS and preprocessing.RECIPES, restated so that reading a
# config does not import TensorFlow; a test keeps them equal.
REPRESENTATIONS = ("rgb", "npr", "highpass", "dct", "patches")
AUGMENT_RECIPES = ("none", "cnndetection", "cnndetection_0.1")
RECIPE_KEYS = ("downscale", "blur", "jpeg")  # model.augment keys that a recipe also sets


@dataclass
class DataConfig:
  mix: str = "all_shared"
  manual_dir: str = "../shared/data"
  data_dir: str = ""  # TFDS data dir; "" → $KERAS_DETECT_DATA_DIR or ~/tensorflow_datasets
  image_size: int = 128
  train_policy: str = "random_crop"  # native-resolution crops: no resampling of traces
  eval_policy: str = "short_side_crop"  # the scale the mixes' align.short_side trains at
  # short_side_crop's short side in crop sizes; 0 → the middle of the mix's align.short_side
  # (written into params.yaml when training starts).
  eval_short_side: float = 0.0
  batch_size: int = 64
  align: bool = True  # use the mix's `align` block (format/quality/size alignment)
  class_names: list = field(default_factory=list)  # filled from the data for attribution


@dataclass
class AugmentConfig:
  flip: bool = True
  rotation: float = 0.0  # fraction of a full turn, as keras.layers.RandomRotation
  jpeg: Optional[list] = None  # [min_quality, max_quality]
  blur: Optional[list] = None  # [min_sigma, max_sigma]
  downscale: Optional[list] = None  # [min_factor, max_factor]: shrunk and brought back
  grayscale: float = 0.0  # probability
  degradation: bool = False  # blur (k7, σ2) + noise (σ0.1) at training AND inference
  # A named set of blur, JPEG and downscale (preprocessing.RECIPES), e.g. cnndetection:
  # σ ~ U[0, 3] blur, quality ~ U[30, 100] JPEG and ×U[0.5, 1] downscale, each with p 0.5.
  recipe: str = "none"


@dataclass
class ModelConfig:
  backbone: str = "effnetb0"
  weights: str = "none"  # none | imagenet | path to a weights file
  options: dict = field(default_factory=dict)  # backbone options, e.g. {alpha: 0.25}
  task: str = "binary"
  head_units: int = 256
  dropout: float = 0.3
  finetune: str = "full"
  representation: str = "rgb"  # rgb | npr | highpass | dct | patches (layers.REPRESENTATIONS)
  augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass
class TrainConfig:
  epochs: int = 20
  head_epochs: int = 0  # > 0: two-phase schedule, head only first, then `finetune`
  optimizer: str = "adam"
  learning_rate: float = 1e-3
  # After a head phase, the pretrained backbone trains at this rate (0 → learning_rate):
  # a high rate there drifts the features faster than BatchNorm statistics follow.
  finetune_learning_rate: float = 0.0
  weight_decay: float = 1e-4  # AdamW only
  steps_per_epoch: int = 0  # 0 → one pass over the training examples
  validation_steps: int = 0  # 0 → the whole validation split
  reduce_lr_patience: int = 2
  reduce_lr_factor: float = 0.5
  early_stopping_patience: int = 0  # 0 → off
  strategy: str = "default"
  mixed_precision: bool = False  # measured slower on CPU for small CNNs
  jit_compile: bool = False
  seed: int = 0
  run_dir: str = ""  # "" → runs/<mix>-<backbone>
  tensorboard: bool = True


@dataclass
class Config:
  data: DataConfig = field(default_factory=DataConfig)
  model: ModelConfig = field(default_factory=ModelConfig)
  train: TrainConfig = field(default_factory=TrainConfig)


def resolve(config_file: Optional[str] = None, flags: Optional[dict] = None,
            overrides: tuple = ()) -> Config:
  """Builds the config from its four layers and validates it."""
  values = dataclasses.asdict(Config())
  if config_file:
    _merge(values, _read_yaml(config_file), "")
  for dotted, value in (flags or {}).items():
    if value is not None:
      _merge(values, _nest(dotted, value), "")
  for item in overrides:
    dotted, sep, text = item.partition("=")
    if not sep:
      raise UserError(f"--set expects key=value (e.g. train.epochs=5), got '{item}'")
    _merge(values, _nest(dotted.strip(), yaml.safe_load(text)), "")
  config = _build(Config, values, "")
  validate(config)
  return config


def validate(config: Config) -> None:
  checks = [
      (config.model.task in TASKS, f"model.task must be one of {TASKS}"),
      (config.model.finetune in FINETUNE_POLICIES, f"model.finetune must be one of {FINETUNE_POLICIES}"),
      (config.train.optimizer in OPTIMIZERS, f"train.optimizer must be one of {OPTIMIZERS}"),
      (config.train.strategy in STRATEGIES, f"train.strategy must be one of {STRATEGIES}"),
      (config.data.train_policy in RESIZE_POLICIES, f"data.train_policy must be one of {RESIZE_POLICIES}"),
      (config.data.eval_policy in RESIZE_POLICIES, f"data.eval_policy must be one of {RESIZE_POLICIES}"),
      (config.data.image_size >= 16, "data.image_size must be at least 16"),
      (config.data.batch_size >= 1, "data.batch_size must be at least 1"),
      (config.train.epochs >= 1, "train.epochs must be at least 1"),
      (0 <= config.model.dropout < 1, "model.dropout must be in [0, 1)"),
      (config.model.representation in REPRESENTATIONS,
       f"model.representation must be one of {REPRESENTATIONS}"),
      (config.model.augment.recipe in AUGMENT_RECIPES,
       f"model.augment.recipe must be one of {AUGMENT_RECIPES}"),
      (config.model.augment.recipe == "none"
       or all(getattr(config.model.augment, key) is None for key in RECIPE_KEYS),
       f"model.augment.recipe {config.model.augment.recipe} sets downscale, blur and JPEG "
       "itself; leave model.augment.downscale, .blur and .jpeg unset, or use recipe none"),
      (config.model.augment.downscale is None
       or is_range(config.model.augment.downscale, 0, 1, open_low=True),
       "model.augment.downscale must be [low, high] within (0, 1]"),
  ]
  for ok, message in checks:
    if not ok:
      raise UserError(message)


def is_range(value, low: float, high: float, open_low: bool = False) -> bool:
  """Whether `value` is a [a, b] pair of numbers with low <= a <= b <= high (low < a if
  open_low): the form of every range a config or mix file takes."""
  if not (isinstance(value, (list, tuple)) and len(value) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
    return False
  first, last = value
  return (low < first if open_low else low <= first) and first <= last <= high


def to_yaml(config: Config) -> str:
  return yaml.safe_dump(dataclasses.asdict(config), sort_keys=False)


def save(config: Config, path: str) -> None:
  with open(path, "w") as f:
    f.write(to_yaml(config))


def load(path: str) -> Config:
  """Reads a params.yaml written by `save` (a run directory's config)."""
  return resolve(config_file=path)


def _read_yaml(path: str) -> dict:
  if not os.path.isfile(path):
    raise UserError(f"Config file not found: {path}")
  with open(path) as f:
    try:
      values = yaml.safe_load(f) or {}
    except yaml.YAMLError as error:
      raise UserError(f"{path} is not valid YAML: {error}") from None
  if not isinstance(values, dict):
    raise UserError(f"{path} must hold a mapping of sections (data, model, train)")
  return values


def _nest(dotted: str, value: Any) -> dict:
  for key in reversed(dotted.split(".")):
    value = {key: value}
  return value


def _merge(base: dict, update: dict, prefix: str) -> None:
  for key, value in update.items():
    where = f"{prefix}{key}"
    if key not in base:
      known = ", ".join(sorted(base))
      raise UserError(f"Unknown config key '{where}'. Known keys here: {known}")
    if isinstance(base[key], dict) and isinstance(value, dict) and _is_section(base[key]):
      _merge(base[key], value, where + ".")
    else:
      base[key] = value


def _is_section(values: dict) -> bool:
  # Free-form dicts (model.options) are empty by default; sections have fixed keys.
  return bool(values)


def _build(cls, values: dict, prefix: str):
  kwargs = {}
  for f in dataclasses.fields(cls):
    value = values[f.name]
    if dataclasses.is_dataclass(f.default_factory if f.default_factory is not dataclasses.MISSING else None):
      kwargs[f.name] = _build(f.default_factory, value, f"{prefix}{f.name}.")
    else:
      kwargs[f.name] = _coerce(value, f, f"{prefix}{f.name}")
  return cls(**kwargs)


def _coerce(value, f: dataclasses.Field, where: str):
  default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
  if default is None or value is None:
    return value
  kind = type(default)
  if kind is float and isinstance(value, int) and not isinstance(value, bool):
    return float(value)
  if kind is bool and not isinstance(value, bool):
    raise UserError(f"{where} must be true or false, got {value!r}")
  if not isinstance(value, kind):
    raise UserError(f"{where} must be a {kind.__name__}, got {value!r}")
  return value
