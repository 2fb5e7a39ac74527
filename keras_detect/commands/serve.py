"""A local web page for checking images: drop, pick or paste files and see, for each, the
verdict (real / synthetic) with its calibrated probability and threshold, the most likely
generators (attribution models), where the model looked (Grad-CAM, shown beside the
original) and what the file declares about its origin; the batch downloads as the predict
command's CSV, and the model card is one click away. The same answers come as JSON from
POST /api/predict (see keras_detect/serve/app.py). The model loads once and requests are
scored one at a time. Binds to 127.0.0.1: only this machine can reach it unless --host says.
Example: keras-detect serve --model saved_models/modern-mobilenet"""

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_arguments(parser):
  from keras_detect.serve import limits
  defaults = limits.Limits()
  parser.add_argument("--model", default="", metavar="RUN_DIR|SAVEDMODEL",
                      help="a run directory, an exported version folder, or its model folder "
                           "(newest version) [the default model shipped with the package]")
  parser.add_argument("--host", default=LOOPBACK[0],
                      help="address to listen on; anything but loopback lets other machines "
                           "upload images (there is no login)")
  parser.add_argument("--port", type=int, default=8000)
  parser.add_argument("--max-file-bytes", type=int, default=defaults.max_file_bytes,
                      help="a larger file gets an error row; the others are scored")
  parser.add_argument("--max-request-bytes", type=int, default=defaults.max_request_bytes,
                      help="a larger upload is refused whole (HTTP 413)")
  parser.add_argument("--max-pixels", type=int, default=defaults.max_pixels,
                      help="larger images are refused (decompression bombs)")
  parser.add_argument("--batch-size", type=int, default=defaults.batch_size)


def run(args):
  import sys

  import uvicorn

  from keras_detect import inference
  from keras_detect.errors import UserError
  from keras_detect.serve import app as app_lib
  from keras_detect.serve import limits

  sizes = (args.max_file_bytes, args.max_request_bytes, args.max_pixels, args.batch_size)
  if min(sizes) < 1:
    raise UserError("--max-file-bytes, --max-request-bytes, --max-pixels and --batch-size "
                    "must be positive")
  detector = inference.load_detector(args.model)
  application = app_lib.create_app(detector, limits.Limits(*sizes))
  if args.host not in LOOPBACK:
    print(f"keras-detect serve: warning: listening on {args.host}: any machine that reaches "
          "it can upload images and read the answers; there is no login.", file=sys.stderr)
  print(f"keras-detect serve: model {detector.card.name} at http://{_url_host(args.host)}:"
        f"{args.port}/ (Ctrl+C stops)")
  uvicorn.run(application, host=args.host, port=args.port, log_level="warning")
  return 0


def _url_host(host: str) -> str:
  return f"[{host}]" if ":" in host else host
