"""Dataset views: what a detector looks at per class, and what each source's spectrum holds.

- `mean_maps`: the mean heat map of one method per class over many crops. Content averages
  out over a split; what stays is where the model looks regardless of content (borders,
  a fixed grid of upsampling artefacts, the centre).
- `fingerprints`: the mean log-magnitude 2-D DCT spectrum per group (source or generator)
  of grayscale crops at the model's inference scale. Periodic generator traces show as
  peaks or a grid away from the low frequencies (top left); JPEG shows as 8×8 structure.
"""

import keras
import numpy as np
from scipy import fft

DCT_EPSILON = 1e-3  # keeps log |c| finite where a coefficient is exactly zero
STRETCH_PERCENTILES = (1.0, 99.0)
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as Pillow's "L"


def mean_maps(examples, explain_map, total: int = 0) -> dict:
  """{class: (mean map, count)} over (crop, class) pairs; `explain_map(crop) -> [S, S]`."""
  sums, counts = {}, {}
  bar = keras.utils.Progbar(total or None, unit_name="image")
  for crop, name in examples:
    heatmap = np.asarray(explain_map(crop), np.float64)
    sums[name] = sums.get(name, 0.0) + heatmap
    counts[name] = counts.get(name, 0) + 1
    bar.add(1)
  bar.update(sum(counts.values()), finalize=True)
  return {name: (sums[name] / counts[name], counts[name]) for name in sorted(sums)}


def dct_spectrum(crop: np.ndarray) -> np.ndarray:
  """[S, S, 3] (0..255) → log |DCT-II| [S, S] of its grayscale, orthonormal."""
  gray = np.asarray(crop, np.float64) @ LUMA
  return np.log(np.abs(fft.dctn(gray, type=2, norm="ortho")) + DCT_EPSILON)


def fingerprints(examples, total: int = 0) -> dict:
  """{group: (mean log-magnitude spectrum, count)} over (crop, group) pairs."""
  return mean_maps(examples, dct_spectrum, total)


def contrast_stretch(values: np.ndarray, percentiles=STRETCH_PERCENTILES) -> np.ndarray:
  """Clips to the given percentiles and scales to [0, 1]."""
  low, high = np.percentile(values, percentiles)
  if high <= low:
    return np.zeros(np.shape(values), np.float32)
  return np.clip((values - low) / (high - low), 0.0, 1.0).astype(np.float32)
