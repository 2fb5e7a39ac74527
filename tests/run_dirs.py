"""Run directories as fit and evaluate leave them (params.yaml, best.keras, calibration.json),
built from an untrained detector on the tiny mix, for tests that score, export or fuse."""

import json

from keras_detect import config as config_lib
from keras_detect import detector, inference

SIZE = 32


def write_run_dir(folder, tiny_mix, task="binary", class_names=("real", "synthetic"),
                  backbone="mobilenet", representation="rgb", temperature=1.7, size=SIZE,
                  seed=3) -> str:
  options = ["model.options.alpha=0.25"] if backbone == "mobilenet" else []
  config = config_lib.resolve(flags={"data.mix": tiny_mix.mix, "model.backbone": backbone,
                                     "data.image_size": size},
                              overrides=options + [f"model.task={task}",
                                                   f"model.representation={representation}",
                                                   f"data.manual_dir={tiny_mix.manual_dir}",
                                                   f"data.data_dir={tiny_mix.data_dir}"])
  config.data.class_names = list(class_names)
  config_lib.save(config, str(folder / inference.PARAMS))
  detector.build(config.model, size, config.data.class_names, seed=seed).save(
      folder / inference.BEST)
  calibration = {"threshold": 0.5, "threshold_method": "youden", "temperature": temperature,
                 "chosen_on": "tiny/validation"}
  (folder / inference.CALIBRATION).write_text(json.dumps(calibration))
  return str(folder)
