"""Training curves: accuracy and loss per epoch, train beside validation."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from keras_detect import files  # noqa: E402


def save_curves(rows: list, path: str, head_epochs: int = 0) -> str:
  """rows: one dict per epoch from the CSV logs (keys like loss, val_loss, accuracy, ...),
  the `head_epochs` of a head phase first; the epochs are numbered across both phases."""
  epochs = list(range(1, len(rows) + 1))
  keys = sorted({k for r in rows for k in r})
  panels = [k for k in ("accuracy", "loss") if any(key.endswith(k) for key in keys)]
  fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(5 * max(len(panels), 1), 3.6),
                           squeeze=False)
  for ax, panel in zip(axes[0], panels):
    for key in keys:
      if key.endswith(panel) and key != "learning_rate":
        ax.plot(epochs, [r.get(key) for r in rows], marker="o",
                linestyle="--" if key.startswith("val_") else "-", label=key)
    if head_epochs and head_epochs < len(rows):
      ax.axvline(head_epochs + 0.5, color="gray", linestyle=":", label="fine-tuning starts")
    ax.set_xlabel("epoch")
    ax.set_title(panel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
  fig.tight_layout()
  with files.atomic_write(path) as temp:
    fig.savefig(temp, dpi=100)
  plt.close(fig)
  return path
