"""Training on the tiny mix: a complete run directory, resume after an interruption."""

import csv
import hashlib
import json
import os
import subprocess
import sys
import time

import keras
import pytest

from keras_detect import config as config_lib
from keras_detect import callbacks, detector, files, train_lib
from keras_detect.errors import UserError


def tiny_config(tiny_mix, run_dir, **overrides):
  values = {"data.mix": tiny_mix.mix, "data.manual_dir": tiny_mix.manual_dir,
            "data.data_dir": tiny_mix.data_dir, "data.image_size": 32, "data.batch_size": 8,
            "model.backbone": "simplenet", "train.epochs": 2, "train.steps_per_epoch": 2,
            "train.run_dir": str(run_dir), "train.tensorboard": False}
  values.update(overrides)
  return config_lib.resolve(flags=values)


class Interrupt(keras.callbacks.Callback):
  """Stops the process-like run at the end of an epoch, after the backup was written."""

  def __init__(self, epoch):
    super().__init__()
    self.epoch = epoch

  def on_epoch_end(self, epoch, logs=None):
    if epoch == self.epoch:
      raise KeyboardInterrupt


class StopAt(keras.callbacks.Callback):
  """Ends training early at the end of an epoch, as EarlyStopping or TerminateOnNaN do."""

  def __init__(self, epoch):
    super().__init__()
    self.epoch = epoch

  def on_epoch_end(self, epoch, logs=None):
    if epoch == self.epoch:
      self.model.stop_training = True


class EpochsStarted(keras.callbacks.Callback):
  """Records the epochs a (resumed) run begins."""

  def __init__(self):
    super().__init__()
    self.epochs = []

  def on_epoch_begin(self, epoch, logs=None):
    self.epochs.append(epoch)


def test_two_step_fit_writes_a_complete_run_directory(tiny_mix, tmp_path):
  run_dir = train_lib.train(tiny_config(tiny_mix, tmp_path / "run"), verbose=0)
  for name in ("params.yaml", "history.json", "best.keras", "curves.png", "log_backup.csv"):
    assert os.path.getsize(os.path.join(run_dir, name)) > 0, name
  history = json.load(open(os.path.join(run_dir, "history.json")))
  assert history["epoch"] == [0, 1]
  assert len(history["val_loss"]) == 2 and len(history["epoch_seconds"]) == 2
  params = config_lib.load(os.path.join(run_dir, "params.yaml"))
  assert params.data.class_names == ["real", "synthetic"]
  model = detector.load_model(os.path.join(run_dir, "best.keras"))
  assert model.output_shape == (None, 1)


def test_interrupted_run_resumes_from_the_saved_epoch(tiny_mix, tmp_path):
  config = tiny_config(tiny_mix, tmp_path / "run", **{"train.epochs": 3})
  with pytest.raises(KeyboardInterrupt):
    train_lib.train(config, verbose=0, extra_callbacks=[Interrupt(epoch=1)])
  assert os.path.isdir(tmp_path / "run" / "backup")
  started = EpochsStarted()

  train_lib.train(config, verbose=0, extra_callbacks=[started])
  assert started.epochs == [2]
  history = json.load(open(tmp_path / "run" / "history.json"))
  assert history["epoch"] == [0, 1, 2]


def test_a_killed_fit_process_resumes_where_it_stopped(tiny_mix, tmp_path):
  run_dir = tmp_path / "run"
  command = [sys.executable, "-m", "keras_detect.fit", "--mix", tiny_mix.mix,
             "--manual-dir", tiny_mix.manual_dir, "--data-dir", tiny_mix.data_dir,
             "--image-size", "32", "--batch-size", "8", "--backbone", "simplenet",
             "--epochs", "1000", "--steps-per-epoch", "2", "--run-dir", str(run_dir),
             "--set", "train.tensorboard=false"]
  process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  try:
    for _ in range(600):  # until two epochs are logged (or the process has failed)
      if len(callbacks.read_log(str(run_dir))) >= 2 or process.poll() is not None:
        break
      time.sleep(0.5)
    assert process.poll() is None, "the fit process ended before it could be killed"
  finally:
    process.kill()
    process.wait()
  logged = len(callbacks.read_log(str(run_dir)))
  assert logged >= 2
  started = EpochsStarted()

  # The backup is written just before the log row, so the kill may fall between the two.
  config = tiny_config(tiny_mix, run_dir, **{"train.epochs": logged + 2})
  train_lib.train(config, verbose=0, extra_callbacks=[started])
  assert started.epochs and started.epochs[0] in (logged, logged + 1)
  assert started.epochs[-1] == logged + 1


