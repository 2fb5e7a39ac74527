"""Training: a Config in, a run directory out.

The run directory holds params.yaml (the resolved config), best.keras (best val_loss),
log_backup.csv (log_backup_head.csv for a head phase) and history.json (every epoch,
across resumes), curves.png, TensorBoard logs, a backup/ that lets a killed run resume at
the epoch where it stopped, and state.json once training ended. Every file but the CSV
logs is written to a temporary name and renamed, so a kill never leaves one torn.
"""

import dataclasses
import json
import math
import os
import shutil
import sys
import time

import keras

from keras_detect import config as config_lib
from keras_detect import callbacks, curves, data, detector, distribute, files
from keras_detect.errors import UserError

BEST = callbacks.BEST
HEAD_PHASE = "head_phase.weights.h5"
PARAMS = "params.yaml"
STATE = "state.json"
# Settings a resumed run may change: how many epochs, and how or where it runs, none of
# which changes what the saved weights and optimizer state mean.
RESUMABLE = ("train.epochs", "train.run_dir", "train.strategy", "train.jit_compile",
             "train.tensorboard", "data.data_dir")
ENDINGS = {"early_stopping": "early stopping",
           "stopped": "a stop before train.epochs (a NaN loss, or another callback)"}


def default_run_dir(config) -> str:
  mix = os.path.splitext(os.path.basename(config.data.mix))[0]
  return os.path.join("runs", f"{mix}-{config.model.backbone}")


def train(config, *, overwrite: bool = False, verbose="auto", extra_callbacks=()) -> str:
  """Trains the detector a Config describes; returns the run directory.

  A run directory belongs to one config. Started again, it resumes where it stopped when
  its params.yaml holds the same settings; only the RESUMABLE keys may differ (more
  train.epochs, or where and how it runs), any other difference is a UserError that names
  it. `overwrite` clears the directory and starts over. A finished run (state.json) trains
  on only when train.epochs asks for more epochs than it reached, and never after it
  stopped early (early stopping, a NaN loss).

  With train.strategy multi_worker every worker runs this with the same config: the chief
  writes the run directory, the others work on a temporary copy of it (see distribute).
  """
  # First of all: MultiWorkerMirroredStrategy must exist before TensorFlow runs an op.
  strategy = distribute.strategy(config.train.strategy)
  run_dir = config.train.run_dir or default_run_dir(config)
  chief = distribute.is_chief(strategy)
  if chief:
    if overwrite:
      _clear(run_dir)
    os.makedirs(run_dir, exist_ok=True)
  distribute.sync_workers(strategy)  # the other workers copy the run directory once it is cleared
  work_dir = run_dir if chief else distribute.worker_dir(run_dir)
  try:
    _train(config, strategy, work_dir, verbose, extra_callbacks)
  finally:
    if not chief:
      shutil.rmtree(work_dir, ignore_errors=True)
  return run_dir


def _train(config, strategy, run_dir: str, verbose, extra_callbacks) -> None:
  keras.utils.set_random_seed(config.train.seed)
  _set_precision(config.train.mixed_precision)

  mix = data.load_mix(config.data.mix)
  builders = data.prepare(mix.sources, config.data.manual_dir, config.data.data_dir)
  counts = data.census(builders)
  config.data.class_names = (counts.class_names() if config.model.task != "binary"
                             else ["real", "synthetic"])
  config.data.eval_short_side = data.eval_short_side(config.data, mix)
  _check_params(run_dir, config, mix)
  if _finished(run_dir, config):
    return
  files.write_text(os.path.join(run_dir, PARAMS), config_lib.to_yaml(config))
  train_ds, val_ds, steps = _datasets(config, mix, builders, counts)

  # The optimizer and the metrics take the strategy in force when they are made.
  with strategy.scope():
    model = detector.build(config.model, config.data.image_size, config.data.class_names,
                           seed=config.train.seed)
    pretrained = detector.weights_argument(config.model.weights) is not None
    started = time.time()
    if config.train.head_epochs:
      _head_phase(model, config, run_dir, train_ds, val_ds, steps, verbose)
    detector.set_trainable(model, config.model.finetune, pretrained)
    finetune_rate = config.train.head_epochs and config.train.finetune_learning_rate
    _compile(model, config, finetune_rate or config.train.learning_rate)
    run_callbacks = callbacks.callbacks(config, run_dir, "backup")
    model.fit(train_ds, validation_data=val_ds, epochs=config.train.epochs,
              steps_per_epoch=steps, verbose=verbose,
              callbacks=run_callbacks + list(extra_callbacks))
  _write_state(run_dir, model, run_callbacks)
  _write_history(run_dir, time.time() - started)


