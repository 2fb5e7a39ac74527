"""Image decoding: one real file per kind of input, each with the answer it must give."""

import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tfds_builders import image_io

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def write(tmp_path, name, image, **options):
  """Saves a Pillow image as tmp_path/name and returns the file's bytes as a reader gets them."""
  path = tmp_path / name
  image.save(path, **options)
  return image_io.read_bytes(path)


def noise(width, height, seed=0):
  return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (height, width, 3),
                                                              dtype=np.uint8))


def png_chunk(kind: bytes, payload: bytes) -> bytes:
  return (struct.pack(">I", len(payload)) + kind + payload
          + struct.pack(">I", zlib.crc32(kind + payload)))


def black_1_bit_png(width, height) -> bytes:
  """A valid 1-bit PNG of width × height, compressed row by row: a few KB for any size, so
  the test never holds the image decoded."""
  row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then 8 pixels a byte
  compressor = zlib.compressobj(9)
  body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
  return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0,
                                                                0, 0, 0))
          + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b""))


def grey_16_bit_png(tmp_path, values, **options) -> bytes:
  return write(tmp_path, "grey16.png", Image.fromarray(np.asarray(values, np.uint16)), **options)


def rotated_jpeg(tmp_path, orientation=6) -> bytes:
  """40×20 JPEG in quadrants (top: red, green; bottom: blue, white) with an EXIF orientation."""
  pixels = np.zeros((20, 40, 3), np.uint8)
  pixels[:10, :20], pixels[:10, 20:], pixels[10:, :20], pixels[10:, 20:] = RED, GREEN, BLUE, WHITE
  exif = Image.Exif()
  exif[0x0112] = orientation
  return write(tmp_path, "rotated.jpg", Image.fromarray(pixels), quality=95, subsampling=0,
               exif=exif.tobytes())


def rgba_png(tmp_path) -> bytes:
  pixels = np.array([[[10, 20, 30, 0], [0, 0, 0, 128], [200, 100, 50, 255]]], np.uint8)
  return write(tmp_path, "rgba.png", Image.fromarray(pixels, "RGBA"))


def palette_png_with_transparency(tmp_path) -> bytes:
  image = Image.new("P", (4, 1))
  image.putpalette([0, 0, 0, *RED] + [0] * 762)
  image.putdata([0, 1, 0, 1])
  return write(tmp_path, "palette.png", image, transparency=0)


def animated(tmp_path, file_format, **options) -> bytes:
  frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, GREEN, BLUE)]
  return write(tmp_path, f"animated.{file_format.lower()}", frames[0], format=file_format,
               save_all=True, append_images=frames[1:], duration=100, loop=0, **options)


def cmyk_jpeg(tmp_path) -> bytes:
  """Left half pure red in CMYK (0, 255, 255, 0), right half 50% black (0, 0, 0, 128)."""
  pixels = np.zeros((16, 32, 4), np.uint8)
  pixels[:, :16] = (0, 255, 255, 0)
  pixels[:, 16:] = (0, 0, 0, 128)
  return write(tmp_path, "cmyk.jpg", Image.fromarray(pixels, "CMYK"), quality=95)


def jpeg_with_exif(tmp_path, exif: Image.Exif) -> bytes:
  return write(tmp_path, "exif.jpg", noise(8, 8), quality=90, exif=exif.tobytes())


# --- inputs that are not a usable image ---------------------------------------------------

def test_zero_byte_file_is_an_empty_file(tmp_path):
  (tmp_path / "empty.jpg").write_bytes(b"")
  with pytest.raises(image_io.BadImage, match="empty file"):
    image_io.decode(image_io.read_bytes(tmp_path / "empty.jpg"))


def test_text_file_is_not_an_image(tmp_path):
  (tmp_path / "notes.jpg").write_text("a caption, not a picture\n")
  with pytest.raises(image_io.BadImage, match="not an image"):
    image_io.decode(image_io.read_bytes(tmp_path / "notes.jpg"))


