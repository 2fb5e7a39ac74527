"""The papers' small baselines, registered into the backbone namespace (`backbones.BACKBONES`).

Every builder has the Keras Applications signature
`builder(input_tensor, weights=None, include_top=False, **options) -> keras.Model` and builds
on `input_tensor`, so its layers sit inline in the detector's graph. `BASELINES` holds each
entry's `backbones.Backbone` fields as plain data; `backbones.py` turns them into entries
(this module imports nothing from it, so there is no import cycle).

- own_head=True (simplenet, xception_mlp, mlp, lenet): the model ends in the penultimate
  feature vector (2-D); the detector adds only the output layer(s).
- own_head=False (cnn_*, xception_*): the model ends in a 4-D feature map and gets the
  detector's standard head, so pixel, DCT and DCT+attention variants differ only in their
  input domain and attention, not in their heads.

DCT variants take 0..255 pixels (preprocess "none", the scale `layers.DCT2D` expects); the
"mask" variants put a CBAM block (whose spatial map is the attention mask) on the final
feature map, and that block is their Grad-CAM layer.
"""

import keras

from keras_detect import layers
from keras_detect.errors import UserError


def _features_model(input_tensor, outputs, name):
  return keras.Model(keras.utils.get_source_inputs(input_tensor), outputs, name=name)


def _scratch_weights(model, weights):
  """Baselines trained from scratch: no ImageNet weights, but a saved weights file loads."""
  if weights == "imagenet":
    raise UserError(f"{model.name} is trained from scratch and has no ImageNet weights; "
                    "use --weights none or a PATH to its saved weights.")
  if weights:
    model.load_weights(weights)
  return model


def simplenet(input_tensor, weights=None, include_top=False, dropout=0.5):
  """3 × [Conv 3×3 → ReLU → MaxPool] (32/64/128) → GAP → Dense 128 → Dropout.

  Global average pooling rather than Flatten keeps the model small and independent of the
  input size; generator artefacts repeat across the image, so position matters little.
  """
  x = input_tensor
  for i, filters in enumerate((32, 64, 128), start=1):
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                            name=f"simplenet_conv{i}")(x)
    x = keras.layers.MaxPooling2D(name=f"simplenet_pool{i}")(x)
  x = keras.layers.GlobalAveragePooling2D(name="simplenet_gap")(x)
  x = keras.layers.Dense(128, activation="relu", name="simplenet_dense")(x)
  x = keras.layers.Dropout(dropout, name="simplenet_dropout")(x)
  return _scratch_weights(_features_model(input_tensor, x, "simplenet"), weights)


def mlp(input_tensor, weights=None, include_top=False):
  """Flatten → Dense 512 → Dense 256 → Dense 128 (ReLU)."""
  x = keras.layers.Flatten(name="mlp_flatten")(input_tensor)
  for i, units in enumerate((512, 256, 128), start=1):
    x = keras.layers.Dense(units, activation="relu", name=f"mlp_dense{i}")(x)
  return _scratch_weights(_features_model(input_tensor, x, "mlp"), weights)


def lenet(input_tensor, weights=None, include_top=False):
  """Conv 6 5×5 → pool → Conv 16 5×5 → pool → Dense 120 → Dense 84 (ReLU, valid padding)."""
  x = input_tensor
  for i, filters in enumerate((6, 16), start=1):
    x = keras.layers.Conv2D(filters, 5, activation="relu", name=f"lenet_conv{i}")(x)
    x = keras.layers.MaxPooling2D(name=f"lenet_pool{i}")(x)
  x = keras.layers.Flatten(name="lenet_flatten")(x)
  x = keras.layers.Dense(120, activation="relu", name="lenet_dense1")(x)
  x = keras.layers.Dense(84, activation="relu", name="lenet_dense2")(x)
  return _scratch_weights(_features_model(input_tensor, x, "lenet"), weights)


def _cnn_blocks(x):
  """4 × [Conv 3×3 → BN → ReLU] (32/64/128/256), max-pooling after the first three."""
  for i, filters in enumerate((32, 64, 128, 256), start=1):
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"cnn_conv{i}")(x)
    x = keras.layers.BatchNormalization(name=f"cnn_bn{i}")(x)
    x = keras.layers.Activation("relu", name=f"cnn_relu{i}")(x)
    if i < 4:
      x = keras.layers.MaxPooling2D(name=f"cnn_pool{i}")(x)
  return x


