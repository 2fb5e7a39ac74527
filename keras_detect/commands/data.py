"""List the image sources and mixes, build them with TFDS, and summarise what they hold:
counts per split and label, how the real and synthetic sides differ in format and size
(a shortcut a detector will take), and a PNG of samples per source."""

import os

from keras_detect.config import DataConfig

DEFAULT_MANUAL_DIR = DataConfig.manual_dir  # one default for every command


def add_arguments(parser):
  parser.add_argument("--list", action="store_true", help="list builders, backbones and mixes, then exit")
  parser.add_argument("--mix", default="all_shared", help="mix to build and summarise")
  parser.add_argument("--build", nargs="+", metavar="SOURCE",
                      help="build these sources instead of a mix")
  parser.add_argument("--manual-dir", default=DEFAULT_MANUAL_DIR,
                      help="folder holding one sub-folder per source")
  parser.add_argument("--data-dir", default="", help="TFDS data dir (default: ~/tensorflow_datasets)")
  parser.add_argument("--out", default="runs/data", help="where the sample PNGs go")
  parser.add_argument("--no-samples", action="store_true", help="skip the sample PNGs")


def run(args):
  import tfds_builders
  from keras_detect import backbones, data, summary
  from keras_detect.errors import UserError

  if args.list:
    print("Builders:", ", ".join(tfds_builders.builder_names()))
    print("Backbones (--backbone):", ", ".join(backbones.list_backbones()))
    for name in data.list_mixes():
      mix = data.load_mix(name)
      print(f"Mix {name}: {mix.description} [{', '.join(s.name for s in mix.sources)}]")
    return 0
  if not os.path.isdir(args.manual_dir):
    raise UserError(f"No data at {args.manual_dir}: put one folder per source there "
                    "(as in ../shared/data) or pass --manual-dir.")
  mix = None if args.build else data.load_mix(args.mix)
  names = args.build or [s.name for s in mix.sources]
  builders = data.prepare(names, args.manual_dir, args.data_dir)
  traits = summary.file_traits(builders)
  print(summary.count_table(traits))
  for name, builder in builders.items():
    skipped = builder.info.metadata.get("skipped") or {}
    bad = {split: c for split, c in skipped.items() if c}
    if bad:
      print(f"{name}: skipped files {bad}")
  sides, warnings = summary.side_differences(traits)
  print(f"\nReal vs synthetic ({mix.name if mix else 'selected sources'}):")
  for label, side in sides.items():
    print(f"  {label:9s} {side}")
  for warning in warnings:
    print(f"  WARNING: {warning} — a detector can learn this instead of the image; "
          "align formats (see keras_detect/mixes/README.md) and run `keras-detect audit`.")
  if not args.no_samples:
    os.makedirs(args.out, exist_ok=True)
    for name, builder in builders.items():
      path = summary.save_sample_grid(builder, os.path.join(args.out, f"samples_{name}.png"))
      print(f"Saved {path}")
  return 0
