"""Can format, size or JPEG quality alone tell the classes of a mix apart? Cross-validated
ROC-AUC of classifiers that see only file traits (format, width, height, bytes per pixel,
JPEG quality, chroma subsampling, EXIF), for the whole mix and per source. Near 0.5 is
what you want; above 0.6 a detector can learn the file instead of the image.
--aligned audits the bytes training actually feeds the model (after the mix's align block).
Example: python -m keras_detect.audit art_sd --aligned"""

import contextlib
import json
import sys

from keras_detect.config import DataConfig

DEFAULT_MANUAL_DIR = DataConfig.manual_dir  # one default for every command


def add_arguments(parser):
  parser.add_argument("mix", metavar="MIX", help="shipped mix name or path to a mix YAML")
  parser.add_argument("--manual-dir", default=DEFAULT_MANUAL_DIR,
                      help="folder holding one sub-folder per source")
  parser.add_argument("--data-dir", default="", help="TFDS data dir; empty: "
                      "$KERAS_DETECT_DATA_DIR or ~/tensorflow_datasets")
  parser.add_argument("--aligned", action="store_true",
                      help="audit the aligned JPEGs the training pipeline makes, not the files")
  parser.add_argument("--image-size", type=int, default=128,
                      help="crop size of the alignment (as the training config's image_size)")
  parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
  parser.add_argument("--max-per-source", type=int, default=400,
                      help="examples per source at most (a fixed, hash-based sample)")
  parser.add_argument("--json", action="store_true", help="print the report as JSON")
  parser.add_argument("--out", default="",
                      help="PNG of the top traits' histograms; empty: runs/audit/MIX_files.png "
                      "(or MIX_aligned.png)")


def run(args):
  from keras_detect import audit

  # With --json, stdout carries the JSON only; progress bars go to stderr.
  with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
    report = audit.audit_mix(args.mix, args.manual_dir, args.data_dir, aligned=args.aligned,
                             image_size=args.image_size, max_per_source=args.max_per_source,
                             folds=args.folds, figure=args.out)
  if args.json:
    print(json.dumps(report, indent=2))
    return 0
  kind = f"aligned JPEGs, {args.image_size} px" if args.aligned else "files as stored"
  examples = report["examples"]
  print(f"\nAudit of '{report['mix']}' ({kind}; {examples['real']} real, "
        f"{examples['synthetic']} synthetic; {report['folds']}-fold grouped cross-validation)")
  print(audit.format_table(report))
  if report["warning"]:
    print("\n" + report["warning"])
  print(f"\nFigure: {report['figure']}")
  return 0