def _clear(run_dir: str) -> None:
  if not os.path.isdir(run_dir) or not os.listdir(run_dir):
    return
  if not os.path.isfile(os.path.join(run_dir, PARAMS)):
    raise UserError(f"--overwrite clears run directories only, and {run_dir} has no "
                    f"{PARAMS}: pass another --run-dir.")
  for name in os.listdir(run_dir):
    path = os.path.join(run_dir, name)
    if os.path.isdir(path) and not os.path.islink(path):
      shutil.rmtree(path)
    else:
      os.remove(path)


def _check_params(run_dir: str, config, mix) -> None:
  """A UserError naming the settings that differ from the run already in `run_dir`."""
  path = os.path.join(run_dir, PARAMS)
  if not os.path.isfile(path):
    return
  previous = config_lib.load(path)
  # Runs written before eval_short_side was recorded used the mix's middle scale.
  previous.data.eval_short_side = data.eval_short_side(previous.data, mix)
  old = _flatten(dataclasses.asdict(previous))
  new = _flatten(dataclasses.asdict(config))
  changed = [f"{key}: {old.get(key)!r} → {new.get(key)!r}"
             for key in sorted(old.keys() | new.keys())
             if key not in RESUMABLE and old.get(key) != new.get(key)]
  if changed:
    raise UserError(f"{run_dir} holds a run with other settings ({'; '.join(changed)}); "
                    "a resume may change only train.epochs and where or how it runs. Pass "
                    "another --run-dir for the new settings, or --overwrite to delete that "
                    "run and start over.")


def _flatten(values: dict, prefix: str = "") -> dict:
  flat = {}
  for key, value in values.items():
    if isinstance(value, dict) and value:
      flat.update(_flatten(value, f"{prefix}{key}."))
    else:
      flat[f"{prefix}{key}"] = value
  return flat


def _finished(run_dir: str, config) -> bool:
  """Says so when the run needs no more training; checks that a finished run can go on."""
  state = read_state(run_dir)
  if not state:
    return False
  reached, best = state["epochs"], state["best_val_loss"]
  best = "n/a" if best is None else f"{best:.4f}"
  summary = f"{run_dir} is finished at epoch {reached} (best val_loss {best})"
  if state["ended_by"] != "epochs":
    print(f"{summary}: {ENDINGS[state['ended_by']]} ended it. Nothing to train; "
          "--overwrite starts it over.")
    return True
  if config.train.epochs <= reached:
    print(f"{summary}. Nothing to train; ask for more with --epochs, or start over "
          "with --overwrite.")
    return True
  if not os.path.isdir(os.path.join(run_dir, "backup")):
    raise UserError(f"{run_dir} has no backup/ to continue from: start over with --overwrite.")
  print(f"Continuing {run_dir} from epoch {reached} to {config.train.epochs}.")
  return False


def _datasets(config, mix, builders, counts):
  n_train = data.number_of_examples(mix, builders, "train")
  if not n_train:
    raise UserError(f"Mix '{mix.name}' has no training examples.")
  common = dict(image_size=config.data.image_size, batch_size=config.data.batch_size,
                align=config.data.align, seed=config.train.seed)
  train_ds = data.make_dataset(mix, builders, "train", policy=config.data.train_policy,
                               training=True, counts=counts, **common)
  val_ds = data.make_dataset(mix, builders, "validation", policy=config.data.eval_policy,
                             short_side=config.data.eval_short_side, **common)
  if config.train.validation_steps:
    val_ds = val_ds.take(config.train.validation_steps)
  task, names = config.model.task, config.data.class_names
  steps = config.train.steps_per_epoch or math.ceil(n_train / config.data.batch_size)
  return (data.to_supervised(train_ds, task, names), data.to_supervised(val_ds, task, names),
          steps)