def test_a_backup_torn_by_a_kill_falls_back_to_the_one_before(tiny_mix, tmp_path):
  config = tiny_config(tiny_mix, tmp_path / "run", **{"train.epochs": 3})
  with pytest.raises(KeyboardInterrupt):
    train_lib.train(config, verbose=0, extra_callbacks=[Interrupt(epoch=1)])
  latest = tmp_path / "run" / "backup" / "latest.weights.h5"
  latest.write_bytes(latest.read_bytes()[:100])  # as a kill in the middle of the write leaves it
  started = EpochsStarted()

  train_lib.train(config, verbose=0, extra_callbacks=[started])
  assert started.epochs == [1, 2]  # epoch 1's backup is torn: resume after epoch 0's


def test_two_phase_schedule_trains_the_head_then_fine_tunes_at_its_own_rate(tiny_mix, tmp_path):
  config = tiny_config(tiny_mix, tmp_path / "run", **{
      "train.head_epochs": 1, "train.learning_rate": 1e-3, "train.finetune_learning_rate": 1e-4})
  run_dir = train_lib.train(config, verbose=0)
  assert os.path.isfile(os.path.join(run_dir, train_lib.HEAD_PHASE))
  head_rates = [row["learning_rate"] for row in callbacks.read_log(run_dir, "backup_head")]
  finetune_rates = [row["learning_rate"] for row in callbacks.read_log(run_dir)]
  assert head_rates == pytest.approx([1e-3])
  assert finetune_rates == pytest.approx([1e-4, 1e-4])


def save_params(tiny_mix, run_dir, **overrides):
  """params.yaml as a run with these settings leaves it (class names filled from the data)."""
  config = tiny_config(tiny_mix, run_dir, **overrides)
  config.data.class_names = ["real", "synthetic"]
  os.makedirs(run_dir, exist_ok=True)
  config_lib.save(config, os.path.join(run_dir, "params.yaml"))


def digest(path) -> str:
  return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_a_run_dir_holding_other_settings_is_a_user_error_naming_them(tiny_mix, tmp_path):
  run_dir = tmp_path / "run"
  save_params(tiny_mix, run_dir)
  before = (run_dir / "params.yaml").read_text()
  config = tiny_config(tiny_mix, run_dir, **{"data.image_size": 48,
                                             "train.learning_rate": 0.01})
  with pytest.raises(UserError) as error:
    train_lib.train(config, verbose=0)
  message = str(error.value)
  assert "data.image_size: 32 → 48" in message
  assert "train.learning_rate: 0.001 → 0.01" in message
  assert "--run-dir" in message and "--overwrite" in message
  assert (run_dir / "params.yaml").read_text() == before
  assert sorted(os.listdir(run_dir)) == ["params.yaml"]


def test_overwrite_clears_the_run_directory_and_starts_over(tiny_mix, tmp_path):
  run_dir = tmp_path / "run"
  save_params(tiny_mix, run_dir, **{"data.image_size": 48})
  (run_dir / "log_backup.csv").write_text("epoch,val_loss\n0,0.1\n")
  config = tiny_config(tiny_mix, run_dir, **{"train.epochs": 1, "train.steps_per_epoch": 1})
  train_lib.train(config, overwrite=True, verbose=0)
  assert config_lib.load(str(run_dir / "params.yaml")).data.image_size == 32
  assert [row["epoch"] for row in callbacks.read_log(str(run_dir))] == [0]