def cnn_pixel(input_tensor, weights=None, include_top=False):
  """The small CNN on pixels."""
  x = _cnn_blocks(input_tensor)
  return _scratch_weights(_features_model(input_tensor, x, "cnn_pixel"), weights)


def cnn_dct(input_tensor, weights=None, include_top=False):
  """The small CNN on log-DCT coefficients."""
  x = _cnn_blocks(layers.DCT2D(name="dct")(input_tensor))
  return _scratch_weights(_features_model(input_tensor, x, "cnn_dct"), weights)


def cnn_dct_mask(input_tensor, weights=None, include_top=False, reduction=8):
  """The small CNN on log-DCT coefficients, with CBAM attention after the conv blocks."""
  x = _cnn_blocks(layers.DCT2D(name="dct")(input_tensor))
  x = layers.CBAM(reduction=reduction, name="cnn_cbam")(x)
  return _scratch_weights(_features_model(input_tensor, x, "cnn_dct_mask"), weights)


def xception_mlp(input_tensor, weights=None, include_top=False):
  """Xception → GAP (2048) → Dense 1000 → 256 → 64 (ReLU)."""
  x = keras.applications.Xception(input_tensor=input_tensor, weights=weights,
                                  include_top=False).output
  x = keras.layers.GlobalAveragePooling2D(name="xception_mlp_pool")(x)
  for i, units in enumerate((1000, 256, 64), start=1):
    x = keras.layers.Dense(units, activation="relu", name=f"xception_mlp_dense{i}")(x)
  return _features_model(input_tensor, x, "xception_mlp")


def xception_pixel(input_tensor, weights=None, include_top=False):
  """Xception on pixels: the control for the DCT variants."""
  return keras.applications.Xception(input_tensor=input_tensor, weights=weights,
                                     include_top=False, name="xception_pixel")


def xception_dct(input_tensor, weights=None, include_top=False):
  """Xception on log-DCT coefficients."""
  x = layers.DCT2D(name="dct")(input_tensor)
  return keras.applications.Xception(input_tensor=x, weights=weights, include_top=False,
                                     name="xception_dct")


def xception_dct_mask(input_tensor, weights=None, include_top=False, reduction=16):
  """Xception on log-DCT coefficients, with CBAM attention on its final feature map."""
  x = layers.DCT2D(name="dct")(input_tensor)
  x = keras.applications.Xception(input_tensor=x, weights=weights, include_top=False).output
  x = layers.CBAM(reduction=reduction, name="xception_cbam")(x)
  return _features_model(input_tensor, x, "xception_dct_mask")


def _entry(constructor, native_size, min_size, preprocess, last_conv_layer, top_stage_prefix,
           own_head):
  return {"constructor": constructor, "native_size": native_size, "min_size": min_size,
          "preprocess": preprocess, "last_conv_layer": last_conv_layer,
          "top_stage_prefix": top_stage_prefix, "own_head": own_head}


BASELINES = {
    "simplenet": _entry(simplenet, 128, 8, "tf", "simplenet_conv3", "simplenet_conv3", True),
    "xception_mlp": _entry(xception_mlp, 299, 71, "tf", "block14_sepconv2_act", "block14", True),
    "mlp": _entry(mlp, 64, 8, "tf", None, "mlp_dense3", True),
    "lenet": _entry(lenet, 32, 16, "tf", "lenet_conv2", "lenet_conv2", True),
    "cnn_pixel": _entry(cnn_pixel, 128, 8, "tf", "cnn_relu4", "cnn_conv4", False),
    "cnn_dct": _entry(cnn_dct, 128, 8, "none", "cnn_relu4", "cnn_conv4", False),
    "cnn_dct_mask": _entry(cnn_dct_mask, 128, 8, "none", "cnn_cbam", "cnn_conv4", False),
    "xception_pixel": _entry(xception_pixel, 299, 71, "tf", "block14_sepconv2_act", "block14",
                             False),
    "xception_dct": _entry(xception_dct, 299, 71, "none", "block14_sepconv2_act", "block14",
                           False),
    "xception_dct_mask": _entry(xception_dct_mask, 299, 71, "none", "xception_cbam", "block14",
                                False),
}
