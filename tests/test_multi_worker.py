"""Training on two local workers (MultiWorkerMirroredStrategy over TF_CONFIG): datasets
shard by data, one run directory that only the chief writes, and a resume after both
workers were killed."""

import csv
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import tensorflow as tf

from keras_detect import callbacks, data


def free_ports(count: int) -> list:
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def start_workers(tiny_mix, tmp_path, run_dir, epochs: int) -> list:
  """Both workers of a two-worker cluster, each with its own temporary folder and log."""
  data.prepare(data.load_mix(tiny_mix.mix).sources, tiny_mix.manual_dir, tiny_mix.data_dir)
  cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
  command = [sys.executable, "-m", "keras_detect.fit", "--mix", tiny_mix.mix,
             "--manual-dir", tiny_mix.manual_dir, "--data-dir", tiny_mix.data_dir,
             "--image-size", "32", "--batch-size", "8", "--backbone", "simplenet",
             "--epochs", str(epochs), "--steps-per-epoch", "2", "--run-dir", str(run_dir),
             "--strategy", "multi_worker", "--set", "train.tensorboard=false"]
  workers = []
  for index in range(2):
    temp = tmp_path / f"worker{index}-tmp"
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp), "CUDA_VISIBLE_DEVICES": "-1",
           "TF_CPP_MIN_LOG_LEVEL": "2",
           "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker",
                                                                 "index": index}})}
    with open(tmp_path / f"worker{index}.log", "a") as log:
      workers.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
  return workers


def wait_for(workers, tmp_path, timeout: float = 600) -> None:
  for index, worker in enumerate(workers):
    try:
      code = worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
      code = "timeout"
    if code != 0:
      for other in workers:
        other.kill()
      log = (tmp_path / f"worker{index}.log").read_text()[-3000:]
      pytest.fail(f"worker {index} ended with {code}:\n{log}")


def csv_epochs(run_dir) -> list:
  """Every row of the CSV log as written, repeats included."""
  with open(run_dir / "log_backup.csv") as f:
    return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_every_dataset_shards_by_data_across_workers(tiny_mix):
  mix = data.load_mix(tiny_mix.mix)
  builders = data.prepare(mix.sources, tiny_mix.manual_dir, tiny_mix.data_dir)
  for training in (True, False):
    ds = data.make_dataset(mix, builders, "validation", image_size=32, batch_size=8,
                           training=training)
    policy = ds.options().experimental_distribute.auto_shard_policy
    assert policy == tf.data.experimental.AutoShardPolicy.DATA


@pytest.mark.slow
def test_two_workers_train_one_run_directory_that_only_the_chief_writes(tiny_mix, tmp_path):
  run_dir = tmp_path / "run"
  wait_for(start_workers(tiny_mix, tmp_path, run_dir, epochs=2), tmp_path)

  for name in ("params.yaml", "best.keras", "history.json", "state.json", "curves.png"):
    assert (run_dir / name).stat().st_size > 0, name
  assert (run_dir / "backup" / "latest.weights.h5").is_file()
  # The CSV logger appends: a second writer would have added its own row for each epoch.
  assert csv_epochs(run_dir) == [0, 1]
  assert json.loads((run_dir / "history.json").read_text())["epoch"] == [0, 1]
  params = (run_dir / "params.yaml").read_text()
  assert "batch_size: 8" in params and "strategy: multi_worker" in params
  # The other worker wrote its own copy in a temporary folder, removed when it ended.
  assert os.listdir(tmp_path / "worker1-tmp") == []


@pytest.mark.slow
def test_a_killed_two_worker_run_resumes_where_it_stopped(tiny_mix, tmp_path):
  run_dir = tmp_path / "run"
  workers = start_workers(tiny_mix, tmp_path, run_dir, epochs=1000)
  try:
    for _ in range(1200):  # until two epochs are logged (or a worker has failed)
      if len(callbacks.read_log(str(run_dir))) >= 2 or any(w.poll() is not None for w in workers):
        break
      time.sleep(0.5)
    assert all(w.poll() is None for w in workers), (tmp_path / "worker0.log").read_text()[-3000:]
  finally:
    # The other worker first: told that the chief is gone, it would remove its copy.
    for worker in reversed(workers):
      worker.kill()
      worker.wait()
  logged = len(callbacks.read_log(str(run_dir)))
  assert logged >= 2
  # Killed, the other worker left its copy: it backed up there, not in the run directory.
  copies = list((tmp_path / "worker1-tmp").glob("keras-detect-worker-*"))
  assert [(copy / "backup" / "latest.weights.h5").is_file() for copy in copies] == [True]
  before = len(csv_epochs(run_dir))

  wait_for(start_workers(tiny_mix, tmp_path, run_dir, epochs=logged + 2), tmp_path)
  # The backup is written just before the log row, so the kill may fall between the two.
  resumed = csv_epochs(run_dir)[before:]
  assert resumed in ([logged, logged + 1], [logged + 1])
  assert json.loads((run_dir / "history.json").read_text())["epoch"][-1] == logged + 1
  assert json.loads((run_dir / "state.json").read_text())["epochs"] == logged + 2
