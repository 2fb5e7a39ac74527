"""One smoke test per command path: help, user errors as one line with exit status 2."""

import subprocess
import sys

import pytest

from keras_detect import cli


def test_help_lists_every_command(capsys):
  with pytest.raises(SystemExit) as exit_info:
    cli.main(["--help"])
  assert exit_info.value.code == 0
  out = capsys.readouterr().out
  for verb in cli.COMMANDS:
    assert verb in out


@pytest.mark.parametrize("verb", sorted(cli.COMMANDS))
def test_every_command_has_help(verb, capsys):
  with pytest.raises(SystemExit) as exit_info:
    cli.main([verb, "--help"])
  assert exit_info.value.code == 0
  assert "usage:" in capsys.readouterr().out


def test_fit_prints_the_resolved_config(capsys):
  assert cli.main(["fit", "--backbone", "xception", "--epochs", "4", "--print-config"]) == 0
  out = capsys.readouterr().out
  assert "backbone: xception" in out and "epochs: 4" in out


def test_fit_in_a_run_dir_of_other_settings_is_one_line_naming_the_way_out(tiny_mix, tmp_path,
                                                                         capsys):
  from keras_detect import config as config_lib
  flags = ["--mix", tiny_mix.mix, "--manual-dir", tiny_mix.manual_dir, "--data-dir",
           tiny_mix.data_dir, "--backbone", "simplenet", "--image-size", "32",
           "--run-dir", str(tmp_path)]
  config = config_lib.resolve(flags={
      "data.mix": tiny_mix.mix, "data.manual_dir": tiny_mix.manual_dir,
      "data.data_dir": tiny_mix.data_dir, "data.image_size": 48, "model.backbone": "simplenet",
      "train.run_dir": str(tmp_path), "data.class_names": ["real", "synthetic"]})
  config_lib.save(config, str(tmp_path / "params.yaml"))
  assert cli.main(["fit", *flags]) == 2
  error = capsys.readouterr().err.strip().splitlines()[-1]  # after any data-building output
  assert error.startswith("keras-detect fit: error: ")
  assert "(data.image_size: 48 → 32)" in error and "--overwrite" in error


def test_a_bad_config_key_is_one_line_and_status_2(capsys):
  assert cli.main(["fit", "--set", "train.epochz=3"]) == 2
  err = capsys.readouterr().err.strip()
  assert err.startswith("keras-detect fit: error: Unknown config key 'train.epochz'")
  assert "\n" not in err


def test_data_without_data_says_where_to_put_it(tmp_path, capsys):
  assert cli.main(["data", "--manual-dir", str(tmp_path / "missing")]) == 2
  assert "--manual-dir" in capsys.readouterr().err


def test_module_entry_point_runs_without_a_traceback(tmp_path):
  result = subprocess.run([sys.executable, "-m", "keras_detect.fit", "--mix", "no_such_mix",
                           "--run-dir", str(tmp_path / "r")], capture_output=True, text=True)
  assert result.returncode == 2
  assert "Traceback" not in result.stderr and "Unknown mix 'no_such_mix'" in result.stderr
