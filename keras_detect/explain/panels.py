"""Figures as small PNGs: every figure is a grid of labelled rows of images.

A cell holds an RGB image (uint8 [H, W, 3]: a crop or an overlay) or a 2-D map, drawn in
a colormap scaled to [0, 1]. Rows are the models of a comparison, the methods of a sanity
check, or the classes of a dataset view.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from keras_detect import explain  # noqa: E402

CELL_INCHES = 1.45
DPI = 100
MAP_COLORMAP = "magma"


def grid(rows, path: str, title: str = "", colormap: str = MAP_COLORMAP) -> str:
  """rows: [(row label, [(cell title, image), ...]), ...] → one PNG at `path`."""
  columns = max(len(cells) for _, cells in rows)
  fig, axes = plt.subplots(len(rows), columns, squeeze=False,
                           figsize=(CELL_INCHES * columns, CELL_INCHES * len(rows) + 0.35))
  for axes_row, (label, cells) in zip(axes, rows):
    for ax in axes_row:
      ax.axis("off")
    for ax, (cell_title, image) in zip(axes_row, cells):
      image = np.asarray(image)
      if image.ndim == 2:
        ax.imshow(image, cmap=colormap, vmin=0.0, vmax=1.0)
      else:
        ax.imshow(np.clip(image, 0, 255).astype(np.uint8))
      ax.set_title(cell_title, fontsize=6.5)
    if label:
      axes_row[0].text(-0.08, 0.5, label, transform=axes_row[0].transAxes, rotation=90,
                       ha="right", va="center", fontsize=6.5)
  if title:
    fig.suptitle(title, fontsize=8)
  fig.tight_layout(pad=0.3)
  fig.savefig(path, dpi=DPI)
  plt.close(fig)
  return path


def explanation_row(crop, caption: str, maps: dict) -> tuple:
  """One model's row: the crop, then one overlay per method."""
  cells = [(caption, crop)]
  cells += [(method, explain.overlay(crop, heatmap, explain.colormap_for(method)))
            for method, heatmap in maps.items()]
  return "", cells


def caption(scores: dict, model_name: str = "") -> str:
  """"synthetic p=0.93" (and the generator of attribution models), under a model name."""
  text = f"{scores['label']} p={scores['probability']:.2f}"
  if scores.get("generator"):
    text += f"\n{scores['generator']}"
  return f"{model_name}\n{text}" if model_name else text
