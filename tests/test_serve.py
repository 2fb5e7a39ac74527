"""keras-detect serve: the JSON API, its limits and bad inputs, the page and the command."""

import base64
import csv
import io
import shutil
import struct
import subprocess
import sys
import threading
import time
import types
import zlib
from concurrent import futures

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from keras_detect import cli, inference, predict_lib
from keras_detect.serve import app as app_lib
from keras_detect.serve import limits as limits_lib
from keras_detect.serve import scoring
from run_dirs import SIZE, write_run_dir

GENERATORS = ["gan_a", "gan_b", "gan_c", "gan_d"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, tiny_mix):
  return write_run_dir(tmp_path_factory.mktemp("run"), tiny_mix)


@pytest.fixture(scope="module")
def model(run_dir):
  return inference.load_detector(run_dir)


@pytest.fixture(scope="module")
def client(model):
  with TestClient(app_lib.create_app(model)) as test_client:
    yield test_client


@pytest.fixture
def fake_explain(monkeypatch):
  """keras_detect.explain's contract: a heatmap in [0, 1] per crop and its overlay."""
  calls = []

  def explain_crop(keras_model, card, crop, method):
    calls.append(method)
    return np.linspace(0.0, 1.0, crop.shape[0] * crop.shape[1]).reshape(crop.shape[:2])

  def overlay(crop, heatmap):
    return np.clip(crop * 0.5 + heatmap[..., None] * 127, 0, 255).astype(np.uint8)

  module = types.ModuleType("keras_detect.explain")
  module.explain_crop, module.overlay = explain_crop, overlay
  monkeypatch.setitem(sys.modules, "keras_detect.explain", module)
  return calls


@pytest.fixture
def no_explain(monkeypatch):
  monkeypatch.setitem(sys.modules, "keras_detect.explain", None)  # import raises ImportError


def encoded(pixels: np.ndarray, file_format: str) -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(pixels).save(buffer, format=file_format)
  return buffer.getvalue()


def sample_pixels(seed=0, shape=(45, 70, 3)) -> np.ndarray:
  return np.random.default_rng(seed).integers(0, 255, shape, dtype=np.uint8)


def png_bomb(side: int = 10_000) -> bytes:
  """A PNG whose header claims side × side pixels (over the pixel limit) in under 1 kB."""
  def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
  header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grey
  return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
          + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))


def good_files() -> dict:
  pixels = sample_pixels()
  return {"photo.jpg": encoded(pixels, "JPEG"), "drawing.png": encoded(pixels, "PNG")}


def post(client, files: dict, **params):
  return client.post("/api/predict", params=params,
                     files=[("files", (name, data)) for name, data in files.items()])


def rows_by_name(response) -> dict:
  assert response.status_code == 200, response.text
  return {row["path"]: row for row in response.json()["rows"]}


def test_good_files_get_the_predict_commands_rows_in_order(client, model):
  files = good_files()
  response = post(client, files)
  rows = response.json()["rows"]
  assert [row["path"] for row in rows] == list(files)
  expected = predict_lib.predict_payloads(model, list(files.items()), progress=False)
  for row, reference in zip(rows, expected):
    assert {column: row[column] for column in predict_lib.COLUMNS} == pytest.approx(reference)
    assert row["label"] in ("real", "synthetic") and 0.0 <= row["probability"] <= 1.0
    assert row["threshold"] == pytest.approx(model.card.calibrated_threshold)


