"""The web page and JSON API of `keras-detect serve`.

  GET  /             the page (static/: plain HTML, CSS and JS; works offline)
  GET  /healthz      {"status": "ok", "model": the model's name}
  GET  /api/model    {"card": the ModelCard's fields, "markdown": the card as Markdown,
                      "calibrated_threshold", "columns": the predict command's columns,
                      "explanations": whether Grad-CAM is available, "limits": the byte and
                      pixel limits}
  POST /api/predict  multipart, one or many `files` (`?explain=false` skips Grad-CAM) →
                     {"rows": one per file, in order}: the predict command's row (its
                     columns: path, verdict, probability, label, generator, threshold, what
                     the file declares, error, ...) plus "generators" ([{name, probability}],
                     most likely first; attribution models only), "crop" and "overlay" (PNG
                     data URLs of what the model saw and where it looked, or null)
  POST /api/csv      {"rows": [...]} → those rows as the predict command's CSV

A file that is not a usable image or is over the per-file limit gets a row with `error`
while the others are scored; a request over the byte limit is answered 413.
"""

import math
import os
import tempfile

import fastapi
from fastapi import responses, staticfiles

from keras_detect import export_lib, predict_lib
from keras_detect.serve import limits as limits_lib
from keras_detect.serve import scoring
from tfds_builders import image_io

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
# The page loads only its own files; thumbnails are blob: URLs, overlays data: URLs.
PAGE_POLICY = ("default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
               "base-uri 'none'; frame-ancestors 'none'")


def create_app(detector, limits: limits_lib.Limits = limits_lib.Limits()) -> fastapi.FastAPI:
  """The app over one loaded detector."""
  scorer = scoring.Scorer(detector, limits)
  app = fastapi.FastAPI(title="keras-detect", docs_url=None, redoc_url=None)
  app.add_middleware(limits_lib.BodyLimit, max_bytes=limits.max_request_bytes)
  app.mount("/static", staticfiles.StaticFiles(directory=STATIC), name="static")

  @app.get("/", include_in_schema=False)
  def page():
    return responses.FileResponse(os.path.join(STATIC, "index.html"),
                                  headers={"Content-Security-Policy": PAGE_POLICY})

  @app.get("/healthz")
  def healthz():
    return {"status": "ok", "model": detector.card.name}

  @app.get("/api/model")
  def model():
    card = detector.card
    return {"card": _finite(card.to_dict()), "markdown": export_lib.model_card_markdown(card),
            "calibrated_threshold": card.calibrated_threshold, "columns": predict_lib.COLUMNS,
            "explanations": scorer.explains, "limits": limits.to_dict()}

  @app.post("/api/predict")
  async def predict(files: list[fastapi.UploadFile] = fastapi.File(...), explain: bool = True):
    items = [(upload.filename or f"upload-{i + 1}", _reader(upload, limits.max_file_bytes))
             for i, upload in enumerate(files)]
    return {"rows": _finite(await scorer.rows(items, explain))}

  @app.post("/api/csv")
  def csv_file(body: dict = fastapi.Body(...)):
    return responses.Response(rows_csv(body.get("rows") or []), media_type="text/csv",
                              headers={"Content-Disposition":
                                       'attachment; filename="keras-detect.csv"'})

  return app


def rows_csv(rows: list) -> str:
  """The rows' predict columns, written by the predict command's own writer."""
  with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "rows.csv")
    predict_lib.write_rows([{column: row.get(column) for column in predict_lib.COLUMNS}
                            for row in rows if isinstance(row, dict)], path)
    with open(path, newline="") as f:
      return f.read()


def _reader(upload: fastapi.UploadFile, max_bytes: int):
  """Reads the upload from its start each call (scoring and explaining both read it)."""
  def read() -> bytes:
    upload.file.seek(0)
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
      raise image_io.BadImage(f"file too large (over {max_bytes:,} bytes, the limit)")
    return data
  return read


def _finite(value):
  """JSON has no NaN or infinity: an undefined number becomes null."""
  if isinstance(value, float):
    return value if math.isfinite(value) else None
  if isinstance(value, dict):
    return {key: _finite(item) for key, item in value.items()}
  if isinstance(value, (list, tuple)):
    return [_finite(item) for item in value]
  return value
