"""`python -m keras_detect.explain`: see keras_detect/commands/explain.py."""

if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("explain")