def _head_phase(model, config, run_dir, train_ds, val_ds, steps, verbose):
  """Phase one of the two-phase schedule: backbone frozen. Its weights file, renamed into
  place when the phase ends, marks it done; an unreadable one redoes the phase."""
  done = os.path.join(run_dir, HEAD_PHASE)
  if os.path.isfile(done):
    try:
      model.load_weights(done)
      return
    except (OSError, ValueError) as error:
      print(f"Warning: {done} is unreadable ({error}); training the head phase again.",
            file=sys.stderr)
  detector.set_trainable(model, "head", pretrained=True)
  _compile(model, config, config.train.learning_rate)
  model.fit(train_ds, validation_data=val_ds, epochs=config.train.head_epochs,
            steps_per_epoch=steps, verbose=verbose,
            callbacks=callbacks.callbacks(config, run_dir, "backup_head", checkpoint=False))
  with files.atomic_write(done) as temp:
    model.save_weights(temp)


def _compile(model, config, learning_rate: float):
  task = config.model.task
  losses = {"binary": "binary_crossentropy", "attribution": "sparse_categorical_crossentropy"}
  metrics = {"binary": [keras.metrics.BinaryAccuracy(name="accuracy"),
                        keras.metrics.AUC(name="auc")],
             "attribution": [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]}
  if task == "both":
    loss, metric = losses, metrics
  else:
    loss, metric = losses[task], metrics[task]
  model.compile(optimizer=_optimizer(config.train, learning_rate), loss=loss, metrics=metric,
                jit_compile=config.train.jit_compile)


def _optimizer(train_config, learning_rate: float):
  if train_config.optimizer == "adamw":
    return keras.optimizers.AdamW(learning_rate, weight_decay=train_config.weight_decay)
  if train_config.optimizer == "sgd":
    return keras.optimizers.SGD(learning_rate, momentum=0.9)
  return keras.optimizers.Adam(learning_rate)


def read_state(run_dir: str) -> dict:
  """state.json of a finished run ({} while it is not finished)."""
  path = os.path.join(run_dir, STATE)
  if not os.path.isfile(path):
    return {}
  with open(path) as f:
    return json.load(f)


def _write_state(run_dir: str, model, run_callbacks: list) -> None:
  rows = callbacks.read_log(run_dir)
  stopper = next((c for c in run_callbacks if isinstance(c, keras.callbacks.EarlyStopping)),
                 None)
  if stopper is not None and stopper.stopped_epoch:
    ended_by = "early_stopping"
  else:
    ended_by = "stopped" if model.stop_training else "epochs"
  losses = [row["val_loss"] for row in rows if "val_loss" in row]
  files.write_json(os.path.join(run_dir, STATE), {
      "epochs": int(rows[-1]["epoch"]) + 1 if rows else 0,
      "best_val_loss": min(losses, default=None), "ended_by": ended_by,
      "early_stopping": ended_by == "early_stopping"})


def _write_history(run_dir: str, seconds: float) -> None:
  """history.json: one entry per epoch of both phases; `phase` says which each is, and
  `epoch` counts within its phase."""
  head, finetune = callbacks.read_log(run_dir, "backup_head"), callbacks.read_log(run_dir)
  rows = head + finetune
  history = {"phase": ["head"] * len(head) + ["finetune"] * len(finetune)}
  for key in dict.fromkeys(key for row in rows for key in row):
    history[key] = [row.get(key) for row in rows]
  history["seconds_this_session"] = round(seconds, 1)
  files.write_json(os.path.join(run_dir, "history.json"), history)
  curves.save_curves(rows, os.path.join(run_dir, "curves.png"), head_epochs=len(head))


def _set_precision(mixed: bool) -> None:
  keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
