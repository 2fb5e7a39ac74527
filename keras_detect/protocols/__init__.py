"""Evaluation protocols beyond the standard metrics (keras_detect.evaluate):
robustness and format swap (perturbed test images), leave-one-out and leave-sources-out
(models trained without part of the mix)."""
