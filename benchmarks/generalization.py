"""Recipes judged by what they have not seen: in-domain test AUC beside leave-sources-out.

For each recipe and seed: train on the mix, evaluate the test split (in-domain), run a few
robustness conditions, then the leave-sources-out protocol (one model per fold of source
families). Writes benchmarks/results/generalization.json and its section of RESULTS.md.

    python benchmarks/generalization.py --recipes rgb,rgb_blur_jpeg --seeds 0,1

A recipe (benchmarks/recipes.py) is a list of `--set` overrides on one base recipe.
"""

import argparse
import json
import os
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import recipes  # noqa: E402  (benchmarks/ is not a package)
import results_md  # noqa: E402

CONDITIONS = ["jpeg_75", "resize_x0.5", "blur_sigma2"]


def run_recipe(name, seed, args) -> dict:
  from keras_detect import config as config_lib
  from keras_detect import evaluate, train_lib
  from keras_detect.protocols import robustness, sources_out

  run_dir = os.path.join(args.out, f"{args.mix}-{name}-seed{seed}")
  overrides = recipes.overrides(name, seed, args.mix, run_dir, args)
  config = config_lib.resolve(overrides=overrides)
  started = time.time()
  train_lib.train(config, verbose=2)
  train_seconds = recipes.train_time(run_dir)
  evaluation = evaluate.open_run(run_dir, verbose=False)
  overall = evaluate.standard(evaluation)["at_threshold"]["overall"]
  robust = {row["condition"]: row.get("drop_roc_auc")
            for row in robustness.robustness(evaluation, conditions=CONDITIONS)}
  held_out = {"rows": [], "summary": dict.fromkeys(
      ("mean_held_out_auc", "worst_held_out_auc", "worst_real_fpr"))}
  if args.folds:  # 0: in-domain and robustness only (an augmentation ablation, say)
    held_out = sources_out.leave_sources_out(evaluation, folds=args.folds,
                                             train_fn=lambda c: train_lib.train(c, verbose=2))
  return {"recipe": name, "seed": seed, "run_dir": run_dir, "overrides": overrides,
          "in_domain_auc": overall["roc_auc"], "in_domain_accuracy": overall["accuracy"],
          "robustness_drop_auc": robust, **held_out["summary"],
          "held_out_rows": held_out["rows"], "train_seconds": round(train_seconds, 1),
          "model_mb": round(os.path.getsize(os.path.join(run_dir, "best.keras")) / 2 ** 20, 2),
          "total_seconds": round(time.time() - started, 1)}


def table(results: list) -> str:
  head = ("| recipe | seed | in-domain AUC | held-out mean AUC | held-out worst AUC | worst real "
          "FPR | drop JPEG 75 | drop ×0.5 | drop blur σ2 | train s | model MB |")
  lines = [head, "|---" * 11 + "|"]
  for r in results:
    d = r["robustness_drop_auc"]
    cells = [r["recipe"], r["seed"], r["in_domain_auc"], r["mean_held_out_auc"],
             r["worst_held_out_auc"], r["worst_real_fpr"], d.get("jpeg_75"),
             d.get("resize_x0.5"), d.get("blur_sigma2"), r["train_seconds"], r["model_mb"]]
    lines.append("| " + " | ".join(recipes.cell(c, "—") for c in cells[:-2])
                 + f" | {cells[-2]:.0f} | {cells[-1]:.1f} |")
  return "\n".join(lines)


SUMMARY = [("in-domain AUC", lambda r: r["in_domain_auc"]),
           ("held-out mean AUC", lambda r: r["mean_held_out_auc"]),
           ("held-out worst AUC", lambda r: r["worst_held_out_auc"]),
           ("worst real FPR", lambda r: r["worst_real_fpr"]),
           ("drop JPEG 75", lambda r: r["robustness_drop_auc"].get("jpeg_75")),
           ("drop ×0.5", lambda r: r["robustness_drop_auc"].get("resize_x0.5")),
           ("drop blur σ2", lambda r: r["robustness_drop_auc"].get("blur_sigma2"))]


def recipe_group(recipe: str) -> str:
  """The row a run joins in the seeds table: its recipe, or for a seed ensemble
  ("rgb@0+rgb@1", "rgb@0+rgb@2") its recipes and how many seeds each ("rgb ×2 seeds")."""
  if "@" not in recipe:
    return recipe
  names = Counter(recipes.member(part, None)[0] for part in recipe.split("+"))
  return " + ".join(f"{name} ×{count}" for name, count in names.items()) + " seeds"


