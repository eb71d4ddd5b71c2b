"""``grader data ...`` commands. The main CLI attaches ``data_group``."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from grader.data.dataset import N_CLASSES
from grader.data.download import MIRRORS, SOURCES, fetch_full_mnist, mnist_dir
from grader.data.embedded import build_embedded_cache
from grader.data.errors import DataError
from grader.data.load import load_dataset
from grader.exitcodes import BadInput  # a click.ClickException that exits 2 (bad input), the CLI-wide code

data_group = click.Group("data", short_help="Download, cache and inspect MNIST.",
                         help="Download, cache and inspect MNIST.\n\n\b\nExample:\n    grader data download && "
                              "grader run SUBMISSION --data mnist")


@data_group.command("download", short_help="Download the full MNIST into the cache.")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the 4 MNIST .gz files [default: the grader cache's mnist/ folder].")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per network operation.")
@click.option("--mirror", "mirrors", multiple=True,
              help="Base URL to try (repeatable); defaults to the built-in mirrors.")
@click.option("--source", type=click.Choice(SOURCES), default="auto", show_default=True,
              help="openml: scikit-learn's fetch_openml; mirrors: the official .gz files; "
                   "auto: OpenML, then the mirrors.")
def download_cmd(dest: Path | None, timeout: float, mirrors: tuple[str, ...], source: str) -> None:
    """Download the full official MNIST (OpenML or the mirrors), verifying it.

    \b
    Example:
        grader data download --source mirrors
    """
    try:
        folder = fetch_full_mnist(dest, source=source, mirrors=mirrors or MIRRORS, timeout=timeout,
                                  progress=click.echo)
    except DataError as exc:
        raise BadInput(str(exc)) from exc
    hint = "--data mnist" if folder == mnist_dir() else f"--data {folder}"
    click.echo(f"MNIST is in {folder}; use it with {hint}")


@data_group.command("info", short_help="Print sizes and per-class counts of a data set.")
@click.argument("source", required=False)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--n-train", type=click.IntRange(min=1), default=None)
@click.option("--n-test", type=click.IntRange(min=1), default=None)
def info_cmd(source: str | None, seed: int, n_train: int | None, n_test: int | None) -> None:
    """Print sizes and per-class counts of SOURCE (default: the embedded subset).

    \b
    Example:
        grader data info mnist --n-train 10000
    """
    try:
        ds = load_dataset(source, seed=seed, n_train=n_train, n_test=n_test)
    except DataError as exc:
        raise BadInput(str(exc)) from exc
    click.echo(f"dataset: {ds.name}")
    click.echo(f"train:   {ds.n_train} images x {ds.X_train.shape[1]} pixels")
    click.echo(f"test:    {ds.n_test} images x {ds.X_test.shape[1]} pixels")
    train_counts, test_counts = ds.class_counts()
    click.echo("digit   " + " ".join(f"{d:>5}" for d in range(N_CLASSES)))
    click.echo("train   " + " ".join(f"{c:>5}" for c in train_counts))
    click.echo("test    " + " ".join(f"{c:>5}" for c in test_counts))
    lo = min(float(np.min(ds.X_train, initial=1.0)), float(np.min(ds.X_test, initial=1.0)))
    hi = max(float(np.max(ds.X_train, initial=0.0)), float(np.max(ds.X_test, initial=0.0)))
    click.echo(f"pixels:  float64 in [{lo:g}, {hi:g}]")


@data_group.command("cache-embedded")
@click.option("--force", is_flag=True, help="Rebuild even if a valid cache exists.")
def cache_embedded_cmd(force: bool) -> None:
    """Build the .npz cache of the embedded 5,000-image subset.

    \b
    Example:
        grader data cache-embedded --force
    """
    try:
        path = build_embedded_cache(force=force)
    except DataError as exc:
        raise BadInput(str(exc)) from exc
    click.echo(f"embedded MNIST cached at {path}")