def test_each_bad_file_gets_its_error_row_while_the_good_ones_are_scored(model):
  app = app_lib.create_app(model, limits_lib.Limits(max_file_bytes=50_000))
  jpeg = encoded(sample_pixels(seed=1), "JPEG")
  bad = {"empty.jpg": (b"", "empty"),
         "notes.png": (b"just some text, not an image", "not an image"),
         "truncated.jpg": (jpeg[:len(jpeg) // 2], "truncated"),
         "bomb.png": (png_bomb(), "too large"),
         "huge.bmp": (encoded(sample_pixels(shape=(200, 200, 3)), "BMP"), "file too large")}
  with TestClient(app) as client:
    rows = rows_by_name(post(client, {**good_files(), **{k: v for k, (v, _) in bad.items()}}))
    for name, (_, why) in bad.items():
      assert why in rows[name]["error"] and rows[name]["probability"] is None, name
      assert rows[name]["overlay"] is None and rows[name]["generators"] == []
    for name in good_files():
      assert not rows[name]["error"] and rows[name]["probability"] is not None
    assert client.get("/healthz").status_code == 200


def test_the_pixel_limit_is_a_setting(model):
  app = app_lib.create_app(model, limits_lib.Limits(max_pixels=1000))
  with TestClient(app) as client:
    (row,) = post(client, {"photo.png": encoded(sample_pixels(), "PNG")}).json()["rows"]
  assert "too large" in row["error"]


def test_a_request_over_the_byte_limit_is_refused_with_413_and_serving_goes_on(model):
  app = app_lib.create_app(model, limits_lib.Limits(max_request_bytes=20_000))
  with TestClient(app) as client:
    response = post(client, {"big.bmp": encoded(sample_pixels(shape=(100, 100, 3)), "BMP")})
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    assert rows_by_name(post(client, {"small.jpg": good_files()["photo.jpg"]}))["small.jpg"]


def test_a_chunked_request_over_the_byte_limit_is_refused_with_413(model):
  app = app_lib.create_app(model, limits_lib.Limits(max_request_bytes=20_000))
  boundary = "limit"

  def body():  # no Content-Length: the limit is counted as the chunks arrive
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
           "filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    for _ in range(10):
      yield b"\0" * 4096
    yield f"\r\n--{boundary}--\r\n".encode()

  with TestClient(app) as client:
    response = client.post("/api/predict", content=body(),
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert client.get("/healthz").json()["status"] == "ok"


def test_concurrent_requests_are_all_answered_one_scoring_at_a_time(model, monkeypatch):
  active, most = [0], [0]
  lock = threading.Lock()
  real = predict_lib.predict_payloads

  def watched(*args, **kwargs):
    with lock:
      active[0] += 1
      most[0] = max(most[0], active[0])
    time.sleep(0.05)  # long enough for the other requests to arrive meanwhile
    try:
      return real(*args, **kwargs)
    finally:
      with lock:
        active[0] -= 1

  monkeypatch.setattr(predict_lib, "predict_payloads", watched)
  with TestClient(app_lib.create_app(model)) as client:
    with futures.ThreadPoolExecutor(6) as pool:
      responses = list(pool.map(lambda _: post(client, good_files(), explain="false"),
                                range(6)))
  assert [r.status_code for r in responses] == [200] * 6
  assert all(len(r.json()["rows"]) == 2 for r in responses)
  assert most[0] == 1


def test_healthz_names_the_model(client, model):
  assert client.get("/healthz").json() == {"status": "ok", "model": model.card.name}


def test_model_endpoint_gives_the_card_its_markdown_and_the_limits(client, model):
  body = client.get("/api/model").json()
  assert body["card"] == model.card.to_dict()
  assert body["markdown"].startswith(f"# Model card: {model.card.name}")
  assert body["calibrated_threshold"] == pytest.approx(model.card.calibrated_threshold)
  assert body["limits"] == limits_lib.Limits().to_dict()


def test_csv_download_has_the_predict_commands_columns(client):
  rows = post(client, good_files()).json()["rows"]
  response = client.post("/api/csv", json={"rows": rows})
  assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
  assert "attachment" in response.headers["content-disposition"]
  read = list(csv.DictReader(io.StringIO(response.text)))
  assert tuple(read[0]) == predict_lib.COLUMNS
  assert [r["path"] for r in read] == list(good_files())


def test_csv_of_no_rows_is_the_header_alone(client):
  text = client.post("/api/csv", json={"rows": []}).text
  assert text.strip() == ",".join(predict_lib.COLUMNS)


def test_an_overlay_and_the_crop_come_with_each_row_when_explain_is_there(client, fake_explain):
  rows = rows_by_name(post(client, good_files()))
  assert fake_explain == ["gradcam"] * len(rows)
  for row in rows.values():
    for key in ("crop", "overlay"):
      assert row[key].startswith("data:image/png;base64,")
      image = Image.open(io.BytesIO(base64.b64decode(row[key].split(",", 1)[1])))
      assert image.size == (SIZE, SIZE)
  assert client.get("/api/model").json()["explanations"] is True


def test_explain_false_skips_the_overlay(client, fake_explain):
  rows = rows_by_name(post(client, good_files(), explain="false"))
  assert not fake_explain and all(row["overlay"] is None for row in rows.values())


def test_without_the_explain_package_rows_come_without_overlays(client, no_explain):
  rows = rows_by_name(post(client, good_files()))
  assert all(row["overlay"] is None and row["crop"] is None for row in rows.values())
  assert all(row["probability"] is not None for row in rows.values())
  assert client.get("/api/model").json()["explanations"] is False


def test_a_failing_explanation_loses_the_overlay_not_the_verdict(client, fake_explain,
                                                                 monkeypatch):
  def broken(*_, **__):
    raise RuntimeError("no gradients")
  monkeypatch.setattr(sys.modules["keras_detect.explain"], "explain_crop", broken)
  rows = rows_by_name(post(client, good_files()))
  assert all(row["overlay"] is None and row["label"] for row in rows.values())


def test_no_overlay_for_a_model_without_its_keras_model(model, fake_explain, monkeypatch):
  monkeypatch.setattr(model, "_keras_model", None)
  assert scoring._gradcam_png(model, np.zeros((SIZE, SIZE, 3), np.float32)) is None


def test_the_real_explain_package_gives_an_overlay(client):
  pytest.importorskip("keras_detect.explain")
  rows = rows_by_name(post(client, good_files()))
  assert all(row["overlay"].startswith("data:image/png") for row in rows.values())


def test_an_attribution_model_lists_the_most_likely_generators(tmp_path, tiny_mix):
  run = write_run_dir(tmp_path, tiny_mix, task="both", class_names=["real", *GENERATORS])
  with TestClient(app_lib.create_app(inference.load_detector(run))) as client:
    row = post(client, good_files()).json()["rows"][0]
  names = [g["name"] for g in row["generators"]]
  probabilities = [g["probability"] for g in row["generators"]]
  assert len(names) == scoring.TOP_GENERATORS and set(names) <= set(GENERATORS)
  assert names[0] == row["generator"] and probabilities == sorted(probabilities, reverse=True)


def test_a_binary_model_lists_no_generators(client):
  assert all(row["generators"] == [] for row in post(client, good_files()).json()["rows"])


def test_the_page_and_its_assets_are_served_from_the_package(client):
  page = client.get("/")
  assert page.status_code == 200 and "text/html" in page.headers["content-type"]
  assert "default-src 'self'" in page.headers["content-security-policy"]
  for asset in ("/static/app.js", "/static/style.css"):
    assert asset in page.text
    assert client.get(asset).status_code == 200
  for text in (page.text, client.get("/static/app.js").text, client.get("/static/style.css").text):
    assert "http://" not in text and "https://" not in text  # nothing from a CDN: works offline


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_the_page_script_parses():
  subprocess.run(["node", "--check", app_lib.STATIC + "/app.js"], check=True)


def test_serve_binds_to_loopback_by_default(run_dir, monkeypatch, capsys):
  started = serving(monkeypatch)
  assert cli.main(["serve", "--model", run_dir, "--port", "8123"]) == 0
  assert started["host"] == "127.0.0.1" and started["port"] == 8123
  assert "warning" not in capsys.readouterr().err


def test_serve_on_another_host_warns(run_dir, monkeypatch, capsys):
  started = serving(monkeypatch)
  assert cli.main(["serve", "--model", run_dir, "--host", "0.0.0.0"]) == 0
  assert started["host"] == "0.0.0.0" and "no login" in capsys.readouterr().err


def test_serve_without_a_default_model_says_to_pass_one(tmp_path, monkeypatch, capsys):
  serving(monkeypatch)
  monkeypatch.setattr(inference, "DEFAULT_MODEL", str(tmp_path / "missing"))
  assert cli.main(["serve"]) == 2
  assert "--model" in capsys.readouterr().err


def test_serve_refuses_limits_below_one(run_dir, capsys):
  assert cli.main(["serve", "--model", run_dir, "--max-request-bytes", "0"]) == 2
  assert "must be positive" in capsys.readouterr().err


def test_python_dash_m_serve_shows_help():
  shown = subprocess.run([sys.executable, "-m", "keras_detect.serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
  assert "--max-request-bytes" in shown and "--host" in shown


def serving(monkeypatch) -> dict:
  """Stands in for uvicorn.run; returns what it was called with."""
  import uvicorn
  started = {}
  monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options, app=app))
  return started


@pytest.fixture
def live_server(model):
  """The app on a free local port, served by uvicorn in a thread."""
  import uvicorn
  server = uvicorn.Server(uvicorn.Config(app_lib.create_app(model), host="127.0.0.1", port=0,
                                         log_level="warning"))
  thread = threading.Thread(target=server.run, daemon=True)
  thread.start()
  while not server.started:
    time.sleep(0.05)
  yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
  server.should_exit = True
  thread.join(10)


# Drops and pastes a PNG drawn on a canvas, as a person dragging a file or pasting would.
SEND_CANVAS_PNG = """async ([kind, name]) => {
  const canvas = document.createElement("canvas");
  canvas.width = 40; canvas.height = 30;
  canvas.getContext("2d").fillRect(5, 5, 20, 10);
  const blob = await new Promise((done) => canvas.toBlob(done, "image/png"));
  const transfer = new DataTransfer();
  transfer.items.add(new File([blob], name, {type: "image/png"}));
  if (kind === "drop") {
    document.querySelector("#drop").dispatchEvent(
      new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
  } else {
    document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true}));
  }
}"""


@pytest.mark.slow
def test_the_page_checks_picked_dropped_and_pasted_images_in_headless_chromium(
    live_server, tmp_path, fake_explain):
  sync_api = pytest.importorskip("playwright.sync_api")
  browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
  if not browser_path:
    pytest.skip("chromium is not installed")
  files = {**good_files(), "notes.png": b"not an image"}
  for name, data in files.items():
    (tmp_path / name).write_bytes(data)
  with sync_api.sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server)
    page.wait_for_selector("#card-text h3")
    page.set_input_files("#picker", [str(tmp_path / name) for name in files])
    page.evaluate(SEND_CANVAS_PNG, ["drop", "dropped.png"])
    page.evaluate(SEND_CANVAS_PNG, ["paste", "image.png"])
    page.wait_for_function("() => !document.querySelector('.verdict.pending') && "
                           "document.querySelectorAll('.result').length === 5")
    names = page.locator(".result .name").all_text_contents()
    verdicts = page.locator(".result .verdict").all_text_contents()
    assert names == [*files, "dropped.png", "pasted-1.png"]
    assert verdicts[2] == "could not be checked"
    assert set(verdicts[:2] + verdicts[3:]) <= {"real", "synthetic", "uncertain"}
    assert page.locator(".result").nth(0).locator(".overlay").is_visible()
    page.uncheck("#heatmaps")
    assert not page.locator(".result").nth(0).locator(".overlay").is_visible()
    assert page.locator("#table tbody tr").count() == 5
    with page.expect_download() as download:
      page.click("#download")
    with open(download.value.path(), newline="") as f:
      read = list(csv.DictReader(f))
    browser.close()
  assert tuple(read[0]) == predict_lib.COLUMNS and len(read) == 5
  assert not errors
