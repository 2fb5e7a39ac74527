"""`python -m keras_detect.predict`: see keras_detect/commands/predict.py and keras_detect/predict_lib.py."""

if __name__ == "__main__":
  from keras_detect import cli
  cli.run_verb("predict")