def test_overwrite_refuses_a_folder_that_is_not_a_run_directory(tiny_mix, tmp_path):
  (tmp_path / "notes.txt").write_text("keep me")
  with pytest.raises(UserError, match="no params.yaml"):
    train_lib.train(tiny_config(tiny_mix, tmp_path), overwrite=True, verbose=0)
  assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_a_finished_run_trains_again_only_when_asked_for_more_epochs(tiny_mix, tmp_path, capsys):
  config = tiny_config(tiny_mix, tmp_path / "run")
  run_dir = train_lib.train(config, verbose=0)
  state = train_lib.read_state(run_dir)
  assert state["epochs"] == 2 and state["ended_by"] == "epochs" and not state["early_stopping"]
  assert state["best_val_loss"] == min(row["val_loss"] for row in callbacks.read_log(run_dir))
  best = digest(os.path.join(run_dir, "best.keras"))
  started = EpochsStarted()

  train_lib.train(config, verbose=0, extra_callbacks=[started])
  assert started.epochs == [] and "is finished at epoch 2" in capsys.readouterr().out
  assert digest(os.path.join(run_dir, "best.keras")) == best

  more = tiny_config(tiny_mix, tmp_path / "run", **{"train.epochs": 3})
  train_lib.train(more, verbose=0, extra_callbacks=[started])
  assert started.epochs == [2]
  assert json.load(open(os.path.join(run_dir, "history.json")))["epoch"] == [0, 1, 2]
  assert train_lib.read_state(run_dir)["epochs"] == 3


def test_a_run_stopped_early_stays_finished_even_with_more_epochs(tiny_mix, tmp_path, capsys):
  config = tiny_config(tiny_mix, tmp_path / "run", **{"train.epochs": 3,
                                                      "train.steps_per_epoch": 1})
  run_dir = train_lib.train(config, verbose=0, extra_callbacks=[StopAt(epoch=0)])
  assert train_lib.read_state(run_dir)["ended_by"] == "stopped"
  started = EpochsStarted()

  more = tiny_config(tiny_mix, tmp_path / "run", **{"train.epochs": 5,
                                                    "train.steps_per_epoch": 1})
  train_lib.train(more, verbose=0, extra_callbacks=[started])
  assert started.epochs == [] and "is finished at epoch 1" in capsys.readouterr().out


def test_a_resumed_run_never_replaces_a_better_best_model(tiny_mix, tmp_path):
  run_dir = tmp_path / "run"
  config = tiny_config(tiny_mix, run_dir)
  with pytest.raises(KeyboardInterrupt):
    train_lib.train(config, verbose=0, extra_callbacks=[Interrupt(epoch=0)])
  log = run_dir / "log_backup.csv"
  rows = list(csv.DictReader(open(log)))
  rows[0]["val_loss"] = "0.0"  # a best no later epoch can beat
  with open(log, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
  best = digest(run_dir / "best.keras")
  started = EpochsStarted()

  train_lib.train(config, verbose=0, extra_callbacks=[started])
  assert started.epochs == [1]
  assert digest(run_dir / "best.keras") == best


def test_resumed_plateau_callbacks_count_patience_from_the_log(tiny_mix, tmp_path):
  config = tiny_config(tiny_mix, tmp_path, **{"train.reduce_lr_patience": 2,
                                              "train.early_stopping_patience": 5})
  (tmp_path / "log_backup.csv").write_text(
      "epoch,val_loss\n0,1.0\n1,0.9\n2,0.95\n3,0.97\n4,0.98\n")
  (tmp_path / "best.keras").write_bytes(b"")
  phase = callbacks.callbacks(config, str(tmp_path), "backup")
  reduce_lr, stopping, checkpoint = (
      next(c for c in phase if isinstance(c, kind))
      for kind in (keras.callbacks.ReduceLROnPlateau, keras.callbacks.EarlyStopping,
                   keras.callbacks.ModelCheckpoint))
  for callback in (reduce_lr, stopping):
    callback.on_train_begin()  # where Keras resets them
    callback.on_epoch_begin(5)
  assert checkpoint.best == 0.9
  # Three epochs without improvement: ReduceLROnPlateau reduced after two and waits again.
  assert (reduce_lr.best, reduce_lr.wait) == (0.9, 1)
  assert (stopping.best, stopping.wait) == (0.9, 3)


def test_a_torn_head_phase_file_trains_the_head_phase_again(tiny_mix, tmp_path, capsys):
  config = tiny_config(tiny_mix, tmp_path / "run", **{"train.head_epochs": 1})
  with pytest.raises(KeyboardInterrupt):
    train_lib.train(config, verbose=0, extra_callbacks=[Interrupt(epoch=0)])
  head = tmp_path / "run" / train_lib.HEAD_PHASE
  head.write_bytes(head.read_bytes()[:100])  # as a kill in the middle of an in-place write
  started = EpochsStarted()

  train_lib.train(config, verbose=0, extra_callbacks=[started])
  assert started.epochs == [1]
  assert "unreadable" in capsys.readouterr().err
  assert head.stat().st_size > 100


def test_history_holds_the_head_phase_epochs_marked_as_such(tiny_mix, tmp_path, monkeypatch):
  renamed, replace = [], os.replace
  monkeypatch.setattr(files.os, "replace", lambda src, dst: (renamed.append(dst),
                                                              replace(src, dst)))
  config = tiny_config(tiny_mix, tmp_path / "run", **{"train.head_epochs": 1,
                                                      "train.epochs": 1})
  run_dir = train_lib.train(config, verbose=0)
  history = json.load(open(os.path.join(run_dir, "history.json")))
  assert history["phase"] == ["head", "finetune"] and history["epoch"] == [0, 0]
  assert len(history["val_loss"]) == 2
  # Every file of the run is renamed into place from a temporary name.
  names = {os.path.basename(path) for path in renamed}
  assert names >= {"params.yaml", train_lib.HEAD_PHASE, "best.keras", "history.json",
                   "curves.png", "state.json"}
  assert not [name for name in os.listdir(run_dir) if name.startswith(".tmp")]


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path):
  path = tmp_path / "history.json"
  files.write_json(path, {"epoch": [0]})
  with pytest.raises(RuntimeError):
    with files.atomic_write(path) as temp:
      open(temp, "w").write("{\"ep")
      raise RuntimeError("killed")
  assert json.loads(path.read_text()) == {"epoch": [0]}
  assert os.listdir(tmp_path) == ["history.json"]


