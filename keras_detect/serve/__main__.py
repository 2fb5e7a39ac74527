"""`python -m keras_detect.serve`: see keras_detect/commands/serve.py and keras_detect/serve/app.py."""

from keras_detect import cli

cli.run_verb("serve")
