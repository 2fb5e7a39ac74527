"""Fuse several trained runs of one mix (e.g. an rgb and an npr detector) into one run
directory: each member scores the same crop, their calibrated logits are averaged. Then
evaluate it (threshold and temperature of the fused score) and export it like any run.
Example: keras-detect fuse runs/all_shared-rgb runs/all_shared-npr --out runs/fused"""


def add_arguments(parser):
  parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR",
                      help="evaluated runs (params.yaml, best.keras, calibration.json)")
  parser.add_argument("--out", required=True, help="run directory to write the fused detector to")
  parser.add_argument("--overwrite", action="store_true", help="replace a run already in --out")


def run(args):
  from keras_detect import fusion

  out = fusion.fuse(args.run_dirs, args.out, overwrite=args.overwrite)
  print(f"Fused {len(args.run_dirs)} runs into {out}. Next: keras-detect evaluate {out} "
        f"(chooses its threshold), then keras-detect export {out}")
