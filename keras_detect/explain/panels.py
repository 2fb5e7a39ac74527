"""Figures as small PNGs: a grid of labelled rows of images, and the sanity check's chart.

A grid cell holds an RGB image (uint8 [H, W, 3]: a crop or an overlay) or a 2-D map, drawn
in a colormap scaled to [0, 1]. Rows are the models of a comparison, the methods of a
sanity check, or the classes of a dataset view.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from keras_detect import explain  # noqa: E402

CELL_INCHES = 1.45
TITLE_INCHES = 0.45  # above each row: up to three lines of cell titles
HEADER_INCHES = 0.25  # the figure title
LABEL_INCHES = 0.25  # left of each row: its label, rotated
DPI = 100
FONT_SIZE = 6.5
MAP_COLORMAP = "magma"
WRAP_AT = 22  # longer cell titles break at an underscore near their middle


def grid(rows, path: str, title: str = "", colormap: str = MAP_COLORMAP) -> str:
  """rows: [(row label, [(cell title, image), ...]), ...] → one PNG at `path`."""
  columns = max(len(cells) for _, cells in rows)
  labelled = any(label for label, _ in rows)
  width = CELL_INCHES * columns + (LABEL_INCHES if labelled else 0)
  height = (CELL_INCHES + TITLE_INCHES) * len(rows) + (HEADER_INCHES if title else 0)
  fig, axes = plt.subplots(len(rows), columns, squeeze=False, figsize=(width, height))
  for axes_row, (label, cells) in zip(axes, rows):
    for ax in axes_row:
      ax.axis("off")
    for ax, (cell_title, image) in zip(axes_row, cells):
      _draw(ax, np.asarray(image), colormap)
      ax.set_title(_wrapped(cell_title), fontsize=FONT_SIZE)
    if label:
      axes_row[0].text(-0.06, 0.5, label, transform=axes_row[0].transAxes, rotation=90,
                       ha="right", va="center", fontsize=FONT_SIZE + 0.5)
  if title:
    fig.suptitle(title, fontsize=FONT_SIZE + 1.5)
  left = LABEL_INCHES / width if labelled else 0
  fig.tight_layout(pad=0.2, rect=(left, 0, 1, 1 - (HEADER_INCHES / height if title else 0)))
  fig.savefig(path, dpi=DPI)
  plt.close(fig)
  return path


def correlation_chart(rows, threshold: float, path: str, title: str = "") -> str:
  """Mean Spearman ρ per method (bars, red where flagged) and each image's ρ (dots)."""
  fig, ax = plt.subplots(figsize=(0.45 * len(rows) + 1.4, 2.6))
  positions = np.arange(len(rows))
  ax.bar(positions, [r.mean_rho or 0.0 for r in rows], width=0.6,
         color=["tab:red" if r.flagged else "tab:blue" for r in rows])
  for position, row in zip(positions, rows):
    defined = [rho for rho in row.rho if rho is not None]
    ax.plot([position] * len(defined), defined, "k.", markersize=3)
  for level in (threshold, -threshold):
    ax.axhline(level, color="grey", linestyle="--", linewidth=0.8)
  ax.axhline(0, color="black", linewidth=0.6)
  ax.set_xticks(positions, [r.method for r in rows], rotation=60, ha="right",
                fontsize=FONT_SIZE + 0.5)
  ax.set_ylim(-1.05, 1.05)
  ax.set_ylabel("Spearman ρ, trained vs re-initialised", fontsize=FONT_SIZE + 0.5)
  ax.tick_params(axis="y", labelsize=FONT_SIZE)
  if title:
    ax.set_title(title, fontsize=FONT_SIZE + 1.5)
  fig.tight_layout(pad=0.3)
  fig.savefig(path, dpi=DPI + 20)
  plt.close(fig)
  return path


def explanation_row(crop, title: str, maps: dict, label: str = "") -> tuple:
  """One model's row: the crop, then one overlay per method."""
  cells = [(title, crop)]
  cells += [(method, explain.overlay(crop, heatmap, explain.colormap_for(method)))
            for method, heatmap in maps.items()]
  return label, cells


def caption(scores: dict) -> str:
  """"synthetic p=0.93", and the generator of attribution models."""
  text = f"{scores['label']} p={scores['probability']:.2f}"
  return f"{text}\n{scores['generator']}" if scores.get("generator") else text


def _draw(ax, image: np.ndarray, colormap: str) -> None:
  if image.ndim == 2:
    ax.imshow(image, cmap=colormap, vmin=0.0, vmax=1.0)
  else:
    ax.imshow(np.clip(image, 0, 255).astype(np.uint8))


def _wrapped(title: str) -> str:
  lines = []
  for line in title.split("\n"):
    breaks = [i for i, c in enumerate(line) if c == "_"]
    if len(line) > WRAP_AT and breaks:
      middle = min(breaks, key=lambda i: abs(i - len(line) / 2))
      line = line[:middle + 1] + "\n" + line[middle + 1:]
    lines.append(line)
  return "\n".join(lines)
