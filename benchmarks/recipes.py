"""The benchmarks' training recipes: `--set` overrides on one base (MobileNet α 0.25 from the
ImageNet file in ../shared/weights, 128 px, 2 head epochs then a few fine-tuning epochs).
Figures from them are CPU minutes: short budgets, stated with every table."""

import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
RESULTS = os.path.join(HERE, "results")
WEIGHTS = os.path.join(SHARED, "weights", "mobilenet_2_5_224_tf_no_top.h5")

BASE = ["model.backbone=mobilenet", "model.options.alpha=0.25", "data.image_size=128",
        "data.batch_size=64", "train.head_epochs=2", "train.learning_rate=0.001",
        "train.finetune_learning_rate=0.0001", "train.tensorboard=false"]
RECIPES = {
    "rgb": [],
    "rgb_blur_jpeg": ["model.augment.jpeg=[30,100]", "model.augment.blur=[0,3]"],
    # MobileNet cut after its 6th block (stride 8): early layers, where artefacts still show.
    "rgb_block6": ["model.backbone=mobilenet_block6"],
    "npr_block6_blur_jpeg": ["model.backbone=mobilenet_block6", "model.representation=npr",
                             "model.augment.jpeg=[30,100]", "model.augment.blur=[0,3]"],
    # The rgb recipe trained for 10 fine-tuning epochs instead of the benchmark budget's few:
    # does more training help on held-out sources, or only in-domain?
    "rgb_ft10": ["train.epochs=10"],
    # The other way: UnivFD (Ojha et al., CVPR 2023) found that frozen pretrained features
    # with only a linear head generalize to unseen generators where fine-tuning overfits the
    # seen ones. Here the ImageNet MobileNet stays frozen (head only), or only its last stage
    # trains.
    "rgb_frozen": ["model.finetune=head"],
    "rgb_top": ["model.finetune=top"],
    "highpass": ["model.representation=highpass"],  # fixed SRM residual filters, no augmentation
    "dct": ["model.representation=dct"],  # log-magnitude 2-D DCT of each channel
    # AIDE's patch scoring: the highest- and lowest-frequency 32 px patches, each through the
    # truncated MobileNet (the one truncation whose ImageNet weights ../shared holds), pooled.
    "patches_block6": ["model.representation=patches", "model.backbone=mobilenet_block6"],
    # The rgb recipe with each source's share of its class ∝ √size: do the small sources
    # (coco_real's 72 photos, the modern generators) then teach more?
    "rgb_sqrt": ["data.mix=all_shared_sqrt"],
    # The rgb recipe with coco_real's photos of people drawn 4× as often: does a real photo of
    # people then stop reading as SD 1.5 ("a photo of a person"), and held-out faces as fake?
    "rgb_people": ["data.mix=all_shared_people"],
    "rgb_224": ["data.image_size=224"],  # MobileNet's own input size: more of each image's pixels
    "rgb_256": ["data.image_size=256"],  # a 256 px source whole (faces_native: never resampled)
    "rgb_blur": ["model.augment.blur=[0,3]"],  # the ablation: one augmentation at a time
    "rgb_jpeg": ["model.augment.jpeg=[30,100]"],
    # Milder blur: does σ ≤ 1 keep the ×0.5 robustness of σ ≤ 3 at less held-out cost?
    "rgb_blur1": ["model.augment.blur=[0,1]"],
    "rgb_downscale": ["model.augment.downscale=[0.5,1.0]"],  # shrunk ×U[0.5, 1] and back
    "npr_blur_jpeg": ["model.representation=npr", "model.augment.jpeg=[30,100]",
                      "model.augment.blur=[0,3]"],
    # Aligned by re-encoding only (native-resolution crops): NPR looks for upsampling traces
    # that the scale alignment's resampling erases.
    "npr_blur_jpeg_native": ["model.representation=npr", "model.augment.jpeg=[30,100]",
                             "model.augment.blur=[0,3]", "data.mix=all_shared_native"],
}


def member(token: str, seed):
  """One member of a seed ensemble or fusion: `npr@1` → ("npr", 1); `rgb` → ("rgb", seed)."""
  name, _, member_seed = token.partition("@")
  return name, int(member_seed) if member_seed else seed


def add_arguments(parser) -> None:
  """The budget and paths every recipe-training benchmark takes."""
  parser.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs, after 2 head epochs")
  parser.add_argument("--steps", type=int, default=60, help="steps per epoch (0: one pass)")
  parser.add_argument("--manual-dir", default=os.path.join(SHARED, "data"))
  parser.add_argument("--weights", default=WEIGHTS)


def overrides(recipe: str, seed: int, mix: str, run_dir: str, args) -> list:
  result = BASE + [f"model.weights={args.weights}", f"train.seed={seed}",
                   f"train.epochs={args.epochs}", f"data.mix={mix}",
                   f"data.manual_dir={args.manual_dir}", f"train.run_dir={run_dir}"]
  result += RECIPES[recipe]  # last: a recipe may name its own mix variant
  if args.steps:
    result.append(f"train.steps_per_epoch={args.steps}")
  return result


def settings(result: dict) -> argparse.Namespace:
  """The budget and mix a benchmark row was trained with, read back from its overrides (a
  recipe's own overrides come last, so they win)."""
  values = dict(o.split("=", 1) for o in result["overrides"])
  return argparse.Namespace(epochs=values["train.epochs"], mix=values["data.mix"],
                            steps=values.get("train.steps_per_epoch", 0),
                            seed=values["train.seed"], image_size=values["data.image_size"])


def budget(args) -> str:
  return (f"MobileNet α 0.25 from the ImageNet weight file, 128 px, 2 head epochs then "
          f"{args.epochs} fine-tuning epochs of {args.steps or 'one pass of'} steps "
          "(batch 64) — CPU minutes, not converged runs")


def cell(value, missing: str = "") -> str:
  """A table cell: floats to 3 decimals, None as `missing`."""
  if value is None:
    return missing
  return f"{value:.3f}" if isinstance(value, float) else str(value)


def load(path: str, empty):
  """A results JSON, or `empty` when it has not been written yet."""
  if not os.path.isfile(path):
    return empty
  with open(path) as f:
    return json.load(f)


def train_time(run_dir: str) -> float:
  """Seconds the run trained (history.json), also for a finished run read back."""
  with open(os.path.join(run_dir, "history.json")) as f:
    return json.load(f)["seconds_this_session"]
