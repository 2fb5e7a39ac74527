"""wga: paintings from the Web Gallery of Art (real), with its catalog when present."""

import csv
import io
import posixpath

from tfds_builders import base

CATALOG = "catalog.csv"


class Builder(base.ClassFolderBuilder):
  """wga, read from `<manual_dir>/wga/` (images at any depth, optional catalog.csv)."""

  HOMEPAGE = "https://www.wga.hu"
  MANUAL_DOWNLOAD_INSTRUCTIONS = """
  Save the Web Gallery of Art images (https://www.wga.hu, files under
  https://www.wga.hu/art/...) as JPEGs in `<manual_dir>/wga/`, flat or in sub-folders.
  Optionally add the gallery's catalog (Database → download, the CSV version) as
  `<manual_dir>/wga/catalog.csv`: images it lists with a FORM other than "painting"
  (sculpture, architecture, ...) are then left out.
  """

  def rows(self, root):
    path = root / CATALOG
    self._forms = catalog_forms(base.read_file(path)) if path.exists() else {}
    return super().rows(root)

  def exclusion(self, row):
    forms = self._forms.get(_stem(row["file_name"]))
    # A name the catalog does not know, or shares between works, is kept if it may be a painting.
    return "" if not forms or "painting" in forms else "not a painting in the catalog"


def catalog_forms(data: bytes) -> dict:
  """{image name without extension (lower case): FORM values} from the WGA catalog."""
  try:
    text = data.decode("utf-8-sig")
  except UnicodeDecodeError:
    text = data.decode("cp1252", errors="replace")
  header = text.split("\n", 1)[0]
  delimiter = ";" if header.count(";") > header.count(",") else ","
  forms = {}
  for row in csv.DictReader(io.StringIO(text), delimiter=delimiter):
    url, form = (row.get("URL") or "").strip(), (row.get("FORM") or "").strip().lower()
    if url:
      forms.setdefault(_stem(url), set()).add(form)
  return forms


def _stem(path: str) -> str:
  """`art/a/aachen/allegory.jpg` and `.../html/a/aachen/allegory.html` → `allegory`."""
  return posixpath.splitext(posixpath.basename(path))[0].lower()
