"""Export a trained run for TF Serving: saved_models/<name>/<version>/ with two signatures
(serving_default: encoded image bytes; predict_images: float pixels), decoding and sizing
inside the graph, the calibrated probability and label as outputs, and the model card.
Run `keras-detect evaluate RUN_DIR` first: it chooses the threshold and temperature.
Example: keras-detect export runs/modern-mobilenet"""


def add_arguments(parser):
  parser.add_argument("run_dir", metavar="RUN_DIR",
                      help="folder with params.yaml, best.keras and calibration.json")
  parser.add_argument("--out", default="saved_models", help="folder of exported models")
  parser.add_argument("--name", default="", help="model name [the run directory's name]")
  parser.add_argument("--version", type=int, default=0, help="version number [next free]")
  parser.add_argument("--overwrite", action="store_true", help="replace an existing version")


def run(args):
  from keras_detect import export_lib

  folder = export_lib.export(args.run_dir, out_dir=args.out, name=args.name,
                             version=args.version, overwrite=args.overwrite)
  print(f"Exported {folder} (model card: {folder}/assets/MODEL_CARD.md). Score files with: "
        f"keras-detect predict --model {folder} IMAGES...")
