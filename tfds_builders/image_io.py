"""Safe image decoding shared by the builders and by anything that reads user files.

Every failure becomes a `BadImage` with a reason a person can act on; nothing here
raises anything else for bad bytes. Pillow's decompression-bomb limit stays on.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, JpegImagePlugin

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is reported, not padded with grey

PASSTHROUGH_FORMATS = ("JPEG", "PNG")  # formats tf.io.decode_image reads byte-exactly


class BadImage(ValueError):
  """The bytes are not a usable image; `str(error)` says why."""


@dataclass(frozen=True)
class FileTraits:
  """What a file says about itself apart from its pixels (what a shortcut can read)."""

  format: str
  width: int
  height: int
  bytes_per_pixel: float
  jpeg_quality: int  # estimated from the quantisation tables; -1 when not JPEG
  chroma_subsampling: str  # "4:2:0", "4:2:2", "4:4:4" or "" when not JPEG
  has_exif: bool


@dataclass(frozen=True)
class DecodedImage:
  pixels: np.ndarray  # uint8, (height, width, 3)
  traits: FileTraits
  passthrough: bool  # True when the original bytes decode to exactly `pixels` in TF
  note: str  # "" or what was converted (e.g. "CMYK converted to RGB")


def decode(data: bytes) -> DecodedImage:
  """Decodes any still or animated image to RGB uint8, or raises BadImage."""
  if not data:
    raise BadImage("empty file (0 bytes)")
  try:
    image = Image.open(io.BytesIO(data))
  except Image.DecompressionBombError as error:
    raise BadImage(f"too large to decode safely ({error})") from None
  except Exception:  # Pillow raises many types for non-images
    raise BadImage("not an image (format not recognised)") from None
  try:
    image.load()
  except Image.DecompressionBombError as error:
    raise BadImage(f"too large to decode safely ({error})") from None
  except Exception as error:
    raise BadImage(f"truncated or corrupt {image.format} ({error})") from None
  if image.width == 0 or image.height == 0:
    raise BadImage("image has no pixels")
  pixels, note = _to_rgb(image)
  animated = getattr(image, "n_frames", 1) > 1
  if animated:
    note = ", ".join(filter(None, [note, "animated: first frame used"]))
  passthrough = image.format in PASSTHROUGH_FORMATS and image.mode == "RGB" and not animated
  return DecodedImage(pixels, _traits(image, len(data)), passthrough, note)


def read_bytes(path) -> bytes:
  try:
    with open(path, "rb") as f:
      return f.read()
  except OSError as error:
    raise BadImage(f"cannot read file ({error.strerror})") from None


def decode_file(path) -> DecodedImage:
  return decode(read_bytes(path))


def encode_png(pixels: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
  return buffer.getvalue()


def _to_rgb(image: Image.Image) -> tuple[np.ndarray, str]:
  mode = image.mode
  if mode == "RGB":
    return np.asarray(image), ""
  if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
    wide = np.asarray(image, dtype=np.float64)
    scale = 257.0 if wide.max(initial=0) > 255 else 1.0  # 16-bit -> 8-bit
    grey = np.clip(wide / scale, 0, 255).astype(np.uint8)
    return np.repeat(grey[..., None], 3, axis=-1), f"{mode} ({image.format}) converted to 8-bit RGB"
  if mode == "P" and "transparency" in image.info:
    image = image.convert("RGBA")
  return np.asarray(image.convert("RGB")), f"{mode} converted to RGB"


def _traits(image: Image.Image, n_bytes: int) -> FileTraits:
  is_jpeg = image.format == "JPEG"
  return FileTraits(
      format=image.format or "UNKNOWN",
      width=image.width,
      height=image.height,
      bytes_per_pixel=n_bytes / float(image.width * image.height),
      jpeg_quality=estimate_jpeg_quality(image) if is_jpeg else -1,
      chroma_subsampling=_subsampling(image) if is_jpeg else "",
      has_exif=bool(image.info.get("exif")) or "exif" in image.info,
  )


# IJG standard luminance table (quality 50); scaled tables identify the quality.
_IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.float64)


def estimate_jpeg_quality(image: Image.Image) -> int:
  """Returns the IJG quality (1-100) whose luminance table is closest to the file's."""
  tables = getattr(image, "quantization", None) or {}
  if 0 not in tables:
    return -1
  # Pillow returns the table in zigzag order on some versions; sorting makes the
  # comparison order-free, which is enough to rank qualities.
  luma = np.sort(np.asarray(tables[0], dtype=np.float64))
  best, best_error = -1, np.inf
  for quality in range(1, 101):
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    candidate = np.sort(np.clip(np.floor((_IJG_LUMA * scale + 50) / 100), 1, 255))
    error = np.abs(candidate - luma).sum()
    if error < best_error:
      best, best_error = quality, error
  return best


def _subsampling(image: Image.Image) -> str:
  try:
    code = JpegImagePlugin.get_sampling(image)
  except Exception:
    return ""
  return {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}.get(code, "other")