@pytest.mark.parametrize("name", ["cut.jpg", "cut.png"])
def test_truncated_file_is_reported_as_truncated(tmp_path, name):
  data = write(tmp_path, name, noise(64, 64))
  with pytest.raises(image_io.BadImage, match="truncated or corrupt"):
    image_io.decode(data[:len(data) // 2])


def test_missing_path_says_no_such_file(tmp_path):
  with pytest.raises(image_io.BadImage, match="no such file .*gone.jpg"):
    image_io.read_bytes(tmp_path / "gone.jpg")


def test_folder_path_says_it_is_a_folder(tmp_path):
  with pytest.raises(image_io.BadImage, match="a folder, not an image file"):
    image_io.read_bytes(tmp_path)


def test_decompression_bomb_is_refused_with_the_limit(tmp_path):
  (tmp_path / "bomb.png").write_bytes(black_1_bit_png(20_000, 20_000))  # 400 MP in ~50 KB
  data = image_io.read_bytes(tmp_path / "bomb.png")
  assert len(data) < 100_000
  with pytest.raises(image_io.BadImage, match=f"too large .*{image_io.MAX_PIXELS:,} pixels"):
    image_io.decode(data)


def test_image_between_pillow_warning_and_error_is_refused_above_max_pixels(tmp_path):
  (tmp_path / "100mp.png").write_bytes(black_1_bit_png(10_000, 10_000))
  with pytest.raises(image_io.BadImage,
                     match=f"10000x10000 .*above the limit of {image_io.MAX_PIXELS:,} pixels"):
    image_io.decode(image_io.read_bytes(tmp_path / "100mp.png"))


def test_max_pixels_is_the_largest_size_decoded(tmp_path):
  data = write(tmp_path, "8x8.png", noise(8, 8))
  assert image_io.decode(data, max_pixels=64).pixels.shape == (8, 8, 3)
  with pytest.raises(image_io.BadImage, match="above the limit of 63 pixels"):
    image_io.decode(data, max_pixels=63)


def test_float_tiff_is_refused_rather_than_guessed(tmp_path):
  data = write(tmp_path, "float.tif", Image.fromarray(np.array([[0.1, 0.9]], np.float32)))
  with pytest.raises(image_io.BadImage, match="unsupported pixel format .*floating-point"):
    image_io.decode(data)


# --- inputs that decode, each to a known answer -------------------------------------------

def test_cmyk_jpeg_decodes_to_the_rgb_colours(tmp_path):
  decoded = image_io.decode(cmyk_jpeg(tmp_path))
  np.testing.assert_allclose(decoded.pixels[8, 8], RED, atol=8)
  np.testing.assert_allclose(decoded.pixels[8, 24], (127, 127, 127), atol=8)
  assert "CMYK converted to RGB" in decoded.note


def test_16_bit_grey_png_is_scaled_by_bit_depth(tmp_path):
  decoded = image_io.decode(grey_16_bit_png(tmp_path, [[0, 32896, 65535]]))
  np.testing.assert_array_equal(decoded.pixels[0, :, 0], [0, 128, 255])


@pytest.mark.parametrize("values,expected", [([0, 200, 1000], [0, 1, 4]),
                                             ([0, 100, 200], [0, 0, 1])])
def test_dark_16_bit_grey_png_stays_dark(tmp_path, values, expected):
  decoded = image_io.decode(grey_16_bit_png(tmp_path, [values]))
  np.testing.assert_array_equal(decoded.pixels[0, :, 0], expected)


def test_16_bit_grey_png_colour_key_becomes_the_background(tmp_path):
  decoded = image_io.decode(grey_16_bit_png(tmp_path, [[300, 1000]], transparency=1000))
  np.testing.assert_array_equal(decoded.pixels[0], [(1, 1, 1), WHITE])


def test_palette_png_transparent_entry_becomes_the_background(tmp_path):
  decoded = image_io.decode(palette_png_with_transparency(tmp_path))
  np.testing.assert_array_equal(decoded.pixels[0], [WHITE, RED, WHITE, RED])


def test_rgba_png_is_composited_onto_white(tmp_path):
  decoded = image_io.decode(rgba_png(tmp_path))
  assert tuple(decoded.pixels[0, 0]) == WHITE == image_io.BACKGROUND
  half_transparent_black = decoded.pixels[0, 1]
  np.testing.assert_allclose(half_transparent_black, (127, 127, 127), atol=1)
  assert tuple(decoded.pixels[0, 2]) == (200, 100, 50)
  assert not decoded.passthrough


@pytest.mark.parametrize("file_format,options", [("GIF", {}), ("WEBP", {"lossless": True})])
def test_animation_decodes_its_first_frame_and_says_so(tmp_path, file_format, options):
  decoded = image_io.decode(animated(tmp_path, file_format, **options))
  np.testing.assert_allclose(decoded.pixels[8, 8], RED, atol=4)  # frames 2 and 3: green, blue
  assert "first frame used" in decoded.note
  assert not decoded.passthrough


def test_exif_orientation_is_applied(tmp_path):
  decoded = image_io.decode(rotated_jpeg(tmp_path, orientation=6))  # 90° clockwise to view
  assert decoded.pixels.shape == (40, 20, 3)
  assert (decoded.traits.width, decoded.traits.height) == (20, 40)
  # Viewed, the left column of the file is the top row, its top row the right column.
  for (y, x), colour in {(10, 5): BLUE, (10, 15): RED, (30, 5): WHITE, (30, 15): GREEN}.items():
    np.testing.assert_allclose(decoded.pixels[y, x], colour, atol=40)
  assert "EXIF orientation 6 applied" in decoded.note
  assert not decoded.passthrough


def test_empty_exif_block_is_no_exif(tmp_path):
  assert not image_io.decode(jpeg_with_exif(tmp_path, Image.Exif())).traits.has_exif


def test_exif_with_a_tag_is_exif(tmp_path):
  exif = Image.Exif()
  exif[0x010F] = "Camera maker"
  assert image_io.decode(jpeg_with_exif(tmp_path, exif)).traits.has_exif


def test_no_exif_block_is_no_exif(tmp_path):
  assert not image_io.decode(write(tmp_path, "plain.jpg", noise(8, 8))).traits.has_exif


def test_tiff_tags_are_not_exif(tmp_path):
  assert not image_io.decode(write(tmp_path, "plain.tif", noise(8, 8))).traits.has_exif


FILES = {
    "rgb_jpeg": (lambda tmp: write(tmp, "a.jpg", noise(24, 16), quality=85), True),
    "rgb_png": (lambda tmp: write(tmp, "a.png", noise(24, 16)), True),
    "rotated_jpeg": (rotated_jpeg, False),
    "rgba_png": (rgba_png, False),
    "palette_png": (palette_png_with_transparency, False),
    "cmyk_jpeg": (cmyk_jpeg, False),
    "grey_16_bit_png": (lambda tmp: grey_16_bit_png(tmp, [[0, 1000, 65535]]), False),
    "animated_gif": (lambda tmp: animated(tmp, "GIF"), False),
}


def tf_pixels(data: bytes) -> np.ndarray:
  if data[:2] == b"\xff\xd8":  # JPEG: the accurate IDCT, as Pillow decodes
    return tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE").numpy()
  return tf.io.decode_image(data, channels=3, expand_animations=False).numpy()


@pytest.mark.parametrize("kind", FILES)
def test_passthrough_only_where_tensorflow_decodes_the_same_pixels(tmp_path, kind):
  make, expected = FILES[kind]
  data = make(tmp_path)
  decoded = image_io.decode(data)
  assert decoded.passthrough == expected
  if expected:
    np.testing.assert_array_equal(tf_pixels(data), decoded.pixels)
