"""`python -m keras_detect.export`: see keras_detect/commands/export.py and keras_detect/export_lib.py."""

if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("export")
