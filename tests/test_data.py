"""The tf.data pipeline over a tiny mix, and leak-free splits on the shared data."""

import hashlib
import os
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_detect import data, preprocessing
from keras_detect.errors import UserError

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


@pytest.fixture(scope="module")
def built(tiny_mix):
  mix = data.load_mix(tiny_mix.mix)
  builders = data.prepare([s.name for s in mix.sources], tiny_mix.manual_dir, tiny_mix.data_dir)
  return mix, builders


def collect(ds):
  out = defaultdict(list)
  for batch in ds.as_numpy_iterator():
    for key, value in batch.items():
      out[key].extend(value)
  return out


def test_evaluation_dataset_yields_every_example_once_in_a_fixed_order(built):
  mix, builders = built
  first = collect(data.make_dataset(mix, builders, "validation", image_size=32, batch_size=4))
  second = collect(data.make_dataset(mix, builders, "validation", image_size=32, batch_size=4))
  assert len(first["file_name"]) == data.number_of_examples(mix, builders, "validation")
  assert len(set(first["file_name"])) == len(first["file_name"])
  np.testing.assert_array_equal(np.stack(first["image"]), np.stack(second["image"]))


def test_batches_carry_source_and_generator_and_have_the_requested_size(built):
  mix, builders = built
  batch = next(iter(data.make_dataset(mix, builders, "train", image_size=48, batch_size=8)))
  assert batch["image"].shape[1:] == (48, 48, 3)
  sources = {s.decode() for s in batch["source"].numpy()}
  assert sources <= {"faces_real", "faces_gan"}
  for label, generator in zip(batch["label"].numpy(), batch["generator"].numpy()):
    assert (generator == b"") == (label == 0)


def test_training_stream_balances_the_classes(built):
  mix, builders = built
  ds = data.make_dataset(mix, builders, "train", image_size=32, batch_size=50, training=True,
                         counts=data.census(builders))
  labels = np.concatenate([b["label"] for b in ds.take(4).as_numpy_iterator()])
  assert abs(labels.mean() - 0.5) < 0.12


def test_attribution_targets_index_the_class_names(built):
  mix, builders = built
  census = data.census(builders)
  names = census.class_names()
  assert names[0] == "real" and len(names) >= 2
  ds = data.to_supervised(data.make_dataset(mix, builders, "train", image_size=32, batch_size=16),
                          "attribution", names)
  for _, target in ds.as_numpy_iterator():
    assert target.min() >= 0 and target.max() < len(names)


def test_unknown_mix_and_unknown_source_are_user_errors(tmp_path):
  with pytest.raises(UserError, match="Shipped mixes"):
    data.load_mix("no_such_mix")
  path = tmp_path / "bad.yaml"
  path.write_text("sources:\n  - name: not_a_builder\n")
  with pytest.raises(UserError, match="unknown source 'not_a_builder'"):
    data.load_mix(str(path))


def test_a_mix_with_a_base_takes_its_keys_and_replaces_those_it_gives(tmp_path):
  base = data.load_mix("all_shared")
  native = data.load_mix("all_shared_native")
  assert native.sources == base.sources and native.balance == base.balance
  assert base.align.short_side and not native.align.short_side
  config = type("DataConfig", (), {"eval_short_side": 0.0})()
  # Trained on native-resolution crops, evaluated unshrunk; scale-aligned, at its scale.
  assert data.eval_short_side(config, native) == preprocessing.NATIVE_SHORT_SIDE
  assert data.eval_short_side(config, base) == 1.25
  loop = tmp_path / "a.yaml"
  loop.write_text(f"base: {tmp_path / 'b.yaml'}\n")
  (tmp_path / "b.yaml").write_text(f"base: {loop}\nsources: [faces_real]\n")
  with pytest.raises(UserError, match="a loop"):
    data.load_mix(str(loop))


def test_weights_reweight_the_named_sources_of_a_base(tmp_path):
  base = data.load_mix("all_shared")
  people = data.load_mix("all_shared_people")
  weights = {s.name: s.weight for s in people.sources}
  assert weights.pop("coco_real") == 4.0 and set(weights.values()) == {1.0}
  assert [s.name for s in people.sources] == [s.name for s in base.sources]
  for text, message in (("{imagenet_real: 2}", "does not list"), ("{coco_real: 0}", "positive"),
                        ("[coco_real]", "map source names")):
    path = tmp_path / "bad.yaml"
    path.write_text(f"base: all_shared\nweights: {text}\n")
    with pytest.raises(UserError, match=message):
      data.load_mix(str(path))


def test_missing_manual_dir_says_where_to_put_the_files(tmp_path):
  with pytest.raises(UserError, match="--manual-dir"):
    data.prepare(["faces_real"], str(tmp_path / "nowhere"), str(tmp_path / "tfds"))


def test_every_shipped_mix_loads():
  for name in data.list_mixes():
    mix = data.load_mix(name)
    assert mix.sources and mix.align is not None


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data not beside the project")
@pytest.mark.parametrize("name", ["monet_photos", "cyclegan_monet_resnet", "anime_faces_dcgan",
                                  "sd15_finetune_grids", "cyclegan_vangogh_resnet"])
def test_shared_sources_have_no_content_or_group_across_splits(name, tmp_path_factory):
  data_dir = os.environ.get("KERAS_DETECT_DATA_DIR") or str(tmp_path_factory.mktemp("shared"))
  builder = data.prepare([name], str(SHARED), data_dir)[name]
  owner_of_hash, owner_of_group = {}, {}
  for split in builder.info.splits:
    ds = builder.as_dataset(split=split, decoders={"image": tfds.decode.SkipDecoding()})
    for x in ds.as_numpy_iterator():
      digest = hashlib.sha256(x["image"]).hexdigest()
      assert owner_of_hash.setdefault(digest, split) == split, "duplicate across splits"
      group = x["group"].decode()
      assert owner_of_group.setdefault(group, split) == split, f"group {group} straddles splits"
  assert len(Counter(owner_of_group.values())) >= 2


def source_fractions(source_share: str, draws: int = 3000) -> Counter:
  """The real side of a training stream over a large and a small real source."""
  sizes = {"big_real": (0, 100), "small_real": (0, 4), "fake": (1, 50)}
  parts, counts = {}, data.Census()
  for name, (label, n) in sizes.items():
    parts[name] = (tf.data.Dataset.from_tensors({"label": label, "source": name}).repeat(n), n)
    counts.counts[(name, "train")] = Counter({(label, "" if label == 0 else "gan"): n})
  mix = data.Mix("shares", tuple(data.SourceEntry(name) for name in sizes),
                 source_share=source_share)
  stream = data._balanced(mix, parts, counts, "train", seed=0).take(draws)
  drawn = Counter(x["source"].decode() for x in stream.as_numpy_iterator() if x["label"] == 0)
  total = sum(drawn.values())
  return Counter({name: k / total for name, k in drawn.items()})


def test_sqrt_source_shares_draw_a_small_source_more_often_than_its_size():
  assert source_fractions("size")["small_real"] == pytest.approx(4 / 104, abs=0.02)
  assert source_fractions("sqrt")["small_real"] == pytest.approx(2 / 12, abs=0.03)
  assert data.load_mix("all_shared_sqrt").source_share == "sqrt"
  assert data.load_mix("all_shared").source_share == "size"


def test_an_unknown_source_share_is_a_user_error(tmp_path):
  path = tmp_path / "mix.yaml"
  path.write_text("base: all_shared\nsource_share: equal\n")
  with pytest.raises(UserError, match="source_share must be one of size, sqrt"):
    data.load_mix(str(path))
