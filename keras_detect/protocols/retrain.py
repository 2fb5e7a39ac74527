"""Training the run's own config on part of its mix, for the protocols that hold sources out."""

import copy
import os

from keras_detect import data


def train_without(evaluation, kept: list, folder: str, description: str,
                  train_fn) -> str:
  """Trains the run's config on `kept` sources of its mix, in `folder`; the run dir."""
  os.makedirs(folder, exist_ok=True)
  config = copy.deepcopy(evaluation.config)
  config.data.mix = data.write_mix(evaluation.own_mix, kept, os.path.join(folder, "mix.yaml"),
                                   description)
  config.data.class_names = []
  config.train.run_dir = os.path.join(folder, "run")
  return train_fn(config)
