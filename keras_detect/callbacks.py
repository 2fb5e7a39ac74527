"""The callbacks of a training phase, and what lets a killed run resume as if it never stopped.

Each phase logs to log_<backup>.csv and backs up to <backup>/. Resumed, ReduceLROnPlateau
and EarlyStopping take their best value and wait counter from that log (Keras would reset
them), ModelCheckpoint starts from the best val_loss already logged, and best.keras is
written to a temporary name and renamed.
"""

import csv
import os
import time

import keras

from keras_detect import files

BEST = "best.keras"


def callbacks(config, run_dir: str, backup: str, checkpoint: bool = True) -> list:
  """The callbacks of one phase; a resumed phase picks up its state from the phase's log."""
  t = config.train
  logged = [(int(row["epoch"]), row["val_loss"]) for row in read_log(run_dir, backup)
            if "val_loss" in row]
  result = [
      EpochTime(),
      # Two checkpoints: a run killed while writing one resumes from the other. Kept when
      # training ends, so a finished run can go on when asked for more epochs.
      keras.callbacks.BackupAndRestore(os.path.join(run_dir, backup), double_checkpoint=True,
                                       delete_checkpoint=False),
      keras.callbacks.TerminateOnNaN(),
      ResumedReduceLROnPlateau(logged, monitor="val_loss", factor=t.reduce_lr_factor,
                               patience=t.reduce_lr_patience, verbose=1),
  ]
  if checkpoint:
    best = os.path.join(run_dir, BEST)
    reached = min((loss for _, loss in logged), default=None) if os.path.isfile(best) else None
    result.append(AtomicModelCheckpoint(best, monitor="val_loss", save_best_only=True,
                                        initial_value_threshold=reached))
  # After the checkpoint: a logged epoch is one whose best.keras is already saved.
  result.append(keras.callbacks.CSVLogger(os.path.join(run_dir, f"log_{backup}.csv"),
                                          append=True))
  if t.tensorboard:
    result.append(keras.callbacks.TensorBoard(os.path.join(run_dir, "logs", backup)))
  if t.early_stopping_patience:
    result.append(ResumedEarlyStopping(logged, monitor="val_loss",
                                       patience=t.early_stopping_patience))
  return result


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
  """ModelCheckpoint saving to a temporary name renamed into place: a run killed while it
  saves keeps the previous best.keras whole."""

  def on_epoch_end(self, epoch, logs=None):
    target = self.filepath
    with files.atomic_write(target) as temp:
      self.filepath = temp
      try:
        super().on_epoch_end(epoch, logs)
      finally:
        self.filepath = target


class _ResumesFromLog:
  """Keras resets `best` and `wait` when fit begins; a resumed fit sets them from the
  val_loss of the epochs logged before it, so patience counts as if it never stopped."""

  def __init__(self, logged, **kwargs):
    super().__init__(**kwargs)
    self.logged = logged  # [(epoch, val_loss)] from the phase's CSV log
    self.restored = False

  def on_epoch_begin(self, epoch, logs=None):
    if not self.restored:
      self.restored = True
      losses = [loss for logged_epoch, loss in self.logged if logged_epoch < epoch]
      if losses:
        self.best, self.wait = self.replay(losses)
    super().on_epoch_begin(epoch, logs)


class ResumedReduceLROnPlateau(_ResumesFromLog, keras.callbacks.ReduceLROnPlateau):
  """The learning rate itself is in the optimizer's backup; this restores the countdown."""

  def replay(self, losses):
    # Without a cooldown, ReduceLROnPlateau waits afresh after each reduction.
    return plateau_state(losses, abs(self.min_delta), resets_after=self.patience)


class ResumedEarlyStopping(_ResumesFromLog, keras.callbacks.EarlyStopping):

  def replay(self, losses):
    return plateau_state(losses, abs(self.min_delta))


def plateau_state(losses, min_delta: float = 0.0, resets_after: int = 0) -> tuple:
  """(best, wait) of a val_loss plateau callback after these epochs, as Keras counts."""
  best, wait = None, 0
  for loss in losses:
    if best is None or loss < best - min_delta:
      best, wait = loss, 0
    else:
      wait += 1
      if resets_after and wait >= resets_after:
        wait = 0
  return best, wait


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
