"""`python -m keras_detect.fit`: see keras_detect/commands/fit.py and keras_detect/train_lib.py."""

if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("fit")
