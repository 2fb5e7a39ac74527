"""Batch prediction on Apache Beam: image files in, predict's rows out (CSV or JSON lines).

`keras-detect predict --runner beam` runs this pipeline, on the DirectRunner or any other
Beam runner (Dataflow, Flink, Spark) that `--beam-options` names:
- file patterns (files, folders, globs; local or any Beam file system, e.g. gs://) → the
  image files they name; a pattern that names none becomes an error row;
- each file is read and decoded by `tfds_builders.image_io`, as predict does: a bad file
  becomes its error row there and never reaches the model. Bytes that TF would not decode
  to the same pixels (EXIF-rotated, CMYK, 16-bit, TIFF...) go on as lossless PNG of the
  decoded pixels, as the builders store them;
- RunInference with Beam's TensorFlow model handler scores them with an exported SavedModel
  (`keras-detect export`), through a bytes signature: `serving_default` (the training-scale
  crop, as predict scores by default) or `serving_crops` (that crop and four at native
  resolution, pooled: predict --native-crops 4);
- the rows (predict_lib.COLUMNS, with what each file declares: keras_detect.provenance)
  are written to one file, in no particular order.
"""

import csv
import functools
import glob
import io
import json
import os
import shlex

import apache_beam as beam
import tensorflow as tf
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference import tensorflow_inference
from apache_beam.ml.inference.base import KeyedModelHandler, PredictionResult, RunInference
from apache_beam.options.pipeline_options import PipelineOptions

from keras_detect import export_lib, inference, predict_lib, provenance
from keras_detect.errors import UserError
from tfds_builders import image_io

# Native crops → the exported signature that scores that many beside the training-scale one.
SIGNATURES = {0: "serving_default", export_lib.NATIVE_CROPS: "serving_crops"}
NAMESPACE = "keras_detect"  # of the Beam counters: rows written, files that failed
FAILED = "failed"


def predict(patterns, output: str, *, model: str = "",
            native_crops: int = predict_lib.NATIVE_CROPS,
            max_pixels: int = image_io.MAX_PIXELS, max_bytes: int = image_io.MAX_BYTES,
            batch_size: int = 32, beam_options: str = "") -> dict:
  """Runs the pipeline and waits for it; returns {"rows": N, "failed": M} as Beam counted."""
  if native_crops not in SIGNATURES:
    raise UserError("--runner beam scores through the exported signatures: --native-crops "
                    f"{' or '.join(map(str, SIGNATURES))}.")
  if not output.endswith((".csv", ".jsonl", ".json")):
    raise UserError("--runner beam writes its rows to --output, a .csv or .jsonl file.")
  version = _version_folder(model or inference.DEFAULT_MODEL)
  card = _read_card(version)
  header = ",".join(predict_lib.COLUMNS) if output.endswith(".csv") else None
  pipeline = beam.Pipeline(options=PipelineOptions(shlex.split(beam_options)))
  _ = (pipeline
       | "Patterns" >> beam.Create(list(patterns))
       | "Match" >> beam.FlatMap(matched_files)
       | "Score" >> ScoreFiles(version, card, native_crops, max_pixels, max_bytes, batch_size)
       | "Format" >> beam.Map(_csv_line if header else _json_line)
       | "Write" >> beam.io.WriteToText(output, num_shards=1, shard_name_template="",
                                        header=header))
  result = pipeline.run()
  result.wait_until_finish()
  return _counters(result)


class ScoreFiles(beam.PTransform):
  """(path, size or None) → predict's rows: decoded, scored, provenance beside the score."""

  def __init__(self, version, card, native_crops, max_pixels, max_bytes, batch_size):
    super().__init__()
    self.handler = KeyedModelHandler(SavedModelHandler(
        version, inference_fn=functools.partial(
            _run_signature, signature=SIGNATURES[native_crops], card=card),
        max_batch_size=batch_size))
    self.card, self.limits = card, {"max_pixels": max_pixels, "max_bytes": max_bytes}

  def expand(self, files):
    prepared = files | "Decode" >> beam.FlatMapTuple(prepared_file, **self.limits).with_outputs(
        FAILED, main="images")
    scored = (prepared.images
              | "Tensors" >> beam.MapTuple(lambda row, data: (row, tf.constant(data)))
              | "RunInference" >> RunInference(self.handler)
              | "Rows" >> beam.MapTuple(functools.partial(scored_row, card=self.card)))
    return (scored, prepared[FAILED]) | "All rows" >> beam.Flatten()


class SavedModelHandler(tensorflow_inference.TFModelHandlerTensor):
  """Beam's TensorFlow model handler for an exported version folder: its own loader reads
  Keras 2 model files, an export is a plain SavedModel."""

  def load_model(self):
    return tf.saved_model.load(self._model_uri)