def seeds_table(results: list) -> str:
  """Per recipe over its seeds: the mean, with the lowest and highest seed in brackets."""
  lines = ["| recipe | seeds | " + " | ".join(name for name, _ in SUMMARY) + " |",
           "|---|---|" + "---|" * len(SUMMARY)]
  for group in dict.fromkeys(recipe_group(r["recipe"]) for r in results):
    runs = [r for r in results if recipe_group(r["recipe"]) == group]
    cells = []
    for _, value_of in SUMMARY:
      values = [value_of(r) for r in runs if value_of(r) is not None]
      cells.append("—" if not values else f"{values[0]:.3f}" if len(values) == 1 else
                   f"{sum(values) / len(values):.3f} ({min(values):.3f}–{max(values):.3f})")
    lines.append(f"| {group} | {len(runs)} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def held_out_table(results: list) -> str:
  """Per held-out source: AUC (synthetic) or FPR (real), one column per recipe and seed."""
  results = [r for r in results if r["held_out_rows"]]
  runs = [f"{r['recipe']} s{r['seed']}" for r in results]
  keys = list(dict.fromkeys((row["held_out"], row["label"]) for r in results
                            for row in r["held_out_rows"]))
  lines = ["| held-out source | side | " + " | ".join(runs) + " |",
           "|---|---|" + "---|" * len(runs)]
  for source, label in keys:
    cells = []
    for r in results:
      row = next((x for x in r["held_out_rows"] if (x["held_out"], x["label"]) == (source, label)), {})
      value = row.get("roc_auc") if label == "synthetic" else row.get("real_fpr_at_threshold")
      cells.append("" if value is None else f"{value:.3f}")
    metric = "AUC" if label == "synthetic" else "FPR"
    lines.append(f"| {source} | {label} ({metric}) | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def _recipes_by_seeds(results: list) -> dict:
  """"0,1" → the recipes run with exactly those seeds, so each command trains what it says."""
  seeds = {}
  for r in results:
    seeds.setdefault(r["recipe"], []).append(str(r["seed"]))
  groups = {}
  for name, recipe_seeds in seeds.items():
    groups.setdefault(",".join(recipe_seeds), []).append(name)
  return groups


def section(results: list) -> str:
  """RESULTS.md's section for these results (the budget read back from their overrides)."""
  if not results:
    return ("## Generalization: recipes by held-out sources\n\nNot run yet: "
            "`python benchmarks/generalization.py --recipes rgb,rgb_blur_jpeg --seeds 0,1`\n")
  budget = recipes.settings(results[0])
  folds = max(len({row["fold"] for row in r["held_out_rows"]}) for r in results)
  common = f"--mix {budget.mix} --epochs {budget.epochs} --steps {budget.steps}"
  commands = []
  for fold_count, kind in ((folds, lambda r: r["held_out_rows"]), (0, lambda r: not r["held_out_rows"])):
    chosen = [r for r in results if "+" not in r["recipe"] and kind(r)]
    for seeds, names in _recipes_by_seeds(chosen).items():
      commands.append(f"`python benchmarks/generalization.py --recipes {','.join(names)} "
                      f"--seeds {seeds} {common} --folds {fold_count}`")
  commands += [f"`python benchmarks/fusion.py --members {r['recipe'].replace('+', ',')} "
               f"--seed {r['seed']}`" for r in results if "+" in r["recipe"]]
  return f"""## Generalization: recipes by held-out sources

Regenerate: {"; ".join(commands)}
(finished runs are read back from results/generalization.json). Machine: 2 CPU cores, no GPU.
Each recipe: {recipes.budget(budget)}. In-domain: the mix's test split. Held-out:
leave-sources-out, {folds} folds of source families, one model each (AUC of each held-out
synthetic source against every real test image; FPR of each held-out real source at that
model's validated threshold). Drops: clean test AUC minus the AUC under the condition.

Over seeds (mean, and the range from seed to seed; a `×2 seeds` row is a seed ensemble,
`benchmarks/fusion.py`, and counts ensembles, each fusing two of the recipe's seeds):

{seeds_table(results)}

Each recipe and seed:

{table(results)}

### Per held-out source

{held_out_table(results)}
"""


PATH = os.path.join(recipes.RESULTS, "generalization.json")


def load(path: str = PATH) -> list:
  return recipes.load(path, [])


def save(results: list, path: str = PATH) -> None:
  with open(path, "w") as f:
    json.dump(results, f, indent=1)


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--recipes", default="rgb,rgb_blur_jpeg", help=", ".join(recipes.RECIPES))
  parser.add_argument("--seeds", default="0,1")
  parser.add_argument("--mix", default="all_shared")
  parser.add_argument("--folds", type=int, default=3,
                      help="leave-sources-out folds; 0: in-domain and robustness only")
  parser.add_argument("--out", default="runs/generalization")
  parser.add_argument("--results", default=PATH)
  recipes.add_arguments(parser)
  args = parser.parse_args()
  os.makedirs(os.path.dirname(args.results), exist_ok=True)
  results = load(args.results)
  done = {(r["recipe"], r["seed"]) for r in results}
  for seed in (int(s) for s in args.seeds.split(",")):
    for name in args.recipes.split(","):
      if (name, seed) in done:
        continue
      results.append(run_recipe(name, seed, args))
      save(results, args.results)
      print(table(results), flush=True)
  results_md.write()
  print(table(results))


if __name__ == "__main__":
  main()
