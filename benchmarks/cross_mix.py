"""Cross-mix: one detector per shipped mix (one recipe, one budget), each tested on its own
mix's test split (the in-domain table: every metric at the validated threshold) and on
every other mix's test split (the N×N ROC-AUC table). Writes benchmarks/results/cross_mix.json
and its section of RESULTS.md.

    python benchmarks/cross_mix.py --recipe rgb --seed 0

With --in-domain-only each mix is tested on its own split alone, for the longer-budget
in-domain table (results/in_domain_long.json):

    python benchmarks/cross_mix.py --in-domain-only --recipe rgb --epochs 10 --out runs/in_domain_long \
        --results benchmarks/results/in_domain_long.json --mixes photo_sd,modern

A mix's run folder is reused when it holds a finished run of the same settings (the
generalization benchmark's all_shared run is one); rows already in the results JSON are
read back, not retrained.
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

MIXES = ["all_shared", "anime_faces", "art_sd", "faces", "gan_monet", "modern", "photo_sd"]
IN_DOMAIN = ["roc_auc", "average_precision", "accuracy", "balanced_accuracy", "precision",
             "recall", "f1", "fpr", "fnr", "ece", "threshold", "examples"]
PATH = os.path.join(recipes.RESULTS, "cross_mix.json")
LONG_PATH = os.path.join(recipes.RESULTS, "in_domain_long.json")


def _run_name(mix: str, args) -> str:
  """The all_shared name matches the generalization benchmark's run, so that run is reused;
  in-domain-only runs name their budget, so a longer one never resumes a shorter one."""
  budget = f"-ep{args.epochs}" if args.in_domain_only else ""
  return f"{mix}-{args.recipe}-seed{args.seed}{budget}"


def train_and_score(mix: str, args) -> dict:
  from keras_detect import config as config_lib
  from keras_detect import evaluate, metrics, train_lib

  run_dir = os.path.join(args.out, _run_name(mix, args))
  overrides = recipes.overrides(args.recipe, args.seed, mix, run_dir, args)
  started = time.time()
  train_lib.train(config_lib.resolve(overrides=overrides), verbose=2)
  train_seconds = recipes.train_time(run_dir)
  evaluation = evaluate.open_run(run_dir, verbose=False)
  result = evaluate.standard(evaluation)
  overall = result["at_threshold"]["overall"]
  aucs = {mix: overall["roc_auc"]}
  for other in ([] if args.in_domain_only else args.mixes):
    if other == mix:
      continue
    crossed = evaluate.open_run(run_dir, mix=other, verbose=False)
    p = evaluate.predict(crossed, crossed.mix, "test")
    aucs[other] = metrics.ranking_metrics(p.labels, p.scores)["roc_auc"]
  return {"mix": mix, "run_dir": run_dir, "overrides": overrides,
          "in_domain": {k: overall.get(k) for k in IN_DOMAIN},
          "test_auc": aucs, "train_seconds": round(train_seconds, 1),
          "total_seconds": round(time.time() - started, 1)}


def _recipe(result: dict) -> str:
  return os.path.basename(result["run_dir"]).split("-")[1]


def _row_budget(result: dict) -> tuple:
  """(recipe, fine-tuning epochs, input size) a row was trained with."""
  budget = recipes.settings(result)
  return _recipe(result), budget.epochs, budget.image_size


def _in_domain_table(results: list, with_budget: bool = False) -> str:
  budget_head = ["recipe", "fine-tuning epochs", "px"] if with_budget else []
  head = ["mix"] + budget_head + IN_DOMAIN + ["train s"]
  rows = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
  for r in results:
    cells = [r["mix"]] + (list(_row_budget(r)) if with_budget else [])
    cells += [recipes.cell(r["in_domain"].get(k)) for k in IN_DOMAIN] + [f"{r['train_seconds']:.0f}"]
    rows.append("| " + " | ".join(cells) + " |")
  return "\n".join(rows)


def _command(results: list) -> tuple:
  """The command that made these rows, their recipe and their budget."""
  budget = recipes.settings(results[0])
  recipe = _recipe(results[0])
  return (f"`python benchmarks/cross_mix.py --recipe {recipe} --seed {budget.seed} "
          f"--epochs {budget.epochs} --steps {budget.steps}`"), recipe, budget


def section(results: list) -> str:
  title = "## Cross-mix: one detector per mix, tested on every mix"
  if not results:
    return f"{title}\n\nNot run yet: `python benchmarks/cross_mix.py`\n"
  command, recipe, budget = _command(results)
  mixes = [r["mix"] for r in results]
  cross = ["| trained on ↓ / tested on → | " + " | ".join(mixes) + " |",
           "|---|" + "---|" * len(mixes)]
  for r in results:
    cross.append(f"| {r['mix']} | " + " | ".join(
        (f"**{recipes.cell(r['test_auc'].get(m))}**" if m == r["mix"] else recipes.cell(r["test_auc"].get(m)))
        for m in mixes) + " |")
  return f"""{title}

