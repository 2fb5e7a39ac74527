"""What a file declares about its origin, apart from what its pixels say.

Reads C2PA manifests (through the c2pa-python binding), XMP (IPTC DigitalSourceType,
CreatorTool, Credit...), EXIF (Software, Make/Model, DateTimeOriginal, UserComment), JPEG
comments and PNG text chunks, and matches them against GENERATOR_SIGNATURES. A declaration
is a claim anyone can write, strip or copy; only a valid C2PA signature backs it (`signed`).
Absence of metadata says nothing: most uploads lose it.

Nothing read is executed or trusted: each value is capped at MAX_VALUE_BYTES, PNG chunks at
MAX_PNG_CHUNKS, and a file that cannot be read comes back with `error` set, never raised.
"""

import dataclasses
import functools
import io
import json
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Union
from xml.etree import ElementTree

from PIL import ExifTags, Image

from keras_detect.errors import UserError

SYNTHETIC, CAMERA, NONE = "synthetic", "camera", "none"
REAL = "real"
PIXEL_LABELS = (REAL, SYNTHETIC)

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_VALUE_BYTES = 64 * 1024
MAX_XMP_BYTES = 1024 * 1024
MAX_TEXT_CHUNKS = 64
# Large PNGs hold thousands of IDAT chunks, whose headers cost nothing to skip; a file of
# millions of empty chunks would.
MAX_PNG_CHUNKS = 100_000
MAX_C2PA_ACTIONS = 32

# IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/<code>).
SYNTHETIC_SOURCE_TYPES = frozenset({
    "trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia",
    "compositeSynthetic"})
CAPTURE_SOURCE_TYPES = frozenset({"digitalCapture", "computationalCapture", "compositeCapture"})

# Names generators write into a software field, and the tool each names.
GENERATOR_SOFTWARE = (
    (r"\bNovelAI\b", "NovelAI"),
    (r"Midjourney", "Midjourney"),
    (r"DALL[-·· ]?E", "DALL-E"),
    (r"ChatGPT|OpenAI", "OpenAI"),
    (r"Firefly", "Adobe Firefly"),
    (r"\bImagen\b|\bGemini\b", "Google"),
    (r"ComfyUI", "ComfyUI"),
    (r"InvokeAI", "InvokeAI"),
    (r"Fooocus", "Fooocus"),
    (r"Stable Diffusion|\bSDXL\b", "Stable Diffusion"),
)
SOFTWARE_FIELDS = ("exif.Software", "png.Software", "xmp.xmp:CreatorTool", "xmp.tiff:Software")
CAMERA_FIELDS = ("exif.Make", "exif.Model", "xmp.tiff:Make", "xmp.tiff:Model")
SOURCE_TYPE_FIELD = "xmp.Iptc4xmpExt:DigitalSourceType"

# (field, pattern or None, tool): a field says a generator made the file when it is present
# and its value matches the pattern (searched, case-insensitively). Fields are named
# "png.<keyword>", "exif.<tag>", "xmp.<prefix>:<name>" or "jpeg.comment". The first match
# names the tool; every match is evidence. Order matters where front-ends share a key.
GENERATOR_SIGNATURES = (
    ("png.parameters", r"sui_image_params", "SwarmUI"),
    ("png.parameters", r"Fooocus", "Fooocus"),
    ("png.fooocus_scheme", None, "Fooocus"),
    ("png.parameters", r"Steps: \d+", "AUTOMATIC1111"),
    ("exif.UserComment", r"Steps: \d+, Sampler: ", "AUTOMATIC1111"),
    ("png.prompt", r'"class_type"', "ComfyUI"),
    ("png.workflow", r'"nodes"', "ComfyUI"),
    ("png.invokeai_metadata", None, "InvokeAI"),
    ("png.invokeai_graph", None, "InvokeAI"),
    ("png.sd-metadata", None, "InvokeAI"),
    ("png.Dream", None, "InvokeAI"),
    ("png.Source", r"NovelAI", "NovelAI"),
    ("png.Description", r"Job ID: ", "Midjourney"),
    ("exif.ImageDescription", r"Job ID: ", "Midjourney"),
    ("xmp.dc:description", r"Job ID: ", "Midjourney"),
    ("xmp.photoshop:Credit", r"(Made|Edited) with Google AI", "Google"),
    *((field, pattern, tool) for pattern, tool in GENERATOR_SOFTWARE for field in SOFTWARE_FIELDS),
)

