"""keras-detect: tell AI-generated images from human-made ones, and name the generator."""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) hides the tool's own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
