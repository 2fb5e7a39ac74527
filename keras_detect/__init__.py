"""keras-detect: tell AI-generated images from human-made ones, and name the generator."""

__version__ = "0.1.0"
