"""What every keras-detect builder shares: the feature spec, leak-free splits, safe decoding.

A builder for a folder of images names its folder and, where the data has structure
(grids, photo/fake pairs), how a file maps to tiles and to a split group. Everything
else — reading the manifest, skipping bad files, writing examples — lives here once.
"""

import csv
import dataclasses
import hashlib
import io
import os
from collections import Counter
from typing import Iterator, Optional

import numpy as np
import tensorflow_datasets as tfds
from absl import logging
from etils import epath

from tfds_builders import image_io

CLASS_NAMES = ("real", "synthetic")
SPLIT_SHARES = (("train", 0.8), ("validation", 0.1), ("test", 0.1))
SPLITS = tuple(name for name, _ in SPLIT_SHARES)


class MissingManualDir(FileNotFoundError):
  """The folder a builder reads is not there; the message says where to put it."""


class BadSource(ValueError):
  """A source folder cannot be built as it is (a manifest row that leaves the folder, a
  split with no usable image); the message names the source, the row or split, and why."""


def features() -> tfds.features.FeaturesDict:
  """The one feature spec of every keras-detect dataset, so sources concatenate."""
  return tfds.features.FeaturesDict({
      "image": tfds.features.Image(shape=(None, None, 3)),
      "label": tfds.features.ClassLabel(names=list(CLASS_NAMES)),
      "source": tfds.features.Text(),
      "generator": tfds.features.Text(),  # "" for real images
      "original_format": tfds.features.Text(),
      "original_width": np.int32,
      "original_height": np.int32,
      "file_name": tfds.features.Text(),
      # Where the example sits inside its file ("" or "r<row>c<col>" for grid tiles)
      # and the group that decides its split (grid, tile position, source photo).
      "tile": tfds.features.Text(),
      "group": tfds.features.Text(),
      # File traits a detector must not learn; `keras-detect audit` reads them.
      "original_bytes_per_pixel": np.float32,
      "jpeg_quality": np.int32,
      "chroma_subsampling": tfds.features.Text(),
      "has_exif": np.bool_,
      # "<make> <model>" of the camera that took a real photo, where the source says.
      "camera": tfds.features.Text(),
  })


def split_for(group_key: str) -> str:
  """Deterministic split of a group: the same key lands in the same split everywhere."""
  bucket = int(hashlib.sha256(group_key.encode("utf-8")).hexdigest()[:8], 16) % 1000 / 1000
  cumulative = 0.0
  for name, share in SPLIT_SHARES:
    cumulative += share
    if bucket < cumulative:
      return name
  return SPLITS[-1]


def ranked_splits(group_keys) -> dict:
  """Group → split for a source with few groups (e.g. 12 grids), where hashing alone can
  leave a split empty: groups ordered by hash, the test share of them (at least one) to
  test, the validation share next, the rest to train. Deterministic, one split a group."""
  ordered = sorted(set(group_keys), key=lambda key: hashlib.sha256(key.encode("utf-8")).hexdigest())
  shares = dict(SPLIT_SHARES)
  n_test, n_validation = ((max(1, round(shares[split] * len(ordered))) if len(ordered) >= 3 else 0)
                          for split in ("test", "validation"))
  return {key: ("test" if rank < n_test else "validation" if rank < n_test + n_validation
                else "train")
          for rank, key in enumerate(ordered)}


def photo_group(photo_file_name: str) -> str:
  """The split group of a photo and of every fake translated from it."""
  return "photo:" + photo_file_name


def read_file(path: epath.Path) -> bytes:
  try:
    return path.read_bytes()
  except OSError as error:
    raise image_io.BadImage(f"cannot read file ({error})") from None


def source_dir(manual_dir, folder: str, instructions: str) -> epath.Path:
  path = epath.Path(manual_dir) / folder
  if not path.is_dir():
    raise MissingManualDir(
        f"No data for '{folder}': expected the folder {path}. {' '.join(instructions.split())}")
  return path


def contained_path(root: epath.Path, file_name: str, where: str) -> epath.Path:
  """root / file_name, refused when the name (absolute, `..`, a link) leads out of root."""
  path = root / file_name
  inside = os.path.realpath(path).startswith(os.path.realpath(root) + os.sep)
  if os.path.isabs(file_name) or not inside:
    raise BadSource(f"{where}: file_name '{file_name}' points outside the source folder "
                    f"{root}; manifest names must be relative paths inside it.")
  return path


