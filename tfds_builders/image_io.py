"""Safe image decoding shared by the builders and by anything that reads user files.

Every failure becomes a `BadImage` with a reason a person can act on; nothing here
raises anything else for bad bytes. What `decode` gives for the inputs that differ:

- Size: images above `MAX_PIXELS` (89.5 megapixels, where Pillow starts to warn of a
  decompression bomb) are refused from their header, before any pixel is decoded;
  `decode(data, max_pixels=...)` sets another limit, but never above Pillow's own
  (twice that), which stays on.
- Bit depth: 16-bit grey is scaled by its bit depth (value / 257), never by the range
  of the image's own values, so a dark image stays dark; 16-bit colour keeps the high
  byte of each channel, as TF does. 32-bit and float images (their range is unknown)
  are refused.
- Transparency (an alpha channel, a transparent palette entry or colour key) is
  composited onto `BACKGROUND`, white, so a transparent pixel is white rather than
  whatever colour it stores.
- Animations (GIF, WebP, APNG, MPO): the first frame, with a note saying so.
- EXIF orientation is applied (`PIL.ImageOps.exif_transpose`): pixels come out as a
  viewer shows them.
- CMYK and other colour modes are converted to RGB.

`passthrough` is True only when TF decodes the original bytes to the same pixels; any
conversion above makes it False. For JPEG that holds with the accurate integer IDCT
(`tf.io.decode_jpeg(..., dct_method="INTEGER_ACCURATE")`, the one Pillow uses); the
default of `tf.io.decode_image` is the fast IDCT, a few levels off.
"""

import io
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import ExifTags, Image, ImageFile, ImageOps, JpegImagePlugin

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is reported, not padded with grey

PASSTHROUGH_FORMATS = ("JPEG", "PNG")  # formats TF decodes to the pixels Pillow gives
MAX_PIXELS = Image.MAX_IMAGE_PIXELS  # 89,478,485: about 270 MB once decoded to RGB
BACKGROUND = (255, 255, 255)  # what transparent pixels become
MAX_BYTES = 256 * 2 ** 20  # files above this are refused before they are decoded

_WIDE_GREY_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


class BadImage(ValueError):
  """The bytes are not a usable image; `str(error)` says why."""


@dataclass(frozen=True)
class FileTraits:
  """What a file says about itself apart from its pixels (what a shortcut can read)."""

  format: str
  width: int  # as decoded, after the EXIF orientation
  height: int
  bytes_per_pixel: float
  jpeg_quality: int  # estimated from the quantisation tables; -1 when not JPEG
  chroma_subsampling: str  # "4:2:0", "4:2:2", "4:4:4" or "" when not JPEG
  has_exif: bool  # an EXIF block with at least one tag


@dataclass(frozen=True)
class DecodedImage:
  pixels: np.ndarray  # uint8, (height, width, 3)
  traits: FileTraits
  passthrough: bool  # True when TF decodes the original bytes to exactly `pixels` (see above)
  note: str  # "" or what was converted (e.g. "CMYK converted to RGB")


def decode(data: bytes, max_pixels: int = MAX_PIXELS) -> DecodedImage:
  """Decodes any still or animated image to RGB uint8, or raises BadImage."""
  image = _open(data, max_pixels)
  oriented, notes = _oriented(image)
  pixels, conversions = _to_rgb(oriented, image.format)
  notes += conversions
  if getattr(image, "is_animated", False):
    notes.append("animated: first frame used")
  passthrough = image.format in PASSTHROUGH_FORMATS and not notes
  traits = _traits(image, pixels.shape[1], pixels.shape[0], len(data))
  return DecodedImage(pixels, traits, passthrough, ", ".join(notes))


def read_bytes(path, max_bytes: int = MAX_BYTES) -> bytes:
  """The bytes of the file at `path`, or BadImage saying why there are none."""
  if os.path.isdir(path):
    raise BadImage(f"a folder, not an image file ({path}); give the path of one image")
  try:
    with open(path, "rb") as f:
      data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
      raise BadImage(f"file too large (over {max_bytes:,} bytes, the limit)")
    return data
  except FileNotFoundError:
    raise BadImage(f"no such file ({path}); check the path") from None
  except OSError as error:
    raise BadImage(f"cannot read file ({path}: {error.strerror})") from None


