"""Training curves: accuracy and loss per epoch, train beside validation."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def save_curves(rows: list, path: str) -> str:
  """rows: one dict per epoch from the CSV log (keys like loss, val_loss, accuracy, ...)."""
  epochs = [int(r["epoch"]) + 1 for r in rows]
  keys = sorted({k for r in rows for k in r})
  panels = [k for k in ("accuracy", "loss") if any(key.endswith(k) for key in keys)]
  fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(5 * max(len(panels), 1), 3.6),
                           squeeze=False)
  for ax, panel in zip(axes[0], panels):
    for key in keys:
      if key.endswith(panel) and key != "learning_rate":
        ax.plot(epochs, [r.get(key) for r in rows], marker="o",
                linestyle="--" if key.startswith("val_") else "-", label=key)
    ax.set_xlabel("epoch")
    ax.set_title(panel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=100)
  plt.close(fig)
  return path
