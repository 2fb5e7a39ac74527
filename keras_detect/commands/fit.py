"""Train a detector on a mix of image sources.

Settings come from the defaults, then --config FILE, then the flags below, then
--set key=value (e.g. --set model.options.alpha=0.25). The resolved settings are written to
RUN_DIR/params.yaml; a killed run started again with the same command resumes where it
stopped, and a finished one says so (or goes on, given a larger --epochs). Other settings
than those of the run already in RUN_DIR are an error: pass another --run-dir, or
--overwrite to start over. Example: python -m keras_detect.fit --backbone effnetb4"""

# flag → dotted config key; the defaults live in keras_detect/config.py
FLAGS = {
    "mix": "data.mix", "manual_dir": "data.manual_dir", "data_dir": "data.data_dir",
    "image_size": "data.image_size", "batch_size": "data.batch_size",
    "backbone": "model.backbone", "weights": "model.weights", "task": "model.task",
    "finetune": "model.finetune", "epochs": "train.epochs", "head_epochs": "train.head_epochs",
    "steps_per_epoch": "train.steps_per_epoch", "learning_rate": "train.learning_rate",
    "finetune_learning_rate": "train.finetune_learning_rate",
    "optimizer": "train.optimizer", "strategy": "train.strategy", "run_dir": "train.run_dir",
    "seed": "train.seed",
}


def add_arguments(parser):
  parser.add_argument("--config", help="experiment YAML (see configs/)")
  parser.add_argument("--mix", help="data mix name (keras_detect/mixes/) or YAML path [all_shared]")
  parser.add_argument("--manual-dir", help="folder with one sub-folder per source [../shared/data]")
  parser.add_argument("--data-dir", help="TFDS data dir [~/tensorflow_datasets]")
  parser.add_argument("--image-size", type=int, help="input size in pixels [128]")
  parser.add_argument("--batch-size", type=int, help="[64]")
  parser.add_argument("--backbone", help="registry name, e.g. effnetb4, mobilenet, simplenet "
                      "(`keras-detect data --list` lists them) [effnetb0]")
  parser.add_argument("--weights", help="none | imagenet | PATH to a backbone weight file [none]")
  parser.add_argument("--task", choices=("binary", "attribution", "both"), help="[binary]")
  parser.add_argument("--finetune", choices=("head", "top", "full"), help="[full]")
  parser.add_argument("--epochs", type=int, help="[20]")
  parser.add_argument("--head-epochs", type=int, help="head-only epochs before fine-tuning [0]")
  parser.add_argument("--steps-per-epoch", type=int, help="0 = one pass over the train split [0]")
  parser.add_argument("--learning-rate", type=float, help="[1e-3]")
  parser.add_argument("--finetune-learning-rate", type=float,
                      help="rate after the --head-epochs phase [--learning-rate]")
  parser.add_argument("--optimizer", choices=("adam", "adamw", "sgd"), help="[adam]")
  parser.add_argument("--strategy", choices=("default", "mirrored", "multi_worker"),
                      help="tf.distribute strategy [default]")
  parser.add_argument("--mixed-precision", action="store_true", default=None,
                      help="float16 compute (useful on GPUs; slower on CPU)")
  parser.add_argument("--xla", action="store_true", default=None, help="jit_compile the model")
  parser.add_argument("--run-dir", help="[runs/<mix>-<backbone>]")
  parser.add_argument("--overwrite", action="store_true",
                      help="delete what the run directory holds and train from scratch")
  parser.add_argument("--seed", type=int)
  parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                      help="override any config key, e.g. --set train.reduce_lr_patience=3")
  parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")


def run(args):
  from keras_detect import config as config_lib

  flags = {key: getattr(args, name) for name, key in FLAGS.items()}
  flags["train.mixed_precision"] = args.mixed_precision
  flags["train.jit_compile"] = args.xla
  config = config_lib.resolve(args.config, flags, tuple(args.set))
  if args.print_config:
    print(config_lib.to_yaml(config))
    return 0
  from keras_detect import train_lib
  run_dir = train_lib.train(config, overwrite=args.overwrite)
  print(f"Run directory: {run_dir} (best.keras, params.yaml, history.json, curves.png). "
        f"Next: python -m keras_detect.evaluate {run_dir}")
  return 0