def encode_png(pixels: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
  return buffer.getvalue()


def _open(data: bytes, max_pixels: int) -> Image.Image:
  """The loaded first frame, refused when empty, unknown, too large or truncated."""
  if not data:
    raise BadImage("empty file (0 bytes)")
  with warnings.catch_warnings():
    # Pillow warns between its two limits; max_pixels decides instead.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    try:
      image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
      size = f"over {2 * Image.MAX_IMAGE_PIXELS:,} pixels"
      raise BadImage(_too_large(size, max_pixels)) from None
    except Exception:  # Pillow raises many types for non-images
      raise BadImage("not an image (format not recognised)") from None
    if image.width * image.height > max_pixels:
      size = f"{image.width}x{image.height} = {image.width * image.height:,} pixels"
      raise BadImage(_too_large(size, max_pixels))
    try:
      image.load()
    except Image.DecompressionBombError:  # a frame larger than the header said
      raise BadImage(_too_large(f"a frame over {2 * Image.MAX_IMAGE_PIXELS:,} pixels",
                                max_pixels)) from None
    except Exception as error:
      raise BadImage(f"truncated or corrupt {image.format} ({error})") from None
  if image.width == 0 or image.height == 0:
    raise BadImage("image has no pixels")
  return image


def _too_large(size: str, max_pixels: int) -> str:
  return (f"too large to decode safely ({size}, above the limit of {max_pixels:,} pixels; "
          "downscale the file, or raise max_pixels if it is trusted)")


def _oriented(image: Image.Image) -> tuple[Image.Image, list]:
  """The image as a viewer shows it, and a note when its EXIF orientation was applied."""
  orientation = _exif(image).get(ExifTags.Base.Orientation, 1)
  if orientation not in range(2, 9):
    return image, []
  return ImageOps.exif_transpose(image), [f"EXIF orientation {orientation} applied"]


def _exif(image: Image.Image) -> dict:
  try:
    return dict(image.getexif())
  except Exception:  # a malformed EXIF block is ignored, as tf.io.decode_image ignores it
    return {}


def _to_rgb(image: Image.Image, file_format: str) -> tuple[np.ndarray, list]:
  """RGB uint8 pixels and the conversions that made them (none for 8-bit opaque RGB)."""
  mode, notes = image.mode, []
  if mode in _WIDE_GREY_MODES:
    image, notes = _grey_from_16_bit(image), [f"16-bit grey ({file_format}) scaled to 8-bit"]
  elif mode in ("I", "F"):
    kind = "wide integer" if mode == "I" else "floating-point"
    raise BadImage(f"unsupported pixel format ({kind} {file_format}, range unknown); "
                   "save it as 8- or 16-bit")
  if image.mode in _ALPHA_MODES or "transparency" in image.info:
    return _on_background(image), notes + [f"{mode} transparency composited onto white"]
  if image.mode == "RGB":
    return np.asarray(image), notes
  try:
    return np.asarray(image.convert("RGB")), notes + [f"{mode} converted to RGB"]
  except ValueError:
    raise BadImage(f"unsupported pixel format ({mode}); save it as RGB") from None


def _grey_from_16_bit(image: Image.Image) -> Image.Image:
  wide = np.asarray(image, dtype=np.float64)
  grey = Image.fromarray(np.round(wide / 257.0).astype(np.uint8), "L")  # 65535 / 257 = 255
  transparent = image.info.get("transparency")
  if isinstance(transparent, int):  # the colour key is a 16-bit value: match it before scaling
    grey.putalpha(Image.fromarray(np.where(wide == transparent, 0, 255).astype(np.uint8), "L"))
  return grey


def _on_background(image: Image.Image) -> np.ndarray:
  rgba = image.convert("RGBA")
  background = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
  return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))


def _traits(image: Image.Image, width: int, height: int, n_bytes: int) -> FileTraits:
  is_jpeg = image.format == "JPEG"
  return FileTraits(
      format=image.format or "UNKNOWN",
      width=width,
      height=height,
      bytes_per_pixel=n_bytes / float(width * height),
      jpeg_quality=estimate_jpeg_quality(image) if is_jpeg else -1,
      chroma_subsampling=_subsampling(image) if is_jpeg else "",
      # TIFF tags count as EXIF to Pillow: only an embedded block is EXIF here.
      has_exif=bool(image.info.get("exif")) and bool(_exif(image)),
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