# EXIF tags kept (ExifTags.Base names), by the IFD that holds them.
EXIF_FIELDS = {
    "ifd0": ("Make", "Model", "Software", "ImageDescription", "Artist"),
    "exif": ("DateTimeOriginal", "UserComment"),
}

# XMP properties kept: expanded name → the field's short name.
XMP_PROPERTIES = {
    "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}DigitalSourceType":
        "Iptc4xmpExt:DigitalSourceType",
    "{http://ns.adobe.com/xap/1.0/}CreatorTool": "xmp:CreatorTool",
    "{http://ns.adobe.com/xap/1.0/}CreateDate": "xmp:CreateDate",
    "{http://ns.adobe.com/photoshop/1.0/}Credit": "photoshop:Credit",
    "{http://ns.adobe.com/photoshop/1.0/}DateCreated": "photoshop:DateCreated",
    "{http://purl.org/dc/elements/1.1/}creator": "dc:creator",
    "{http://purl.org/dc/elements/1.1/}description": "dc:description",
    "{http://ns.adobe.com/tiff/1.0/}Make": "tiff:Make",
    "{http://ns.adobe.com/tiff/1.0/}Model": "tiff:Model",
    "{http://ns.adobe.com/tiff/1.0/}Software": "tiff:Software",
    "{http://ns.adobe.com/exif/1.0/}DateTimeOriginal": "exif:DateTimeOriginal",
}
RDF_RESOURCE = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}resource"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = "XML:com.adobe.xmp"


@dataclasses.dataclass(frozen=True)
class Provenance:
  """What one file declares about its origin.

  `declared` is SYNTHETIC (`tool` and `evidence` say which fields said so), CAMERA (`make`,
  `model`) or NONE; `signed` is true only when a valid C2PA signature makes that claim.
  `c2pa` summarises the manifest (see read_c2pa); `fields` holds the raw values read,
  `truncated` those cut at MAX_VALUE_BYTES, `notes` what was malformed or skipped, `error`
  why the file could not be read at all.
  """
  path: str
  declared: str = NONE
  tool: str = ""
  make: str = ""
  model: str = ""
  evidence: tuple = ()
  signed: bool = False
  c2pa: dict = dataclasses.field(default_factory=dict)
  fields: dict = dataclasses.field(default_factory=dict)
  truncated: tuple = ()
  notes: tuple = ()
  error: str = ""

  def to_dict(self) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(self)))


@dataclasses.dataclass
class _Found:
  """Fields, cuts and problems, collected while reading one file."""
  fields: dict = dataclasses.field(default_factory=dict)
  truncated: list = dataclasses.field(default_factory=list)
  notes: list = dataclasses.field(default_factory=list)

  def add(self, name: str, value: str, cut: bool = False) -> None:
    value = value.strip().strip("\x00").strip()
    if not value or name in self.fields:
      return
    if len(value) > MAX_VALUE_BYTES:
      value, cut = value[:MAX_VALUE_BYTES], True
    self.fields[name] = value
    if cut:
      self.truncated.append(name)


def read_provenance(source: Union[str, os.PathLike, bytes], trust_anchors: str = "") -> Provenance:
  """Reads what a file (a path, or its bytes) declares about its origin; never raises on content.

  trust_anchors: PEM root certificates a C2PA signing chain must lead to for `trusted`.
  """
  path = "<bytes>" if isinstance(source, (bytes, bytearray)) else os.fspath(source)
  data, error = _load(source)
  if error:
    return Provenance(path=path, error=error)
  try:
    image = Image.open(io.BytesIO(data))
  except Image.UnidentifiedImageError:
    return Provenance(path=path, error="not an image format Pillow knows")
  except Exception as failure:  # Pillow raises many types for malformed headers
    return Provenance(path=path, error=f"not a readable image: {failure}")
  found = _Found()
  with image:
    _read_metadata(image, data, found)
  c2pa = read_c2pa(data, Image.MIME.get(image.format, ""), trust_anchors)
  declaration = _declaration(found.fields, c2pa, found.notes)
  return Provenance(path=path, c2pa=c2pa, fields=found.fields, truncated=tuple(found.truncated),
                    notes=tuple(found.notes), **declaration)


