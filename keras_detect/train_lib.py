"""Training: a Config in, a run directory out.

The run directory holds params.yaml (the resolved config), best.keras (best val_loss),
log.csv and history.json (every epoch, across resumes), curves.png, TensorBoard logs and
a backup/ that lets a killed run resume at the epoch where it stopped.
"""

import csv
import json
import math
import os
import time

import keras
import tensorflow as tf

from keras_detect import config as config_lib
from keras_detect import curves, data, detector
from keras_detect.errors import UserError

BEST = "best.keras"
HEAD_PHASE = "head_phase.weights.h5"


def default_run_dir(config) -> str:
  mix = os.path.splitext(os.path.basename(config.data.mix))[0]
  return os.path.join("runs", f"{mix}-{config.model.backbone}")


def train(config, *, verbose="auto", extra_callbacks=()) -> str:
  """Trains the detector a Config describes; returns the run directory."""
  run_dir = config.train.run_dir or default_run_dir(config)
  os.makedirs(run_dir, exist_ok=True)
  keras.utils.set_random_seed(config.train.seed)
  _set_precision(config.train.mixed_precision)

  mix = data.load_mix(config.data.mix)
  builders = data.prepare([s.name for s in mix.sources], config.data.manual_dir,
                          config.data.data_dir)
  counts = data.census(builders)
  config.data.class_names = (counts.class_names() if config.model.task != "binary"
                             else ["real", "synthetic"])
  config_lib.save(config, os.path.join(run_dir, "params.yaml"))
  train_ds, val_ds, steps = _datasets(config, mix, builders, counts)

  with _strategy(config.train.strategy).scope():
    model = detector.build(config.model, config.data.image_size, config.data.class_names,
                           seed=config.train.seed)
  pretrained = detector.weights_argument(config.model.weights) is not None
  started = time.time()
  if config.train.head_epochs:
    _head_phase(model, config, run_dir, train_ds, val_ds, steps, verbose)
  detector.set_trainable(model, config.model.finetune, pretrained)
  finetune_rate = config.train.head_epochs and config.train.finetune_learning_rate
  _compile(model, config, finetune_rate or config.train.learning_rate)
  model.fit(train_ds, validation_data=val_ds, epochs=config.train.epochs,
            steps_per_epoch=steps, verbose=verbose,
            callbacks=callbacks(config, run_dir, "backup") + list(extra_callbacks))
  _write_history(run_dir, time.time() - started)
  return run_dir


def _datasets(config, mix, builders, counts):
  n_train = data.number_of_examples(mix, builders, "train")
  if not n_train:
    raise UserError(f"Mix '{mix.name}' has no training examples.")
  common = dict(image_size=config.data.image_size, batch_size=config.data.batch_size,
                align=config.data.align, seed=config.train.seed)
  train_ds = data.make_dataset(mix, builders, "train", policy=config.data.train_policy,
                               training=True, counts=counts, **common)
  val_ds = data.make_dataset(mix, builders, "validation", policy=config.data.eval_policy,
                             **common)
  if config.train.validation_steps:
    val_ds = val_ds.take(config.train.validation_steps)
  task, names = config.model.task, config.data.class_names
  steps = config.train.steps_per_epoch or math.ceil(n_train / config.data.batch_size)
  return (data.to_supervised(train_ds, task, names), data.to_supervised(val_ds, task, names),
          steps)


def _head_phase(model, config, run_dir, train_ds, val_ds, steps, verbose):
  """Phase one of the two-phase schedule: backbone frozen; skipped once done."""
  done = os.path.join(run_dir, HEAD_PHASE)
  if os.path.isfile(done):
    model.load_weights(done)
    return
  detector.set_trainable(model, "head", pretrained=True)
  _compile(model, config, config.train.learning_rate)
  model.fit(train_ds, validation_data=val_ds, epochs=config.train.head_epochs,
            steps_per_epoch=steps, verbose=verbose,
            callbacks=callbacks(config, run_dir, "backup_head", checkpoint=False))
  model.save_weights(done)


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


def callbacks(config, run_dir: str, backup: str, checkpoint: bool = True) -> list:
  t = config.train
  result = [
      EpochTime(),
      # Two checkpoints: a run killed while writing one resumes from the other.
      keras.callbacks.BackupAndRestore(os.path.join(run_dir, backup), double_checkpoint=True),
      keras.callbacks.TerminateOnNaN(),
      keras.callbacks.ReduceLROnPlateau("val_loss", factor=t.reduce_lr_factor,
                                        patience=t.reduce_lr_patience, verbose=1),
      keras.callbacks.CSVLogger(os.path.join(run_dir, f"log_{backup}.csv"), append=True),
  ]
  if checkpoint:
    result.append(keras.callbacks.ModelCheckpoint(os.path.join(run_dir, BEST),
                                                  monitor="val_loss", save_best_only=True))
  if t.tensorboard:
    result.append(keras.callbacks.TensorBoard(os.path.join(run_dir, "logs", backup)))
  if t.early_stopping_patience:
    result.append(keras.callbacks.EarlyStopping("val_loss", patience=t.early_stopping_patience))
  return result


class EpochTime(keras.callbacks.Callback):
  """Adds `epoch_seconds` to the epoch logs (first in the list, so the CSV log has it)."""

  def on_epoch_begin(self, epoch, logs=None):
    self.started = time.time()

  def on_epoch_end(self, epoch, logs=None):
    if logs is not None:
      logs["epoch_seconds"] = round(time.time() - self.started, 2)


def read_log(run_dir: str, backup: str = "backup") -> list:
  """Rows of the CSV log (one per epoch, resumes included) as dicts of floats."""
  path = os.path.join(run_dir, f"log_{backup}.csv")
  if not os.path.isfile(path):
    return []
  with open(path) as f:
    rows = [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]
  # A resumed run may repeat an epoch that was running when it was killed: keep the last.
  by_epoch = {int(row["epoch"]): row for row in rows}
  return [by_epoch[e] for e in sorted(by_epoch)]


def _write_history(run_dir: str, seconds: float) -> None:
  rows = read_log(run_dir)
  history = {key: [row.get(key) for row in rows] for key in (rows[0] if rows else {})}
  history["seconds_this_session"] = round(seconds, 1)
  with open(os.path.join(run_dir, "history.json"), "w") as f:
    json.dump(history, f, indent=1)
  curves.save_curves(rows, os.path.join(run_dir, "curves.png"))


def _strategy(name: str):
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    if "TF_CONFIG" not in os.environ:
      raise UserError("--strategy multi_worker needs TF_CONFIG describing the cluster "
                      "(see tf.distribute.MultiWorkerMirroredStrategy).")
    return tf.distribute.MultiWorkerMirroredStrategy()
  return tf.distribute.get_strategy()


def _set_precision(mixed: bool) -> None:
  keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
