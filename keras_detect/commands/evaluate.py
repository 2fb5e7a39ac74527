"""Evaluate a trained run: metrics overall, per source and per generator, figures, and
robustness protocols. Everything goes into the run directory (or --out), also the
threshold and temperature chosen on the run's validation split (calibration.json).
Example: python -m keras_detect.evaluate runs/faces-effnetb0 --protocol robustness"""

PROTOCOL_HELP = ("standard: metrics, report.md and figures | robustness: JPEG, blur, noise, "
                 "crops, resizes | format-swap: originals re-saved as JPEG/PNG/WebP | "
                 "leave-one-out: train without each synthetic group, test on it | "
                 "leave-sources-out: train without each fold of source families, score the "
                 "held-out synthetic sources (AUC) and real sources (FPR)")


def add_arguments(parser):
  parser.add_argument("run_dir", metavar="RUN_DIR", help="folder with params.yaml and best.keras")
  parser.add_argument("--data", default="", metavar="MIX",
                      help="evaluate on another mix (cross-dataset) [the run's mix]")
  parser.add_argument("--split", default="test", choices=("train", "validation", "test"))
  parser.add_argument("--protocol", default="standard",
                      choices=("standard", "robustness", "format-swap", "leave-one-out",
                               "leave-sources-out"),
                      help=PROTOCOL_HELP)
  parser.add_argument("--group", default="generator", choices=("generator", "source"),
                      help="what leave-one-out holds out")
  parser.add_argument("--folds", type=int, default=3,
                      help="leave-sources-out: folds of source families, one model each")
  parser.add_argument("--conditions", nargs="+", metavar="NAME",
                      help="robustness / format-swap conditions to run [all]")
  parser.add_argument("--threshold", default="youden", choices=("youden", "fpr", "source_fpr"),
                      help="how the validated threshold is chosen: youden (max TPR − FPR), fpr "
                           "(FPR ≤ --target-fpr overall), source_fpr (FPR ≤ --target-fpr on "
                           "the real images of every source)")
  parser.add_argument("--target-fpr", type=float, default=0.01, help="for --threshold fpr")
  parser.add_argument("--aligned", action="store_true",
                      help="align test images as in training (default: as users send them)")
  parser.add_argument("--out", default="", help="output folder [RUN_DIR]")
  parser.add_argument("--batch-size", type=int, default=0, help="[the run's batch size]")
  parser.add_argument("--manual-dir", default="", help="source folders [the run's manual dir]")
  parser.add_argument("--data-dir", default="", help="TFDS data dir [the run's data dir]")
  parser.add_argument("--max-examples", type=int, default=0,
                      help="score an even sample of at most N examples per split (0: all)")


def run(args):
  from keras_detect import evaluate

  evaluation = evaluate.open_run(
      args.run_dir, mix=args.data, out=args.out, aligned=args.aligned,
      batch_size=args.batch_size, manual_dir=args.manual_dir, data_dir=args.data_dir,
      max_examples=args.max_examples, threshold_method=args.threshold,
      target_fpr=args.target_fpr)
  out = evaluation.out_dir
  if args.protocol == "standard":
    result = evaluate.standard(evaluation, args.split)
    overall = result["at_threshold"]["overall"]
    auc = "undefined" if overall["roc_auc"] is None else f"{overall['roc_auc']:.4f}"
    print(f"AUC {auc}, accuracy {overall['accuracy']:.4f} at threshold "
          f"{overall['threshold']:.4f}. Report: {out}/report.md")
  elif args.protocol == "robustness":
    from keras_detect.protocols import robustness
    robustness.robustness(evaluation, args.split, args.conditions)
    print(f"Report: {out}/robustness.md")
  elif args.protocol == "format-swap":
    from keras_detect.protocols import robustness
    robustness.format_swap(evaluation, args.split, args.conditions)
    print(f"Report: {out}/format_swap.md")
  elif args.protocol == "leave-sources-out":
    from keras_detect.protocols import sources_out
    summary = sources_out.leave_sources_out(evaluation, folds=args.folds, split=args.split)["summary"]
    print(", ".join(f"{k} {v:.4f}" for k, v in summary.items() if v is not None)
          + f". Report: {out}/leave_sources_out.md")
  else:
    from keras_detect.protocols import leave_one_out
    leave_one_out.leave_one_out(evaluation, args.group, args.split)
    print(f"Report: {out}/leave_one_out.md")
  return 0