def _load(source) -> tuple[bytes, str]:
  if isinstance(source, (bytes, bytearray)):
    data = bytes(source)
  else:
    try:
      if os.path.getsize(source) > MAX_FILE_BYTES:
        return b"", f"larger than {MAX_FILE_BYTES // 2**20} MiB; not read"
      data = Path(source).read_bytes()
    except OSError as failure:
      return b"", f"cannot read the file: {failure.strerror or failure}"
  return (data, "") if data else (b"", "empty file")


def _read_metadata(image, data: bytes, found: _Found) -> None:
  """Fills `found` from the image's EXIF, XMP, comments and text chunks; notes what fails."""
  xmp, exif = image.info.get("xmp"), None
  if data.startswith(PNG_SIGNATURE):
    xmp, exif = _read_png_chunks(data, found)
  else:
    try:
      exif = image.getexif()
    except Exception as failure:
      found.notes.append(f"exif: unreadable ({failure})")
  if isinstance(image.info.get("comment"), bytes):
    found.add("jpeg.comment", image.info["comment"][:MAX_VALUE_BYTES].decode("utf-8", "replace"),
              cut=len(image.info["comment"]) > MAX_VALUE_BYTES)
  if exif is not None:
    _read_exif(exif, found)
  if xmp:
    _read_xmp(xmp.encode() if isinstance(xmp, str) else xmp, found)


def _read_png_chunks(data: bytes, found: _Found):
  """Text chunks into `found`; returns the XMP packet and the EXIF of the eXIf chunk.

  Walks the chunks itself rather than through Pillow, which decodes all pixels to reach
  chunks after the image data and refuses large text chunks without saying which.
  """
  xmp, exif, texts, position = b"", None, 0, len(PNG_SIGNATURE)
  for count in range(MAX_PNG_CHUNKS + 1):
    if position + 12 > len(data):
      found.notes.append("png: the file ends without an IEND chunk")
      break
    if count == MAX_PNG_CHUNKS:
      found.notes.append(f"png: more than {MAX_PNG_CHUNKS} chunks; the rest were not read")
      break
    length, kind = struct.unpack(">I4s", data[position:position + 8])
    end = position + 12 + length
    name = kind.decode("latin-1")
    if end > len(data):
      found.notes.append(f"png: the {name!r} chunk at byte {position} runs past the end")
      break
    body = data[position + 8:end - 4]
    if kind in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
      if zlib.crc32(kind + body) != int.from_bytes(data[end - 4:end], "big"):
        found.notes.append(f"png: the {name!r} chunk at byte {position} fails its CRC; not read")
      elif kind == b"eXIf":
        exif = _exif_from_bytes(body, found)
      elif texts == MAX_TEXT_CHUNKS:
        found.notes.append(f"png: more than {MAX_TEXT_CHUNKS} text chunks; the rest were not read")
        texts += 1
      elif texts < MAX_TEXT_CHUNKS:
        texts += 1
        xmp = _read_png_text(kind, body, position, found) or xmp
    if kind == b"IEND":
      break
    position = end
  return xmp, exif


def _read_png_text(kind: bytes, body: bytes, position: int, found: _Found) -> bytes:
  """One tEXt, zTXt or iTXt chunk into `found`; returns its bytes when it is the XMP packet."""
  keyword, separator, rest = body.partition(b"\x00")
  if not separator or not 1 <= len(keyword) <= 79:
    found.notes.append(f"png: malformed {kind.decode()} chunk at byte {position}; not read")
    return b""
  key = keyword.decode("latin-1")
  limit = MAX_XMP_BYTES if key == PNG_XMP_KEYWORD else MAX_VALUE_BYTES
  if kind == b"iTXt":
    # flag, method, language tag, translated keyword, then the text
    compressed, parts = rest[:1] == b"\x01", rest[2:].split(b"\x00", 2)
    if len(parts) < 3:
      found.notes.append(f"png: malformed iTXt chunk at byte {position}; not read")
      return b""
    rest = parts[2]
  try:
    if kind == b"tEXt" or (kind == b"iTXt" and not compressed):
      text, cut = rest[:limit], len(rest) > limit
    else:
      text, cut = _inflate(rest if kind == b"iTXt" else rest[1:], limit)
  except zlib.error:
    found.notes.append(f"png: the compressed {key!r} chunk at byte {position} does not inflate")
    return b""
  if key == PNG_XMP_KEYWORD:
    if cut:
      found.notes.append(f"xmp: packet over {MAX_XMP_BYTES} bytes; not parsed")
      return b""
    return text
  if f"png.{key}" in found.fields:
    found.notes.append(f"png: repeated keyword {key!r}; the first was kept")
  encoding = "utf-8" if kind == b"iTXt" else "latin-1"
  found.add(f"png.{key}", text.decode(encoding, "replace"), cut=cut)
  return b""