def sha256_of(data: bytes) -> str:
  return hashlib.sha256(data).hexdigest()


class ImageFolderBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
  """Base of every builder: rows of files → (optionally tiled) examples per split.

  Subclasses set FOLDER and, for structure, override `rows`, `tiles` or `group_key`.
  A row is a dict with at least file_name, label, generator (and sha256 when known).
  A build records a fingerprint of its folder; a later `download_and_prepare` against a
  folder whose fingerprint differs rebuilds instead of serving the old examples.
  """

  VERSION = tfds.core.Version("2.0.0")
  RELEASE_NOTES = {"1.0.0": "First release.",
                   "2.0.0": "camera feature; files checked against the manifest's sha256; "
                            "builds record their folder's fingerprint."}
  FOLDER = ""
  HOMEPAGE = "https://github.com/keras-detect/keras-detect"
  CROP = (0, 0, 0, 0)  # pixels cut from the top, right, bottom, left of every image
  SPLIT_BY_RANK = False  # True: ranked_splits over the source's groups, not split_for
  _on_beam = False  # set by download_and_prepare
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Put the source's folder (its images and manifest.csv) inside the manual directory,
  e.g. `--manual_dir ../shared/data` holds `../shared/data/<folder>/manifest.csv`.
  """

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
        features=features(),
        supervised_keys=("image", "label"),
        homepage=self.HOMEPAGE,
        metadata=tfds.core.MetadataDict(),
    )

  def download_and_prepare(self, *, download_dir=None, download_config=None, **kwargs):
    config = download_config or tfds.download.DownloadConfig()
    # Given a runner or options (`tfds build --beam_pipeline_options=...`), TFDS runs a
    # Beam pipeline: the splits are built by Beam transforms (_beam_examples).
    self._on_beam = bool(config.beam_runner or config.beam_options)
    stale = self.stale_reason(config.manual_dir) if self.is_prepared() else ""
    if stale:
      logging.warning("Rebuilding %s: %s.", self.name, stale)
      config = dataclasses.replace(
          config, download_mode=tfds.download.GenerateMode.REUSE_CACHE_IF_EXISTS)
    super().download_and_prepare(download_dir=download_dir, download_config=config, **kwargs)

  def stale_reason(self, manual_dir) -> str:
    """Why the prepared build no longer matches `manual_dir` ("" when it does)."""
    if not manual_dir:
      return ""
    built = self.info.metadata.get("manual_fingerprint")
    try:
      current = self.fingerprint(self._root(manual_dir))
    except MissingManualDir:
      return ""  # nothing to compare with: the existing build is all there is
    if built is None:
      return "the build records no fingerprint of its folder"
    return "" if built == current else f"its folder changed since the build ({self._root(manual_dir)})"

  def _split_generators(self, dl_manager):
    root = self._root(dl_manager.manual_dir)
    rows = [self._with_sha256(root, row) for row in self._contained_rows(root)]
    if self.SPLIT_BY_RANK:
      self._ranked = ranked_splits(self.group_key(row, tile) for row in rows
                                   for tile in self.tiles(row))
    present = {self.split_of(row, tile) for row in rows for tile in self.tiles(row)}
    self.info.metadata["skipped"] = {}
    self.info.metadata["manual_fingerprint"] = self.fingerprint(root)
    self._built_root = root
    generate = self._beam_examples if self._on_beam else self._generate_examples
    # A split no group falls into is left out: TFDS cannot write an empty split.
    self._built_splits = [split for split in SPLITS if split in present]
    return {split: generate(root, rows, split) for split in self._built_splits}

  # --- what a subclass may override -------------------------------------------------

  def rows(self, root: epath.Path) -> Iterator[dict]:
    """The files of the source; by default the rows of its manifest.csv."""
    yield from csv.DictReader(io.StringIO(self._manifest_text(root)))

  def fingerprint(self, root: epath.Path) -> str:
    """What identifies the folder's content: the manifest's sha256 (it lists every file's)."""
    return "manifest-sha256:" + sha256_of(self._manifest_text(root).encode("utf-8"))

  def tiles(self, row: dict) -> list:
    """Names of the examples a file gives ("r0c1", ...); [None] for a whole image."""
    return [None]

  def tile_box(self, row: dict, tile: str, width: int, height: int) -> tuple:
    """(left, top, width, height) of a tile in a decoded image of width × height."""
    raise NotImplementedError(f"{self.name} names tiles but does not place them")

  def group_key(self, row: dict, tile) -> str:
    """The unit that must not straddle splits; by default the file's content."""
    return "sha256:" + row["sha256"]

  def split_of(self, row: dict, tile) -> str:
    """The split of an example; by default a hash of its group."""
    group = self.group_key(row, tile)
    return self._ranked[group] if self.SPLIT_BY_RANK else split_for(group)

  def camera(self, row: dict) -> str:
    return " ".join(filter(None, (row.get("camera_make", "").strip(),
                                  row.get("camera_model", "").strip())))

  # --- the shared machinery -----------------------------------------------------------

  def _root(self, manual_dir) -> epath.Path:
    return source_dir(manual_dir, self.FOLDER or self.name, self.MANUAL_DOWNLOAD_INSTRUCTIONS)

  def _manifest_text(self, root: epath.Path) -> str:
    return (root / "manifest.csv").read_text(encoding="utf-8")

  def _contained_rows(self, root: epath.Path) -> Iterator[dict]:
    for number, row in enumerate(self.rows(root), start=2):  # row 1 is the header
      contained_path(root, row["file_name"], f"{self.name}: manifest row {number}")
      yield row

  def _with_sha256(self, root: epath.Path, row: dict) -> dict:
    if row.get("sha256"):
      return row
    try:
      digest = sha256_of(read_file(root / row["file_name"]))
    except image_io.BadImage:
      digest = "unreadable:" + row["file_name"]
    return {**row, "sha256": digest}

  def _read_checked(self, root: epath.Path, row: dict) -> bytes:
    data = read_file(root / row["file_name"])
    if not row["sha256"].startswith("unreadable:") and sha256_of(data) != row["sha256"]:
      raise image_io.BadImage("content differs from the manifest (sha256 mismatch)")
    return data

  def _generate_examples(self, root: epath.Path, rows: list, split: str):
    skipped, yielded = Counter(), 0
    for row, tiles in self._files_of(rows, split):
      examples, reason = self._file_examples(root, row, tiles)
      skipped.update([reason] if reason else [])
      yielded += len(examples)
      yield from examples
    self._record_split(split, skipped, yielded)

  def _beam_examples(self, root: epath.Path, rows: list, split: str):
    """The split as a Beam transform: the files are read and decoded on Beam's workers, by
    the code of the plain build; Beam counters carry its skips to _process_pipeline_result."""
    beam = tfds.core.lazy_imports.apache_beam
    return (beam.Create(list(self._files_of(rows, split)))
            | beam.FlatMap(self._counted_examples, root=root, split=split))

  def _counted_examples(self, file_tiles: tuple, root: epath.Path, split: str) -> list:
    counter = tfds.core.lazy_imports.apache_beam.metrics.Metrics.counter
    examples, reason = self._file_examples(root, *file_tiles)
    if reason:
      counter(f"skipped:{split}", reason).inc()
    counter("examples", split).inc(len(examples))
    return examples

  def _process_pipeline_result(self, pipeline_result) -> None:
    """After a Beam build: the skips and the check for an empty split, from the counters."""
    counts = {split: Counter() for split in self._built_splits}
    for result in pipeline_result.metrics().query()["counters"]:
      metric = result.key.metric
      value = result.committed if result.committed is not None else result.attempted
      counts.setdefault(metric.namespace, Counter())[metric.name] += value
    for split in self._built_splits:
      self._record_split(split, counts.get(f"skipped:{split}", Counter()),
                         counts.get("examples", Counter())[split])

  def _files_of(self, rows: list, split: str) -> Iterator[tuple]:
    """(row, its tiles in `split`) for each file with any: splits are decided here, where
    the builder holds its whole source (ranks, official splits)."""
    for row in rows:
      tiles = [t for t in self.tiles(row) if self.split_of(row, t) == split]
      if tiles:
        yield row, tiles

  def _file_examples(self, root: epath.Path, row: dict, tiles: list) -> tuple:
    """([(key, example)] of a file's tiles, "") or ([], why the file was skipped)."""
    try:
      data = self._read_checked(root, row)
      decoded = image_io.decode(data)
    except image_io.BadImage as reason:
      logging.warning("Skipped %s/%s: %s", self.name, row["file_name"], reason)
      return [], str(reason).split(" (")[0]
    return [self._example(row, tile, data, decoded) for tile in tiles], ""

  def _record_split(self, split: str, skipped: Counter, yielded: int) -> None:
    self.info.metadata["skipped"][split] = dict(skipped)
    if not yielded:
      reasons = "; ".join(f"{n} × {why}" for why, n in skipped.items())
      raise BadSource(f"{self.name}: no usable image in the {split} split ({reasons}). "
                      f"Check the files under {self._built_root}.")

  def _example(self, row: dict, tile, data: bytes, decoded: image_io.DecodedImage):
    pixels, tile_name = decoded.pixels, tile or ""
    if tile is not None:
      left, top, width, height = self.tile_box(row, tile, pixels.shape[1], pixels.shape[0])
      pixels = pixels[top:top + height, left:left + width]
    top, right, bottom, left = self.CROP
    pixels = pixels[top:pixels.shape[0] - bottom, left:pixels.shape[1] - right]
    untouched = decoded.passthrough and tile is None and not any(self.CROP)
    traits = decoded.traits
    key = row["file_name"] + (f"#{tile_name}" if tile_name else "")
    return key, {
        # Original bytes are kept where TF decodes them exactly; anything cut or
        # converted is stored as lossless PNG so its pixels (and their traces) survive.
        "image": data if untouched else image_io.encode_png(pixels),
        "label": row["label"],
        "source": self.name,
        "generator": row.get("generator") or "",
        "original_format": traits.format,
        "original_width": pixels.shape[1],
        "original_height": pixels.shape[0],
        "file_name": row["file_name"],
        "tile": tile_name,
        "group": self.group_key(row, tile),
        "original_bytes_per_pixel": traits.bytes_per_pixel,
        "jpeg_quality": traits.jpeg_quality,
        "chroma_subsampling": traits.chroma_subsampling,
        "has_exif": traits.has_exif,
        "camera": self.camera(row),
    }


def grid_tiles(width: int, height: int, rows: int, cols: int, gutter: int = 0) -> dict:
  """Tile name → box of an evenly spaced grid with `gutter` pixels around and between tiles."""
  tile_w = (width - gutter * (cols + 1)) // cols
  tile_h = (height - gutter * (rows + 1)) // rows
  return {f"r{r}c{c}": (gutter + (tile_w + gutter) * c, gutter + (tile_h + gutter) * r,
                        tile_w, tile_h)
          for r in range(rows) for c in range(cols)}


class GridImageBuilder(ImageFolderBuilder, skip_registration=True):
  """A source whose files are grids: one example per tile, the grid kept in one split.

  Reads the manifest's grid_rows, grid_cols and (optional) gutter_px columns; tiles are
  placed on the decoded image, whatever size the manifest states. A grid source has few
  groups (12 grids in sd14_artist_grids), so splits go by rank of hash.
  """

  VERSION = tfds.core.Version("2.1.0")
  RELEASE_NOTES = {"1.0.0": "First release.",
                   "1.1.0": "Splits by rank of group hash: every split holds grids.",
                   "2.1.0": ImageFolderBuilder.RELEASE_NOTES["2.0.0"] + " Tiles placed on "
                            "the decoded size."}
  SPLIT_BY_RANK = True

  def tiles(self, row: dict) -> list:
    return [f"r{r}c{c}" for r in range(int(row["grid_rows"])) for c in range(int(row["grid_cols"]))]

  def tile_box(self, row: dict, tile: str, width: int, height: int) -> tuple:
    return grid_tiles(width, height, int(row["grid_rows"]), int(row["grid_cols"]),
                      int(row.get("gutter_px") or 0))[tile]


# --- releases laid out as folders (no manifest) -------------------------------------------

IMAGE_SUFFIXES = frozenset((".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".gif",
                            ".tif", ".tiff"))
# Split folder names of public releases → our splits.
OFFICIAL_SPLIT_FOLDERS = {"train": "train", "training": "train", "val": "validation",
                          "valid": "validation", "validation": "validation", "test": "test",
                          "testing": "test"}


def train_or_validation(group_key: str) -> str:
  """Split of a group from an official train split: split_for's validation share, else train."""
  return "validation" if split_for(group_key) == "validation" else "train"


def image_files(root: epath.Path) -> list:
  """Paths (relative to root, sorted) of the image files at any depth below root.

  Hidden files and folders are left out: archives made on macOS carry `._name.jpg`
  resource forks and `__MACOSX/` copies that are not images.
  """
  found = []
  for folder, files in _walk_following_links(root):
    for name in files:
      path = (epath.Path(folder) / name).relative_to(root)
      hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts)
      if not hidden and path.suffix.lower() in IMAGE_SUFFIXES:
        found.append(path)
  return sorted(found, key=str)


