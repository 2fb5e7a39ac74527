"""`keras-detect VERB ...`: one entry point over the command modules in keras_detect/commands.

Each command module has `add_arguments(parser)` and `run(args)`; heavy imports happen in
`run`, so `--help` is instant. A UserError prints one line and exits with status 2.
"""

import argparse
import importlib
import sys

from keras_detect.errors import UserError

COMMANDS = {
    "data": "list, build and summarise the image sources and mixes",
    "fit": "train a detector on a mix",
    "evaluate": "metrics, plots and robustness protocols for a trained run",
    "explain": "heat maps of why a detector decides (Grad-CAM, Score-CAM, LIME, ...), "
               "DCT fingerprints and sanity checks",
    "audit": "can format, size or JPEG quality alone tell the classes of a mix apart?",
    "provenance": "what files declare about their origin (C2PA, IPTC, EXIF, PNG text)",
    "fuse": "fuse several runs of one mix into one detector (mean of calibrated logits)",
    "export": "write a trained run as a TF Serving SavedModel with its model card",
    "predict": "score image files, folders or globs with a run or an exported model",
    "serve": "a local web page: drop images; see verdict, generator and where the model looked",
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
  """Shows a default only where there is one to show."""

  def _get_help_string(self, action):
    if action.default in (None, "", False, [], argparse.SUPPRESS):
      return action.help
    return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog="keras-detect", description="Detect AI-generated images with TensorFlow/Keras.")
  verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
  for verb, help_text in COMMANDS.items():
    module = importlib.import_module(f"keras_detect.commands.{verb}")
    sub = verbs.add_parser(verb, help=help_text, description=module.__doc__,
                           formatter_class=HelpFormatter)
    module.add_arguments(sub)
  return parser


def main(argv=None) -> int:
  args = build_parser().parse_args(argv)
  module = importlib.import_module(f"keras_detect.commands.{args.verb}")
  try:
    return module.run(args) or 0
  except UserError as error:
    print(f"keras-detect {args.verb}: error: {error}", file=sys.stderr)
    return 2
  except KeyboardInterrupt:
    print(f"keras-detect {args.verb}: interrupted", file=sys.stderr)
    return 130


def run_verb(verb: str) -> None:
  """`python -m keras_detect.<verb>` lands here."""
  sys.exit(main([verb, *sys.argv[1:]]))


if __name__ == "__main__":
  sys.exit(main())