def _inflate(compressed: bytes, limit: int) -> tuple[bytes, bool]:
  """At most `limit` bytes of a zlib stream (a small chunk can inflate to gigabytes)."""
  out = zlib.decompressobj().decompress(compressed, limit + 1)
  return out[:limit], len(out) > limit


def _exif_from_bytes(payload: bytes, found: _Found):
  exif = Image.Exif()
  try:
    exif.load(payload)
  except Exception as failure:
    found.notes.append(f"exif: unreadable ({failure})")
    return None
  return exif


def _read_exif(exif, found: _Found) -> None:
  try:
    tags = {"ifd0": exif, "exif": exif.get_ifd(ExifTags.IFD.Exif)}
  except Exception as failure:
    found.notes.append(f"exif: unreadable ({failure})")
    return
  for ifd, names in EXIF_FIELDS.items():
    for name in names:
      value = tags[ifd].get(ExifTags.Base[name])
      if value is None:
        continue
      raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
      head = raw[:MAX_VALUE_BYTES]
      text = _user_comment(head) if name == "UserComment" else head.decode("utf-8", "replace")
      found.add(f"exif.{name}", text, cut=len(raw) > MAX_VALUE_BYTES)


def _user_comment(raw: bytes) -> str:
  """EXIF UserComment: an 8-byte character code, then the text."""
  code, body = raw[:8], raw[8:]
  if code == b"UNICODE\x00":
    # The byte order of the EXIF block is not always the text's; ASCII-range text tells.
    order = "utf-16-be" if body[:1] == b"\x00" else "utf-16-le"
    return body.decode(order, "replace")
  if code in (b"ASCII\x00\x00\x00", b"\x00" * 8, b"JIS\x00\x00\x00\x00\x00"):
    return body.decode("utf-8", "replace")
  return raw.decode("utf-8", "replace")


def _read_xmp(packet: bytes, found: _Found) -> None:
  """The XMP_PROPERTIES of an XMP packet, parsed by the standard library's expat.

  Not Pillow's getxmp(), which needs defusedxml as one more dependency: XMP never needs a
  DTD, so a packet that declares one (the door to entity expansion) is refused unparsed,
  and expat fetches no external resources.
  """
  if len(packet) > MAX_XMP_BYTES:
    found.notes.append(f"xmp: packet over {MAX_XMP_BYTES} bytes; not parsed")
    return
  if re.search(rb"<!(DOCTYPE|ENTITY)", packet, re.IGNORECASE):
    found.notes.append("xmp: the packet declares a DTD; not parsed")
    return
  try:
    root = ElementTree.fromstring(packet.strip(b"\x00 \t\r\n"))
  except ElementTree.ParseError as failure:
    found.notes.append(f"xmp: malformed packet ({failure})")
    return
  for element in root.iter():
    for attribute, value in element.attrib.items():
      if attribute in XMP_PROPERTIES:
        found.add(f"xmp.{XMP_PROPERTIES[attribute]}", value)
    if element.tag in XMP_PROPERTIES:
      text = element.get(RDF_RESOURCE) or " ".join(
          part.strip() for part in element.itertext() if part.strip())
      found.add(f"xmp.{XMP_PROPERTIES[element.tag]}", text)


def _cap(value) -> str:
  return str(value)[:MAX_VALUE_BYTES] if value is not None else ""


@functools.cache
def _c2pa_binding():
  """The c2pa module, or the reason it cannot be loaded (a missing or broken native library)."""
  try:
    import c2pa
  except Exception as failure:  # ImportError, or OSError from its native library
    return None, f"{type(failure).__name__}: {failure}"
  return c2pa, ""


