"""Score fusion judged like a recipe: finished recipe runs of the generalization benchmark
(same mix) fused into one detector (keras_detect.fusion), then the same in-domain,
robustness and leave-sources-out figures, each fold's fused model made from the members' own
fold models (nothing is trained). Adds a row `A+B` to benchmarks/results/generalization.json
and rewrites RESULTS.md. A member is a recipe (at --seed) or `recipe@seed`, so one recipe
trained with two seeds makes a seed ensemble:

    python benchmarks/fusion.py --members rgb,npr_blur_jpeg --seed 0
    python benchmarks/fusion.py --members rgb@0,rgb@1
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import generalization  # noqa: E402  (benchmarks/ is not a package)
import recipes  # noqa: E402
import results_md  # noqa: E402


def calibrated(run_dir: str) -> str:
  """The run, with the calibration.json fusion needs (fold models are calibrated in memory)."""
  from keras_detect import evaluate, inference

  if not os.path.isfile(os.path.join(run_dir, inference.CALIBRATION)):
    evaluate.calibrate(evaluate.open_run(run_dir, verbose=False))
  return run_dir


def fold_fuser(member_dirs: list):
  """A leave-sources-out `train_fn` that fuses the members' models of the same fold."""
  from keras_detect import fusion

  def fuse_fold(config) -> str:
    fold = os.path.basename(os.path.dirname(config.train.run_dir))  # …/fold_K/run
    members = [calibrated(os.path.join(d, "leave_sources_out", fold, "run")) for d in member_dirs]
    return fusion.fuse(members, config.train.run_dir, overwrite=True)

  return fuse_fold


def fused_name(members: list) -> tuple:
  """The row's recipe and seed: `A+B` at their one seed, or `A@0+A@1` at the first seed."""
  one_seed = len({seed for _, seed in members}) == 1
  parts = [name if one_seed else f"{name}@{seed}" for name, seed in members]
  return "+".join(parts), members[0][1]


def fuse_recipes(members: list, results: list, out: str) -> dict:
  from keras_detect import evaluate, fusion
  from keras_detect.protocols import robustness, sources_out

  runs = [next(r for r in results if (r["recipe"], r["seed"]) == member) for member in members]
  member_dirs = [r["run_dir"] for r in runs]
  mix = os.path.basename(member_dirs[0]).split("-")[0]
  name, seed = fused_name(members)
  run_dir = os.path.join(out, f"{mix}-{name}-seed{seed}")
  started = time.time()
  fusion.fuse(member_dirs, run_dir, overwrite=True)
  evaluation = evaluate.open_run(run_dir, verbose=False)
  overall = evaluate.standard(evaluation)["at_threshold"]["overall"]
  robust = {row["condition"]: row.get("drop_roc_auc") for row in robustness.robustness(
      evaluation, conditions=generalization.CONDITIONS)}
  held_out = sources_out.leave_sources_out(evaluation, folds=len(
      {row["fold"] for row in runs[0]["held_out_rows"]}), train_fn=fold_fuser(member_dirs))
  return {"recipe": name, "seed": seed, "run_dir": run_dir,
          "overrides": runs[0]["overrides"], "members": member_dirs,
          "in_domain_auc": overall["roc_auc"], "in_domain_accuracy": overall["accuracy"],
          "robustness_drop_auc": robust, **held_out["summary"],
          "held_out_rows": held_out["rows"],
          "train_seconds": sum(r["train_seconds"] for r in runs),
          "model_mb": round(os.path.getsize(os.path.join(run_dir, "best.keras")) / 2 ** 20, 2),
          "total_seconds": round(time.time() - started, 1)}


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--members", default="rgb,npr_blur_jpeg",
                      help="recipes of the generalization benchmark, comma-separated, each "
                           "at --seed or as recipe@seed")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--out", default="runs/generalization")
  args = parser.parse_args()
  results = generalization.load()
  members = [recipes.member(token, args.seed) for token in args.members.split(",")]
  results = [r for r in results if (r["recipe"], r["seed"]) != fused_name(members)]
  results.append(fuse_recipes(members, results, args.out))
  generalization.save(results)
  results_md.write()
  print(generalization.table(results))


if __name__ == "__main__":
  main()
