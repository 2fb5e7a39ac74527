"""The full robustness grid (JPEG 100…30, blur σ 1–4, noise, grayscale, crops, resizes,
downscale 112/64, ×0.5) and the format swap for one run — by default the one the shipped
detector was trained in — at its shipped threshold. Writes benchmarks/results/robustness_grid.json
and its section of RESULTS.md.

    python benchmarks/robustness_grid.py runs/default_detector --threshold source_fpr --target-fpr 0.05

Protocol results already in --out (robustness.json, format_swap.json) are read back.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import recipes  # noqa: E402  (benchmarks/ is not a package)
import results_md  # noqa: E402

PATH = os.path.join(recipes.RESULTS, "robustness_grid.json")
TARGETS = {"jpeg_75": 0.02, "resize_x0.5": 0.02}  # the largest acceptable drop of test ROC-AUC
COLUMNS = ["roc_auc", "drop_roc_auc", "accuracy_at_threshold", "real_fpr_at_threshold"]


def run_protocols(args) -> dict:
  from keras_detect import evaluate
  from keras_detect.protocols import robustness

  out = args.out or os.path.join(args.run_dir, "robustness_grid")
  result = {"run_dir": os.path.relpath(args.run_dir), "threshold": args.threshold, "target_fpr": args.target_fpr}
  for name, protocol in (("robustness", robustness.robustness),
                         ("format_swap", robustness.format_swap)):
    path = os.path.join(out, f"{name}.json")
    started = time.time()
    if not os.path.isfile(path):
      protocol(evaluate.open_run(args.run_dir, out=out, threshold_method=args.threshold,
                                 target_fpr=args.target_fpr))
    result[name] = json.load(open(path))
    result[f"{name}_seconds"] = round(time.time() - started, 1)
  return result


def _table(rows: list) -> str:
  lines = ["| condition | " + " | ".join(COLUMNS) + " | target |", "|---|" + "---|" * (len(COLUMNS) + 1)]
  for row in rows:
    target = TARGETS.get(row["condition"])
    verdict = "" if target is None else (
        f"≤ {target}: {'met' if (row['drop_roc_auc'] or 0) <= target else 'missed'}")
    lines.append(f"| {row['condition']} | " + " | ".join(
        "" if row.get(k) is None else f"{row[k]:.3f}" for k in COLUMNS) + f" | {verdict} |")
  return "\n".join(lines)


def _seconds(result: dict, protocol: str) -> str:
  seconds = result[f"{protocol}_seconds"]
  return f"{seconds:.0f} s" if seconds >= 1 else "not timed (read back from an earlier run)"


def section(result: dict) -> str:
  title = "## Robustness of the default detector"
  if not result:
    return f"{title}\n\nNot run yet: `python benchmarks/robustness_grid.py runs/default_detector`\n"
  return f"""{title}

Regenerate: `python benchmarks/robustness_grid.py {result['run_dir']} --threshold
{result['threshold']} --target-fpr {result['target_fpr']}`. Machine: 2 CPU cores, no GPU.
Test split of the run's mix, images as users send them, then each condition; threshold as
shipped ({result['threshold']}, real-source FPR ≤ {result['target_fpr']} on validation).
Drops are clean minus perturbed test ROC-AUC. Wall time: {_seconds(result, 'robustness')}
(robustness), {_seconds(result, 'format_swap')} (format swap).

{_table(result['robustness'])}

### Format swap: the original files of both classes re-saved before sizing

{_table(result['format_swap'])}
"""


def load(path: str = PATH) -> dict:
  return recipes.load(path, {})


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("run_dir", nargs="?", default="runs/default_detector")
  parser.add_argument("--threshold", default="source_fpr", choices=("youden", "fpr", "source_fpr"))
  parser.add_argument("--target-fpr", type=float, default=0.05)
  parser.add_argument("--out", default="", help="protocol output folder [RUN_DIR/robustness_grid]")
  args = parser.parse_args()
  os.makedirs(recipes.RESULTS, exist_ok=True)
  with open(PATH, "w") as f:
    json.dump(run_protocols(args), f, indent=1)
  results_md.write()


if __name__ == "__main__":
  main()
