"""Score images with a trained detector (a run directory or an exported SavedModel): files,
folders (recursively) or glob patterns. Every file gets a row — path, probability (after
calibration), label at the validated threshold, generator (attribution models), threshold,
error — and a file that cannot be read is reported with its reason while the rest go on.
Exit status 1 when any file failed. `--runner beam` scores with an exported model on an
Apache Beam pipeline (keras_detect/batch_predict.py) and writes the same rows to --output.
Example: keras-detect predict --model saved_models/modern-mobilenet photos/ --output scores.csv"""


def add_arguments(parser):
  from tfds_builders import image_io
  parser.add_argument("inputs", nargs="+", metavar="IMAGE", help="files, folders or globs")
  parser.add_argument("--model", default="", metavar="RUN_DIR|SAVEDMODEL",
                      help="a run directory, an exported version folder, or its model folder "
                           "(newest version) [the default model shipped with the package]")
  parser.add_argument("--output", default="", help="write rows to this .csv or .jsonl file")
  parser.add_argument("--batch-size", type=int, default=32)
  parser.add_argument("--native-crops", type=int, default=0, metavar="0..5",
                      help="crops at native resolution beside the training-scale one, pooled; "
                           "their disagreement makes a verdict 'uncertain'")
  parser.add_argument("--max-pixels", type=int, default=image_io.MAX_PIXELS,
                      help="larger images are refused (decompression bombs)")
  parser.add_argument("--max-bytes", type=int, default=image_io.MAX_BYTES,
                      help="larger files are refused before they are read")
  parser.add_argument("--quiet", action="store_true", help="no progress bar and no table")
  parser.add_argument("--explain", default="", metavar="METHOD",
                      help="write a heat-map overlay PNG per scored image (a method of "
                           "keras-detect explain, e.g. gradcam or saliency)")
  parser.add_argument("--explain-dir", default="explanations", metavar="DIR",
                      help="where --explain writes its PNGs")
  parser.add_argument("--runner", choices=("local", "beam"), default="local",
                      help="beam: an Apache Beam pipeline over an exported model (the beam "
                           "extra; --native-crops 0 or 4, rows to --output only)")
  parser.add_argument("--beam-options", default="", metavar="OPTIONS",
                      help="Beam pipeline options for --runner beam, after an equals sign: "
                           "--beam-options='--runner=DataflowRunner --project=P ...' "
                           "[DirectRunner]")


def run(args):
  from keras_detect import inference, predict_lib
  from keras_detect.errors import UserError

  if args.batch_size < 1 or args.max_pixels < 1 or args.max_bytes < 1:
    raise UserError("--batch-size, --max-pixels and --max-bytes must be positive")
  if not 0 <= args.native_crops <= 5:
    raise UserError("--native-crops takes 0 to 5 (centre and the four corners)")
  if args.runner == "beam":
    return _run_on_beam(args)
  detector = inference.load_detector(args.model)
  if args.explain:
    from keras_detect.explain import reports
    reports.check_methods(detector, [args.explain])
  paths = predict_lib.find_images(args.inputs)
  if not paths:
    raise UserError(f"No image files in {' '.join(args.inputs)}")
  rows = predict_lib.predict_files(detector, paths, batch_size=args.batch_size,
                                   native_crops=args.native_crops,
                                   max_pixels=args.max_pixels, max_bytes=args.max_bytes,
                                   progress=not args.quiet, explain=args.explain,
                                   explain_dir=args.explain_dir)
  if not args.quiet:
    print(predict_lib.format_table(rows))
  if args.output:
    predict_lib.write_rows(rows, args.output)
    print(f"Wrote {len(rows)} rows to {args.output}")
  failed = sum(1 for row in rows if row["error"])
  if failed:
    print(f"{failed} of {len(rows)} files could not be scored (see the error column).")
  return 1 if failed else 0


def _run_on_beam(args):
  from keras_detect.errors import UserError

  if args.explain or not args.output:
    raise UserError("--runner beam writes rows to --output FILE.csv|.jsonl, and explains "
                    "nothing (--explain needs --runner local).")
  try:
    from keras_detect import batch_predict
  except ModuleNotFoundError as error:
    if error.name.split(".")[0] not in ("apache_beam", "tensorflow_hub", "tf_keras"):
      raise
    raise UserError(f"--runner beam needs Apache Beam ({error}): install the beam extra in "
                    "an environment of its own (README, \"Scaling out\").") from None
  counts = batch_predict.predict(args.inputs, args.output, model=args.model,
                                 native_crops=args.native_crops, max_pixels=args.max_pixels,
                                 max_bytes=args.max_bytes, batch_size=args.batch_size,
                                 beam_options=args.beam_options)
  print(f"Wrote {counts['rows']} rows to {args.output}")
  if counts["failed"]:
    print(f"{counts['failed']} of {counts['rows']} files could not be scored (see the error "
          "column).")
  return 1 if counts["failed"] else 0
