"""What files declare about their origin, apart from their pixels: C2PA manifests (and
whether their signature holds), IPTC DigitalSourceType, EXIF camera and software tags, and
the PNG text chunks of Stable Diffusion front-ends. A declaration can be stripped or copied;
only a valid C2PA signature backs it. Folders are read recursively.
Example: keras-detect provenance photos/ --json"""

import json
from pathlib import Path

from keras_detect import provenance
from keras_detect.errors import UserError

COLUMNS = (("declared", 9), ("signed", 7), ("c2pa", 11), ("tool or camera", 44))


def add_arguments(parser):
  parser.add_argument("files", nargs="+", metavar="FILES", help="images, or folders of images")
  parser.add_argument("--json", action="store_true",
                      help="one JSON object per file (JSON lines) instead of the table")
  parser.add_argument("--trust-anchors", default="", metavar="PEM",
                      help="root certificates a C2PA signing chain must lead to for 'trusted'")


def run(args):
  anchors = load_trust_anchors(args.trust_anchors)
  files = image_files(args.files, provenance.image_extensions())
  if not args.json:
    print(table_row([name for name, _ in COLUMNS] + ["file"]))
  for path in files:
    result = provenance.read_provenance(path, anchors)
    print(json.dumps(result.to_dict()) if args.json else table_row(row_cells(result)))
  return 0


def image_files(paths, extensions) -> list:
  """The files named, and the images under the folders named (recursively, sorted)."""
  files = []
  for path in map(Path, paths):
    if path.is_dir():
      found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in extensions)
      if not found:
        raise UserError(f"no image files under {path}")
      files += found
    elif path.is_file():
      files.append(path)
    else:
      raise UserError(f"no such file or folder: {path}")
  return [str(path) for path in files]


def load_trust_anchors(path: str) -> str:
  """The PEM certificates in `path` ("" for none)."""
  if not path:
    return ""
  try:
    text = Path(path).read_text()
  except (OSError, UnicodeDecodeError) as failure:
    raise UserError(f"cannot read --trust-anchors {path}: {failure}") from None
  if "-----BEGIN CERTIFICATE-----" not in text:
    raise UserError(f"--trust-anchors {path} holds no PEM certificate")
  return text


def row_cells(result) -> list:
  if result.error:
    detail = f"error: {result.error}"
  elif result.declared == provenance.SYNTHETIC:
    detail = f"{result.tool or '?'} ({', '.join(result.evidence)})"
  else:
    detail = " ".join(part for part in (result.make, result.model) if part)
  signed = ("trusted" if result.c2pa.get("trusted") else "yes") if result.signed else "no"
  c2pa = result.c2pa.get("validation_state") or result.c2pa.get("status", "")
  return [result.declared, signed, c2pa.lower(), detail, result.path]


def table_row(cells) -> str:
  clipped = [cell if len(cell) <= width else cell[:width - 1] + "…"
             for cell, (_, width) in zip(cells, COLUMNS)]
  padded = [f"{cell:{width}s}" for cell, (_, width) in zip(clipped, COLUMNS)]
  return "  ".join(padded + [cells[-1]])  # the file last, unclipped
