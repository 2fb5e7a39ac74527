"""Where training runs: one device, several on this machine, or several workers.

With train.strategy multi_worker every worker runs the same config; the chief writes the
run directory and the others work on a temporary copy of it (worker_dir).
"""

import os
import shutil
import tempfile

import tensorflow as tf

from keras_detect.errors import UserError


def strategy(name: str):
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    if "TF_CONFIG" not in os.environ:
      raise UserError("--strategy multi_worker needs TF_CONFIG describing the cluster "
                      "(see tf.distribute.MultiWorkerMirroredStrategy).")
    return MultiWorkerStrategy()
  return tf.distribute.get_strategy()


class MultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
  """MultiWorkerMirroredStrategy with the `reduce` Keras 3.15's fit expects: Keras reduces
  each step's (scalar) losses and metrics with axis=0, and its first (x, y) batch in one
  call; this strategy takes neither. Here each value is reduced alone, a scalar across
  replicas."""

  def reduce(self, reduce_op, value, axis):
    def one(v):
      scalar = self.experimental_local_results(v)[0].shape.rank == 0
      return super(MultiWorkerStrategy, self).reduce(reduce_op, v, None if scalar else axis)
    return tf.nest.map_structure(one, value)


def is_chief(strategy) -> bool:
  """Whether this worker writes the run directory: task 0, a chief task, or the only one."""
  resolver = strategy.cluster_resolver
  if resolver is None or resolver.task_type in (None, "chief"):
    return True
  return resolver.task_type == "worker" and resolver.task_id == 0


def sync_workers(strategy) -> None:
  """Returns when every worker of the cluster got here (a sum across the workers)."""
  if strategy.cluster_resolver is not None:
    strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)


def worker_dir(run_dir: str) -> str:
  """A temporary copy of the chief's run directory (TensorBoard logs left out): a worker
  other than the chief resumes from its backup there and saves there, since every worker
  must save (saving may read variables through collectives; see the Keras multi-worker
  guide) and only the chief writes the run directory."""
  work_dir = tempfile.mkdtemp(prefix="keras-detect-worker-")
  if os.path.isdir(run_dir):
    shutil.copytree(run_dir, work_dir, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("logs", ".tmp-*"))
  return work_dir
