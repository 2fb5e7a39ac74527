"""Input-gradient maps: vanilla saliency and SmoothGrad (tf-keras-vis), and guided
backpropagation's positive and negative saliency (here, see below).

Saliency and SmoothGrad are the maximum |gradient| over the colour channels. They need no
conv layer, so they explain every detector, the MLP baseline included.
"""

import functools

import keras
import numpy as np
import tensorflow as tf
from tf_keras_vis.saliency import Saliency

from keras_detect.explain import targets

SMOOTHGRAD_SAMPLES = 20
SMOOTHGRAD_NOISE = 0.2  # σ as a fraction of the crop's value range (the method's default)
_RELUS = (keras.activations.relu, keras.activations.relu6)


def saliency(target, crop, **_):
  return _saliency(target, crop)


def smoothgrad(target, crop, samples=SMOOTHGRAD_SAMPLES, noise=SMOOTHGRAD_NOISE, **_):
  return _saliency(target, crop, smooth_samples=samples, smooth_noise=noise)


def guided_positive(target, crop, **_):
  """Where raising a pixel raises the score, through guided backpropagation."""
  return np.maximum(guided_gradient(target, crop), 0).max(axis=-1)


def guided_negative(target, crop, **_):
  """Where raising a pixel lowers the score, through guided backpropagation."""
  return np.maximum(-guided_gradient(target, crop), 0).max(axis=-1)


def guided_gradient(target, crop) -> np.ndarray:
  """d logit / d pixels [S, S, 3] with every ReLU passing back only positive gradients.

  tf-keras-vis' `GuidedBackpropagation` modifier swaps the `activation` attribute of
  layers, which misses Keras' `ReLU` layers (MobileNet's ReLU6, whose call does not read
  such an attribute); here the guided copy replaces those layers as well.
  """
  guided = target.variant("guided", _guided_layer)
  pixels = tf.constant(crop[None], tf.float32)
  with tf.GradientTape() as tape:
    tape.watch(pixels)
    logit = guided([pixels], training=False)[:, target.index]
  return tape.gradient(logit, pixels)[0].numpy()


def guided(activation):
  """`activation` whose backward pass receives only the positive part of the incoming
  gradient (Springenberg et al., 2015), for the ReLU family."""
  @tf.custom_gradient
  def guided_activation(x):
    with tf.GradientTape() as tape:
      tape.watch(x)
      y = activation(x)

    def backward(upstream):
      return tape.gradient(y, x, output_gradients=tf.nn.relu(upstream))

    return y, backward
  return guided_activation


class GuidedReLU(keras.layers.Layer):
  """A `keras.layers.ReLU` with a guided backward pass; made only in guided copies."""

  def __init__(self, relu: keras.layers.ReLU, **kwargs):
    super().__init__(name=relu.name, **kwargs)
    self.function = guided(functools.partial(
        keras.activations.relu, negative_slope=relu.negative_slope, max_value=relu.max_value,
        threshold=relu.threshold))

  def call(self, inputs):
    return self.function(inputs)

  def compute_output_shape(self, input_shape):
    return input_shape


def _guided_layer(layer):
  if isinstance(layer, keras.layers.ReLU):
    return GuidedReLU(layer)
  copy = layer.__class__.from_config(layer.get_config())
  if getattr(copy, "activation", None) in _RELUS:
    copy.activation = guided(copy.activation)
  return copy


def _saliency(target, crop, **options):
  maps = Saliency(target.model, clone=False)(
      targets.score_function(target), [crop[None]], normalize_map=False, **options)
  return maps[0][0]