def test_attribution_and_both_tasks_build_their_heads(tiny_mix, tmp_path):
  run_dir = train_lib.train(tiny_config(tiny_mix, tmp_path / "both", **{
      "model.task": "both", "train.epochs": 1, "train.steps_per_epoch": 1}), verbose=0)
  model = detector.load_model(os.path.join(run_dir, "best.keras"))
  names = config_lib.load(os.path.join(run_dir, "params.yaml")).data.class_names
  assert names[0] == "real"
  assert set(model.output_names) == {"binary", "attribution"}


def test_head_policy_freezes_the_backbone_and_keeps_the_head_trainable():
  config = config_lib.resolve(flags={"model.backbone": "mobilenet", "model.options": {"alpha": 0.25}})
  model = detector.build(config.model, 64, ["real", "synthetic"])
  backbone = detector.backbone_layer_names(model)
  detector.set_trainable(model, "head", pretrained=True)
  assert not any(l.trainable for l in model.layers if l.name in backbone)
  assert model.get_layer("head_dense").trainable and model.get_layer("binary").trainable
  detector.set_trainable(model, "top", pretrained=True)
  trainable = [l.name for l in model.layers if l.name in backbone and l.trainable]
  assert trainable and all(not isinstance(model.get_layer(n), keras.layers.BatchNormalization)
                           for n in trainable)
  assert len(trainable) < len(backbone) / 2


def test_the_detector_is_one_flat_graph():
  config = config_lib.resolve(flags={"model.backbone": "mobilenet", "model.options": {"alpha": 0.25}})
  model = detector.build(config.model, 64, ["real", "synthetic"])
  assert not any(isinstance(l, keras.Model) for l in model.layers)
  model.get_layer("conv_pw_13_relu")  # the backbone's last conv block is a layer of the detector


def test_every_batchnorm_keeps_its_fast_momentum_through_save_and_load(tmp_path):
  config = config_lib.resolve(flags={"model.backbone": "cnn_dct_mask"})
  model = detector.build(config.model, 32, ["real", "synthetic"])
  path = str(tmp_path / "model.keras")
  model.save(path)
  for built in (model, detector.load_model(path)):
    norms = [l for l in built.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert len(norms) > 1 and {l.momentum for l in norms} == {detector.BN_MOMENTUM}