def matched_files(pattern: str):
  """(path, size) of each file a file, folder (recursively: its image files) or glob
  names, as predict_lib.find_images does; (pattern, None) when it names none."""
  if glob.has_magic(pattern):
    found = [(m.path, m.size_in_bytes) for m in FileSystems.match([pattern])[0].metadata_list]
  else:
    inside = FileSystems.match([pattern.rstrip("/") + "/**"])[0].metadata_list
    found = sorted((m.path, m.size_in_bytes) for m in inside
                   if predict_lib._is_image_name(os.path.basename(m.path)))
    found = found or [(m.path, m.size_in_bytes)
                      for m in FileSystems.match([pattern])[0].metadata_list]
  yield from found or [(pattern, None)]


def prepared_file(path: str, size, max_pixels: int = image_io.MAX_PIXELS,
                  max_bytes: int = image_io.MAX_BYTES):
  """(row without a score, bytes the model decodes to image_io's pixels), or the error
  row of a file that cannot be scored, on an output of its own."""
  try:
    data = _read(path, size, max_bytes)
    decoded = image_io.decode(data, max_pixels=max_pixels)
  except image_io.BadImage as reason:
    beam.metrics.Metrics.counter(NAMESPACE, FAILED).inc()
    yield beam.pvalue.TaggedOutput(FAILED, predict_lib._row(path, error=str(reason)))
    return
  row = predict_lib._row(path, **predict_lib._declared(provenance.read_provenance(data)))
  yield row, data if decoded.passthrough else image_io.encode_png(decoded.pixels)


def scored_row(row: dict, result: PredictionResult, card) -> dict:
  """A row of predict_lib.COLUMNS from the model's outputs for one file."""
  outputs = result.inference
  row = {**row, "probability": float(outputs["probability"]),
         "label": _text(outputs["label"]), "verdict": _text(outputs["verdict"]),
         "crop_spread": float(outputs["crop_spread"]), "threshold": card.calibrated_threshold,
         "generator": _text(outputs["generator"]) if "generator" in outputs else ""}
  found = row.pop("_provenance")
  if row["declared"] != provenance.NONE:
    row["disagreement"] = provenance.disagreement(found, row["label"])
  return row


def _run_signature(model, batch, inference_args, model_id, *, signature, card):
  outputs = model.signatures[signature](images=tf.stack(batch))
  if signature == SIGNATURES[0]:  # one crop, pooled as predict --native-crops 0 pools it
    outputs = inference.combine_crops(outputs, 1, card)
  values = {k: v.numpy() for k, v in outputs.items() if k != "generator_probabilities"}
  return [PredictionResult(example, {k: v[i] for k, v in values.items()}, model_id)
          for i, example in enumerate(batch)]


def _read(path: str, size, max_bytes: int) -> bytes:
  """The file's bytes (image_io.read_bytes where it is local), or BadImage saying why."""
  if size is None or "://" not in path:
    return image_io.read_bytes(path, max_bytes)
  if size > max_bytes:
    raise image_io.BadImage(f"file too large (over {max_bytes:,} bytes, the limit)")
  try:
    with FileSystems.open(path) as f:
      return f.read()
  except OSError as error:
    raise image_io.BadImage(f"cannot read file ({path}: {error})") from None


def _csv_line(row: dict) -> str:
  beam.metrics.Metrics.counter(NAMESPACE, "rows").inc()
  buffer = io.StringIO()
  csv.DictWriter(buffer, fieldnames=predict_lib.COLUMNS, lineterminator="").writerow(row)
  return buffer.getvalue()


def _json_line(row: dict) -> str:
  beam.metrics.Metrics.counter(NAMESPACE, "rows").inc()
  return json.dumps(row)


def _version_folder(path: str) -> str:
  """An exported version folder, or the newest version of a model folder."""
  if tf.io.gfile.exists(os.path.join(path, "saved_model.pb")):
    return path
  names = tf.io.gfile.listdir(path) if tf.io.gfile.isdir(path) else []
  versions = [name.rstrip("/") for name in names if name.rstrip("/").isdigit()]
  if not versions:
    raise UserError(f"{path} is not an exported model (saved_model.pb): --runner beam "
                    "scores with what `keras-detect export RUN_DIR` writes.")
  return os.path.join(path, max(versions, key=int))


def _read_card(version: str) -> inference.ModelCard:
  with tf.io.gfile.GFile(os.path.join(version, "assets", inference.CARD)) as f:
    return inference.ModelCard.from_dict(json.load(f))


def _counters(result) -> dict:
  counts = {"rows": 0, FAILED: 0}
  for counter in result.metrics().query()["counters"]:
    if counter.key.metric.namespace == NAMESPACE:
      value = counter.committed if counter.committed is not None else counter.attempted
      counts[counter.key.metric.name] += value
  return counts


def _text(value) -> str:
  return value.decode() if isinstance(value, bytes) else str(value)