@functools.lru_cache(maxsize=4)
def _c2pa_context(trust_anchors: str):
  """Reading settings: no network (remote manifests, OCSP); trust only the anchors given."""
  c2pa, _ = _c2pa_binding()
  settings = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
  if trust_anchors:
    settings["trust"] = {"trust_anchors": trust_anchors}
  return c2pa.Context.from_dict(settings)


def read_c2pa(data: bytes, mime: str = "", trust_anchors: str = "") -> dict:
  """A summary of the file's C2PA manifest store, validated by the c2pa binding.

  "status" is absent, present (validation_state says how far it holds), invalid (a
  manifest the binding rejects outright), unsupported (a format without C2PA), error (the
  file could not be checked) or unavailable (no binding). "signed" is true for the
  validation states Valid and Trusted only; "trusted" for Trusted, a chain to an anchor.
  """
  c2pa, reason = _c2pa_binding()
  if c2pa is None:
    return {"status": "unavailable", "reason": reason}
  try:
    context = _c2pa_context(trust_anchors)
    with c2pa.Reader(mime or None, io.BytesIO(data), context=context) as reader:
      store = json.loads(reader.json())
  except c2pa.C2paError.ManifestNotFound:
    return {"status": "absent"}
  except c2pa.C2paError.NotSupported:
    return {"status": "unsupported"}  # a format C2PA does not embed manifests in
  except (c2pa.C2paError.Verify, c2pa.C2paError.Signature, c2pa.C2paError.Manifest,
          c2pa.C2paError.Decoding, c2pa.C2paError.Json) as failure:
    return {"status": "invalid", "signed": False, "trusted": False, "errors": [_cap(failure)]}
  except (c2pa.C2paError, ValueError) as failure:
    return {"status": "error", "signed": False, "trusted": False, "errors": [_cap(failure)]}
  try:
    return _summarise_store(store)
  except (AttributeError, TypeError) as failure:  # a store not shaped as documented
    return {"status": "error", "signed": False, "trusted": False, "errors": [_cap(failure)]}


def _summarise_store(store: dict) -> dict:
  manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
  manifest = manifests.get(store.get("active_manifest"), {})
  signature = manifest.get("signature_info") or {}
  state = _cap(store.get("validation_state"))
  results = (store.get("validation_results") or {}).get("activeManifest") or {}
  failures = results.get("failure") if "failure" in results else store.get("validation_status")
  codes = [_cap(item.get("code")) for item in failures or [] if isinstance(item, dict)]
  return {
      "status": "present", "validation_state": state,
      "signed": state in ("Valid", "Trusted"), "trusted": state == "Trusted",
      "issuer": _cap(signature.get("issuer")), "common_name": _cap(signature.get("common_name")),
      "signed_at": _cap(signature.get("time")), "claim_generator": _claim_generator(manifest),
      "actions": _actions(manifest),
      # An untrusted chain is what `trusted` says; the rest are reasons it does not hold.
      "errors": [code for code in codes if code != "signingCredential.untrusted"],
  }


def _claim_generator(manifest: dict) -> str:
  info = manifest.get("claim_generator_info")
  if isinstance(info, list) and info and isinstance(info[0], dict):
    return " ".join(_cap(info[0].get(key)) for key in ("name", "version") if info[0].get(key))
  return _cap(manifest.get("claim_generator"))


def _actions(manifest: dict) -> list:
  actions = []
  for assertion in manifest.get("assertions") or []:
    if isinstance(assertion, dict) and str(assertion.get("label", "")).startswith("c2pa.actions"):
      actions += [action for action in (assertion.get("data") or {}).get("actions") or []
                  if isinstance(action, dict)]
  return [{"action": _cap(action.get("action")),
           "digitalSourceType": _cap(action.get("digitalSourceType")),
           "softwareAgent": _agent_name(action.get("softwareAgent"))}
          for action in actions[:MAX_C2PA_ACTIONS]]


def _agent_name(agent) -> str:
  return _cap(agent.get("name")) if isinstance(agent, dict) else _cap(agent)


def _source_code(value: str) -> str:
  """The IPTC code of a DigitalSourceType, given as its URI or bare."""
  return value.rstrip("/").rsplit("/", 1)[-1]