Regenerate: {command} (finished mixes are read back from results/cross_mix.json).
Machine: 2 CPU cores, no GPU. Each detector: recipe `{recipe}`, {recipes.budget(budget)}.
Test images unaligned (as users send them).

### In-domain: each mix's own test split, at its validated (Youden) threshold

Targets: ROC-AUC ≥ 0.995 and accuracy ≥ 0.98 on each test split.

{_in_domain_table(results)}

### Test ROC-AUC, N×N (diagonal: in-domain)

{chr(10).join(cross)}
"""


def long_section(results: list) -> str:
  title = "## In-domain at longer budgets"
  if not results:
    return f"{title}\n\nNot run yet: `python benchmarks/cross_mix.py --in-domain-only --epochs 10 ...`\n"
  groups = {}  # (recipe, epochs) → its rows, in the order they were run
  for r in results:
    groups.setdefault(_row_budget(r)[:2], []).append(r)
  commands = []
  for (recipe, _), rows in groups.items():
    settings = recipes.settings(rows[0])
    commands.append(
        f"`python benchmarks/cross_mix.py --in-domain-only --recipe {recipe} --seed {settings.seed} "
        f"--epochs {settings.epochs} --steps {settings.steps} --out runs/in_domain_long --results "
        f"benchmarks/results/in_domain_long.json --mixes {','.join(r['mix'] for r in rows)}`")
  return f"""{title}

The mixes that missed the in-domain targets above, trained again for longer (MobileNet α 0.25
from the ImageNet weight file, batch 64, 2 head epochs, then the fine-tuning epochs and input
size of each row). Regenerate: {"; ".join(commands)}. Machine: 2 CPU cores, no GPU. Test
images unaligned; metrics at the validated (Youden) threshold. Targets: ROC-AUC ≥ 0.995 and
accuracy ≥ 0.98.

{_in_domain_table(results, with_budget=True)}
"""


def load(path: str = PATH) -> list:
  return recipes.load(path, [])


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--recipe", default="rgb", choices=list(recipes.RECIPES))
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--mixes", default=",".join(MIXES), type=lambda s: s.split(","))
  parser.add_argument("--out", default="runs/generalization")
  parser.add_argument("--results", default=PATH, help="results JSON to read back and extend")
  parser.add_argument("--in-domain-only", action="store_true",
                      help="test each detector on its own mix only (no N×N table)")
  recipes.add_arguments(parser)
  args = parser.parse_args()
  os.makedirs(recipes.RESULTS, exist_ok=True)
  results = load(args.results)
  for mix in args.mixes:
    if any(os.path.basename(r["run_dir"]) == _run_name(mix, args) for r in results):
      continue
    results.append(train_and_score(mix, args))
    with open(args.results, "w") as f:
      json.dump(results, f, indent=1)
    print((long_section if args.in_domain_only else section)(results), flush=True)
  results_md.write()


if __name__ == "__main__":
  main()
