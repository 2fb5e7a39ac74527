"""Recipes judged by what they have not seen: in-domain test AUC beside leave-sources-out.

For each recipe and seed: train on the mix, evaluate the test split (in-domain), run a few
robustness conditions, then the leave-sources-out protocol (one model per fold of source
families). Writes benchmarks/results/generalization.json and the table in RESULTS.md.

    python benchmarks/generalization.py --recipes rgb,rgb_blur_jpeg --seeds 0,1

A recipe is a list of `--set` overrides on the base recipe (MobileNet α 0.25 from the
ImageNet file in ../shared/weights, 128 px, two-phase schedule). Figures are CPU minutes:
short budgets, stated in the output.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SHARED = os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared")
BASE = ["model.backbone=mobilenet", "model.options.alpha=0.25", "data.image_size=128", "data.batch_size=64", "train.head_epochs=2",
        "train.learning_rate=0.001", "train.finetune_learning_rate=0.0001",
        "train.tensorboard=false"]
RECIPES = {
    "rgb": [],
    "rgb_blur_jpeg": ["model.augment.jpeg=[30,100]", "model.augment.blur=[0,3]"],
    "npr_blur_jpeg": ["model.representation=npr", "model.augment.jpeg=[30,100]",
                      "model.augment.blur=[0,3]"],
}
CONDITIONS = ["jpeg_75", "resize_x0.5", "blur_sigma2"]


def run_recipe(name, seed, args) -> dict:
  from keras_detect import config as config_lib
  from keras_detect import evaluate, train_lib
  from keras_detect.protocols import robustness, sources_out

  overrides = BASE + [f"model.weights={args.weights}"] + RECIPES[name] + [
      f"train.seed={seed}", f"train.epochs={args.epochs}",
                                      f"data.mix={args.mix}", f"data.manual_dir={args.manual_dir}"]
  if args.steps:
    overrides.append(f"train.steps_per_epoch={args.steps}")
  run_dir = os.path.join(args.out, f"{args.mix}-{name}-seed{seed}")
  overrides.append(f"train.run_dir={run_dir}")
  config = config_lib.resolve(overrides=overrides)
  started = time.time()
  train_lib.train(config, verbose=2)
  train_seconds = time.time() - started
  evaluation = evaluate.open_run(run_dir, verbose=False)
  overall = evaluate.standard(evaluation)["at_threshold"]["overall"]
  robust = {row["condition"]: row.get("drop_roc_auc")
            for row in robustness.robustness(evaluation, conditions=CONDITIONS)}
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
    lines.append("| " + " | ".join(f"{c:.3f}" if isinstance(c, float) else str(c)
                                    for c in cells) + " |")
  return "\n".join(lines)


def held_out_table(results: list) -> str:
  """Per held-out source: AUC (synthetic) or FPR (real), one column per recipe and seed."""
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


def write_results(results: list, args, path: str) -> None:
  text = f"""# Generalization: recipes by held-out sources

Regenerate: `python benchmarks/generalization.py --recipes {args.recipes} --seeds {args.seeds}
--mix {args.mix} --epochs {args.epochs} --steps {args.steps} --folds {args.folds}`
(finished runs are read back from {os.path.basename(args.results)}). Machine: 2 CPU cores, no GPU.
Each recipe: MobileNet α 0.25 from the ImageNet weight file, 128 px, 2 head epochs then
{args.epochs} fine-tuning epochs of {args.steps} steps (batch 64) — CPU minutes, not converged
runs. In-domain: the mix's test split. Held-out: leave-sources-out, {args.folds} folds of source
families, one model each (AUC of each held-out synthetic source against every real test image;
FPR of each held-out real source at that model's validated threshold). Drops: clean test AUC
minus the AUC under the condition.

{table(results)}

## Per held-out source

{held_out_table(results)}
"""
  with open(path, "w") as f:
    f.write(text)


def main():
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--recipes", default="rgb,rgb_blur_jpeg")
  parser.add_argument("--seeds", default="0,1")
  parser.add_argument("--mix", default="all_shared")
  parser.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs, after 2 head epochs")
  parser.add_argument("--steps", type=int, default=60, help="steps per epoch (0: one pass)")
  parser.add_argument("--folds", type=int, default=3)
  parser.add_argument("--manual-dir", default=os.path.join(SHARED, "data"))
  parser.add_argument("--weights", default=os.path.join(SHARED, "weights",
                                                        "mobilenet_2_5_224_tf_no_top.h5"))
  parser.add_argument("--out", default="runs/generalization")
  parser.add_argument("--results", default=os.path.join(HERE, "results", "generalization.json"))
  args = parser.parse_args()
  os.makedirs(os.path.dirname(args.results), exist_ok=True)
  results = json.load(open(args.results)) if os.path.isfile(args.results) else []
  done = {(r["recipe"], r["seed"]) for r in results}
  for seed in (int(s) for s in args.seeds.split(",")):
    for name in args.recipes.split(","):
      if (name, seed) in done:
        continue
      results.append(run_recipe(name, seed, args))
      with open(args.results, "w") as f:
        json.dump(results, f, indent=1)
      print(table(results), flush=True)
  write_results(results, args, os.path.join(HERE, "RESULTS.md"))
  print(table(results))


if __name__ == "__main__":
  main()
