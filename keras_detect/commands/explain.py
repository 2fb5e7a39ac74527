"""Explain a detector's verdicts: one PNG panel per image (the crop the model sees, its
verdict and probability, one overlay per method) and scores.json, for image files or
--n examples of a mix's split. Dataset views: --mean-saliency (mean map per class over the
examples) and --fingerprints (mean DCT spectrum of every source in the manual directory).
--compare RUN_DIR2 explains the same images with a second model; --sanity re-initialises
the head and top stage and reports how much each method's maps change (Spearman ρ).
Example: keras-detect explain runs/gan_monet-mobilenet --data gan_monet --n 8
--methods gradcam,scorecam,lime --out explanations/gan_monet"""

DEFAULT_METHODS = "gradcam,gradcam++,scorecam,layercam,eigencam,saliency,lime"


def add_arguments(parser):
  parser.add_argument("model", metavar="RUN_DIR|SAVEDMODEL",
                      help="a run directory or an exported version folder")
  parser.add_argument("images", nargs="*", metavar="IMAGE", help="files, folders or globs")
  parser.add_argument("--data", default="", metavar="MIX", help="explain examples of this mix")
  parser.add_argument("--split", default="test", choices=("train", "validation", "test"))
  parser.add_argument("--n", type=int, default=8,
                      help="examples of --data (drawn from its sources in turn); per source "
                           "for --fingerprints")
  parser.add_argument("--methods", default=DEFAULT_METHODS,
                      help="comma-separated names of keras_detect.explain.METHODS (gradcam, "
                           "gradcam++, scorecam, fasterscorecam, layercam, eigencam, saliency, "
                           "smoothgrad, guided_positive, guided_negative, lime)")
  parser.add_argument("--out", default="explanations", help="output folder")
  parser.add_argument("--compare", default="", metavar="RUN_DIR2",
                      help="a second model, explained on the same images beside the first")
  parser.add_argument("--sanity", action="store_true",
                      help="re-initialise the head and top stage, explain again and flag the "
                           "methods whose maps barely change (Spearman ρ)")
  parser.add_argument("--mean-saliency", action="store_true",
                      help="the mean map of each method per class over the --data examples")
  parser.add_argument("--fingerprints", action="store_true",
                      help="mean log-magnitude DCT spectrum of every source in --manual-dir")
  parser.add_argument("--group-by", default="source", choices=("source", "generator"),
                      help="what one --fingerprints panel averages")
  parser.add_argument("--lime-samples", type=int, default=200,
                      help="perturbed images LIME fits its linear model on")
  parser.add_argument("--smoothgrad-samples", type=int, default=20)
  parser.add_argument("--max-n", type=int, default=10,
                      help="fasterscorecam: activation maps of largest variance it keeps")
  parser.add_argument("--manual-dir", default="", help="source folders [the config default]")
  parser.add_argument("--data-dir", default="", help="TFDS data dir [the config default]")


def run(args):
  from keras_detect import config as config_lib
  from keras_detect import explain, inference, predict_lib
  from keras_detect.errors import UserError
  from keras_detect.explain import reports, sources

  if args.n < 1 or args.lime_samples < 1 or args.smoothgrad_samples < 1 or args.max_n < 1:
    raise UserError("--n, --lime-samples, --smoothgrad-samples and --max-n must be positive")
  if not (args.images or args.data or args.fingerprints):
    raise UserError("Name IMAGE files, or --data MIX, or ask for --fingerprints.")
  if args.mean_saliency and not args.data:
    raise UserError("--mean-saliency averages over --data MIX examples: name a mix.")
  methods = explain.parse_methods(args.methods)
  options = {"lime": {"samples": args.lime_samples},
             "smoothgrad": {"samples": args.smoothgrad_samples},
             "fasterscorecam": {"max_n": args.max_n}}
  defaults = config_lib.Config().data
  manual_dir = args.manual_dir or defaults.manual_dir
  data_dir = args.data_dir or defaults.data_dir
  detectors = [inference.load_detector(path) for path in (args.model, args.compare) if path]
  if args.images or args.data:
    for detector in detectors:
      reports.check_methods(detector, methods)
    if args.images:
      paths = predict_lib.find_images(args.images)
      items = [sources.file_items(d, paths, report=d is detectors[0]) for d in detectors]
    else:
      items = [reports.mix_items(d, args.data, args.split, args.n, manual_dir, data_dir)
               for d in detectors]
    if not items[0]:
      raise UserError("No readable images to explain.")
    records = reports.explain_items(detectors, items, methods, args.out, options)
    print(f"Wrote {len(records)} panels and {reports.SCORES} to {args.out}")
    if args.sanity:
      result = reports.sanity_report(detectors[0], items[0], methods, args.out, options)
      for row in result.methods:
        rho = "undefined (flat maps)" if row.mean_rho is None else f"{row.mean_rho:+.3f}"
        print(f"sanity {row.method}: mean ρ {rho}"
              + ("  FLAGGED: maps barely change" if row.flagged else ""))
    if args.mean_saliency:
      counts = reports.mean_saliency_report(detectors[0], items[0], methods, args.out, options)
      print(f"Mean maps over {sum(counts.values())} examples: {args.out}/mean_saliency.png")
  if args.fingerprints:
    counts = reports.fingerprint_report(detectors[0].card, manual_dir, data_dir, args.split,
                                        args.n, args.out, args.group_by)
    print(f"Fingerprints of {len(counts)} groups: {args.out}/fingerprints.png")
  return 0
