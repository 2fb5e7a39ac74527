"""Leave sources out: the project's proxy for generators and cameras it has never seen.

The run's mix is split into K folds of sources. For each fold a model is trained, with the
run's own config, on every source but the fold's, and tested on the full mix's test split:
- each held-out synthetic source: ROC-AUC of its images against every real test image;
- each held-out real source: its false-positive rate at the fold model's own validated
  threshold (chosen on the validation split of what it trained on).
Sources that share a generator lineage or content (a CycleGAN's fakes and the photos they
were made from, the two SD grid sources, the anime GANs, ...) form one family and are
held out together, so a sibling in training cannot stand in for the held-out one.
Mean and worst held-out AUC and the worst real-source FPR sum a recipe up; choose recipes
by them, over more than one seed, rather than by the in-domain score.
"""

import hashlib
import os

import numpy as np

from keras_detect import data, evaluate, metrics, report
from keras_detect.errors import UserError
from keras_detect.protocols import retrain

# Sources held out together (a source not named here is a family of its own).
FAMILIES = {
    "monet_gans": ("cyclegan_monet_resnet", "cyclegan_monet_unet", "gan_monet_unknown"),
    "anime_gans": ("anime_faces_dcgan", "anime_faces_stylegan"),
    "sd_grids": ("sd14_artist_grids", "sd15_finetune_grids"),
    "sd_photoreal": ("sd_photoreal_people_v1", "sd_photoreal_landscape_v2"),
    "modern": ("synth_sdxl_aihorde_styles", "synth_sd35_large_artists",
               "synth_gpt4o_awesome_images", "synth_gemini_nano_banana"),
}
COLUMNS = ["fold", "held_out", "label", "test_examples", "real_examples", "roc_auc",
           "real_fpr_at_threshold", "threshold", "run_dir"]


def fold_plan(mix: data.Mix, synthetic_sources: set, folds: int) -> list:
  """K lists of held-out source names: synthetic families, then real sources, dealt
  round-robin in hash order (the same plan every time for the same mix)."""
  names = [s.name for s in mix.sources]
  families = {}
  for name in names:
    family = next((f for f, members in FAMILIES.items() if name in members), name)
    families.setdefault(family, []).append(name)
  synthetic = [f for f, members in families.items() if set(members) & synthetic_sources]
  real = [f for f in families if f not in synthetic]
  if folds < 2 or folds > len(synthetic):
    raise UserError(f"--folds must be 2..{len(synthetic)} (the mix has {len(synthetic)} "
                    "synthetic families)")
  plan = [[] for _ in range(folds)]
  for offset, group in enumerate((synthetic, real)):
    for i, family in enumerate(sorted(group, key=_hash)):
      plan[(i + offset) % folds] += families[family]
  return plan


def leave_sources_out(evaluation, *, folds: int = 3, split: str = "test",
                      train_fn=None) -> dict:
  """Rows per held-out source and the summary (mean/worst AUC, worst real FPR).
  `train_fn(config) -> run_dir` trains each fold (train_lib.train by default)."""
  from keras_detect import train_lib
  train_fn = train_fn or train_lib.train
  own = evaluation.own_mix
  real_sources, synthetic_sources = _sources_by_label(evaluation)
  plan = fold_plan(own, synthetic_sources, folds)
  rows = []
  for fold, held in enumerate(plan):
    kept = [s for s in own.sources if s.name not in held]
    folder = os.path.join(evaluation.out_dir, "leave_sources_out", f"fold_{fold}")
    run_dir = retrain.train_without(evaluation, kept, folder,
                                    f"{own.name} without {', '.join(held)}", train_fn)
    fold_evaluation = evaluate.open_run(run_dir, mix=evaluation.config.data.mix,
                                        out=os.path.join(folder, "evaluation"),
                                        verbose=evaluation.verbose)
    threshold = evaluate.calibrate(fold_evaluation, save=False)["threshold"]
    p = evaluate.predict(fold_evaluation, own, split)
    rows += _fold_rows(fold, held, p, threshold, real_sources, run_dir)
  summary = summarise(rows)
  report.write_rows(evaluation.out_dir, "leave_sources_out", rows, COLUMNS,
                    f"Leave sources out: {own.name}, {folds} folds, {split} split — "
                    + ", ".join(f"{k} {v:.3f}" for k, v in summary.items() if v is not None))
  return {"rows": rows, "summary": summary}


def summarise(rows: list) -> dict:
  aucs = [r["roc_auc"] for r in rows if r["label"] == "synthetic" and r["roc_auc"] is not None]
  fprs = [r["real_fpr_at_threshold"] for r in rows
          if r["label"] == "real" and r["real_fpr_at_threshold"] is not None]
  return {"mean_held_out_auc": float(np.mean(aucs)) if aucs else None,
          "worst_held_out_auc": float(np.min(aucs)) if aucs else None,
          "worst_real_fpr": float(np.max(fprs)) if fprs else None}


def _fold_rows(fold, held, p, threshold, real_sources, run_dir) -> list:
  rows = []
  real = p.labels == 0
  for name in held:
    mine = p.sources == name
    row = {"fold": fold, "held_out": name, "run_dir": run_dir, "threshold": float(threshold)}
    if name not in real_sources or np.any(mine & (p.labels == 1)):
      keep = real | (mine & (p.labels == 1))
      at = metrics.binary_metrics(p.labels[keep], p.scores[keep], threshold)
      rows.append({**row, "label": "synthetic", "test_examples": at["synthetic"],
                   "real_examples": at["real"], "roc_auc": at["roc_auc"]})
    if name in real_sources:
      scores = p.scores[mine & real]
      rows.append({**row, "label": "real", "test_examples": int(len(scores)),
                   "real_fpr_at_threshold": float(np.mean(scores >= threshold))
                   if len(scores) else None})
  return rows


def _sources_by_label(evaluation) -> tuple:
  counts = data.census({s.name: evaluation.builders[s.name] for s in evaluation.own_mix.sources})
  real, synthetic = set(), set()
  for (source, _), counter in counts.counts.items():
    for label, _ in counter:
      (synthetic if label else real).add(source)
  return real, synthetic


def _hash(name: str) -> str:
  return hashlib.sha256(name.encode()).hexdigest()