def _walk_following_links(root: epath.Path):
  """(folder, file names) below root, into linked folders too (the install instructions
  tell users to link releases in), each real folder once so a link loop ends."""
  seen = set()
  for folder, subfolders, files in os.walk(root, followlinks=True):
    real = os.path.realpath(folder)
    if real in seen:
      subfolders[:] = []
      continue
    seen.add(real)
    yield folder, files


class ClassFolderBuilder(ImageFolderBuilder, skip_registration=True):
  """A release laid out as folders, read without a manifest.

  LAYOUT names the folder levels below the source folder, outermost first; images may
  sit at any depth below them. Two level names have a meaning:
  - "split": an official split folder (OFFICIAL_SPLIT_FOLDERS). Official test stays test;
    a group found in several official splits goes to the most held-out one; an official
    train without an official validation gives validation by hash (`train_or_validation`).
  - "class": says label and generator. CLASSES maps folder → generator ("" for real) and
    leaves other folders out; with CLASSES None, REAL_FOLDER is real and any other folder
    is a generator of that name.
  Other level names (e.g. "modality") are kept in the row under that name. Without a
  "class" level every file has LABEL and GENERATOR.
  """

  LAYOUT = ()
  CLASSES = None
  REAL_FOLDER = "real"
  LABEL = "real"
  GENERATOR = ""

  def rows(self, root: epath.Path) -> list:
    rows = [self._with_sha256(root, row) for row in self._folder_rows(root)]
    official = {}
    for row in rows:
      if row.get("official_split"):
        group = self.group_key(row, None)
        official[group] = max(official.get(group, "train"), row["official_split"],
                              key=SPLITS.index)
    self._official_split = official
    self._has_official_validation = "validation" in official.values()
    return rows

  def fingerprint(self, root: epath.Path) -> str:
    """What identifies the folder's content without a manifest: its image files and sizes."""
    listing = "\n".join(f"{path}\t{os.path.getsize(root / path)}" for path in image_files(root))
    return "files-sizes:" + sha256_of(listing.encode("utf-8"))

  def _contained_rows(self, root: epath.Path):
    return self.rows(root)  # names found by walking root: inside it (or a link in it)

  def exclusion(self, row: dict) -> str:
    """Why a file found in the layout is not part of the source; "" (the default) keeps it."""
    return ""

  def split_of(self, row: dict, tile) -> str:
    group = self.group_key(row, tile)
    official = self._official_split.get(group)
    if official is None:
      return split_for(group)
    if official == "train" and not self._has_official_validation:
      return train_or_validation(group)
    return official

  def _folder_rows(self, root: epath.Path) -> Iterator[dict]:
    left_out = Counter()
    for path in image_files(root):
      parts = path.parts
      row = dict(zip(self.LAYOUT, parts[:-1]), file_name="/".join(parts))
      reason = self._label(row) if len(parts) > len(self.LAYOUT) else "outside the layout"
      reason = reason or self.exclusion(row)
      if reason:
        left_out[reason] += 1
      else:
        yield row
    for reason, count in sorted(left_out.items()):
      logging.warning("%s: left out %d files (%s; layout %s).", self.name, count, reason,
                      "/".join(self.LAYOUT) or "flat")

  def _label(self, row: dict) -> str:
    """Fills label, generator and official_split in row; returns why not ("" when done)."""
    if "split" in row:
      row["official_split"] = OFFICIAL_SPLIT_FOLDERS.get(row["split"].lower())
      if row["official_split"] is None:
        return f"split folder '{row['split']}' unknown"
    if "class" not in row:
      row["label"], row["generator"] = self.LABEL, self.GENERATOR
      return ""
    folder = row["class"]
    if self.CLASSES is None:
      generator = "" if folder.lower() == self.REAL_FOLDER else folder
    elif folder in self.CLASSES:
      generator = self.CLASSES[folder]
    else:
      return f"class folder '{folder}' unknown"
    row["label"], row["generator"] = ("synthetic" if generator else "real"), generator
    return ""