def _declaration(fields: dict, c2pa: dict, notes: list) -> dict:
  """declared, tool, make, model, evidence and signed, from the fields and the manifest."""
  c2pa_kind, c2pa_tool = _c2pa_declares(c2pa)
  evidence = _source_type_evidence(fields, c2pa_kind, bool(c2pa.get("signed")))
  matches = [(field, tool) for field, pattern, tool in GENERATOR_SIGNATURES if field in fields
             and (pattern is None or re.search(pattern, fields[field], re.IGNORECASE))]
  synthetic = evidence[SYNTHETIC] + list(dict.fromkeys(field for field, _ in matches))
  camera = evidence[CAMERA] + [field for field in CAMERA_FIELDS if field in fields]
  if synthetic and camera:
    notes.append(f"declarations disagree: {', '.join(synthetic)} against {', '.join(camera)}")
  if synthetic:
    software = [fields[field] for field in SOFTWARE_FIELDS if field in fields]
    tool = next(filter(None, [c2pa_kind == SYNTHETIC and c2pa_tool,
                              *(tool for _, tool in matches), *software]), "")
    return {"declared": SYNTHETIC, "tool": tool, "evidence": tuple(synthetic),
            "signed": c2pa_kind == SYNTHETIC and bool(c2pa.get("signed"))}
  if camera:
    make = fields.get("exif.Make") or fields.get("xmp.tiff:Make", "")
    model = fields.get("exif.Model") or fields.get("xmp.tiff:Model", "")
    return {"declared": CAMERA, "make": make, "model": model, "evidence": tuple(camera),
            "signed": c2pa_kind == CAMERA and bool(c2pa.get("signed"))}
  return {}


def _source_type_evidence(fields: dict, c2pa_kind: str, c2pa_signed: bool) -> dict:
  """Evidence per kind from the manifest's actions and the XMP DigitalSourceType."""
  evidence = {SYNTHETIC: [], CAMERA: []}
  if c2pa_kind:
    backing = "signature valid" if c2pa_signed else "signature not valid"
    evidence[c2pa_kind].append(f"c2pa.actions ({backing})")
  code = _source_code(fields.get(SOURCE_TYPE_FIELD, ""))
  if code in SYNTHETIC_SOURCE_TYPES:
    evidence[SYNTHETIC].append(f"{SOURCE_TYPE_FIELD}: {code}")
  elif code in CAPTURE_SOURCE_TYPES:
    evidence[CAMERA].append(f"{SOURCE_TYPE_FIELD}: {code}")
  return evidence


def _c2pa_declares(c2pa: dict) -> tuple[str, str]:
  """What the manifest's actions declare (SYNTHETIC, CAMERA or ""), and the tool named."""
  kinds = {SYNTHETIC: [], CAMERA: []}
  for action in c2pa.get("actions", []):
    code = _source_code(action["digitalSourceType"])
    if code in SYNTHETIC_SOURCE_TYPES:
      kinds[SYNTHETIC].append(action["softwareAgent"])
    elif code in CAPTURE_SOURCE_TYPES:
      kinds[CAMERA].append(action["softwareAgent"])
  kind = SYNTHETIC if kinds[SYNTHETIC] else CAMERA if kinds[CAMERA] else ""
  agents = [agent for agent in kinds.get(kind, []) if agent]
  return kind, (agents[0] if agents else c2pa.get("claim_generator", ""))


def disagreement(provenance: Provenance, pixel_label: str) -> str:
  """A short sentence when the declared origin and the pixel model's label disagree, else ""."""
  if pixel_label not in PIXEL_LABELS:
    raise UserError(f"pixel label must be one of {', '.join(PIXEL_LABELS)}, not {pixel_label!r}")
  backing = "a valid C2PA signature" if provenance.signed else "unsigned metadata"
  if provenance.declared == SYNTHETIC and pixel_label == REAL:
    return (f"The file declares it was generated by {provenance.tool or 'an unnamed tool'} "
            f"({backing}); the pixel model calls it real.")
  if provenance.declared == CAMERA and pixel_label == SYNTHETIC:
    camera = " ".join(part for part in (provenance.make, provenance.model) if part) or "a camera"
    return (f"The file declares a camera capture ({camera}, {backing}); "
            "the pixel model calls it synthetic.")
  return ""


def image_extensions() -> frozenset:
  """File name endings Pillow opens (lower case, with the dot)."""
  return frozenset(Image.registered_extensions())
