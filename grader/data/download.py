"""Download the full official MNIST (4 gzipped IDX files) into the cache.

Each file goes to a temp file beside its destination and is renamed only
after its MD5 matches the published one, so an interrupted or corrupted
download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from grader.data.cache import atomic_writer, cache_dir
from grader.data.errors import DataError

# The published checksums of the official files (the ones torchvision and
# the LeCun page mirrors verify against).
MNIST_MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
FALLBACK = ("Without network access, pass --data PATH (a folder of IDX files or an mnist.npz), "
            "or omit --data to use the embedded 5,000-image subset.")
_CHUNK = 1 << 16


def mnist_dir() -> Path:
    """Where ``grader data download`` puts the full MNIST by default."""
    return cache_dir() / "mnist"


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _MirrorFailed(Exception):
    """One file could not be fetched from one mirror (try the next)."""


def _fetch(url: str, dest: Path, md5: str, timeout: float) -> None:
    """Stream ``url`` into ``dest`` via a temp file; rename only if the MD5 matches."""
    # Imported here: http.client and email cost every `grader` command ~0.02 s, and only a
    # download needs them.
    import http.client
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, atomic_writer(dest) as out:
            digest = hashlib.md5(usedforsecurity=False)
            size = 0
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            if digest.hexdigest() != md5:
                # Raising inside atomic_writer discards the temp file.
                raise _MirrorFailed(f"checksum mismatch (got MD5 {digest.hexdigest()} over {size} bytes, "
                                    f"expected {md5}): corrupt or truncated download")
    except urllib.error.HTTPError as exc:
        raise _MirrorFailed(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise _MirrorFailed(f"network error ({exc.reason})") from exc
    except http.client.IncompleteRead as exc:
        raise _MirrorFailed(f"connection closed after {len(exc.partial)} bytes (truncated download)") from exc
    except (socket.timeout, TimeoutError) as exc:
        raise _MirrorFailed(f"timed out after {timeout:g} s") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _MirrorFailed(f"network error ({exc})") from exc


def download_mnist(dest: str | Path | None = None, *, mirrors: Sequence[str] = MIRRORS,
                   timeout: float = 30.0, checksums: Mapping[str, str] = MNIST_MD5,
                   progress: Callable[[str], None] | None = None) -> Path:
    """Fetch the MNIST .gz files into ``dest`` (default ``cache_dir()/mnist``).

    mirrors: base URLs tried in order for each file.
    checksums: file name -> expected MD5 hex; defaults to the official four
        (tests pass their own small files here).
    progress: called with one human-readable line per file.
    Files already present with the right MD5 are kept, not re-fetched.
    Returns ``dest``. Raises DataError naming the file, what each mirror
    did, and the offline fallback, if any file cannot be fetched intact.
    """
    dest = Path(dest) if dest is not None else mnist_dir()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{dest}: cannot create the download folder ({exc}); choose another with --dest") from exc
    say = progress or (lambda _msg: None)
    for name, md5 in checksums.items():
        target = dest / name
        if target.is_file():
            if md5_of(target) == md5:
                say(f"{name}: already downloaded, checksum OK")
                continue
            # A wrong file (say, a half copy by hand) must not survive a
            # failed re-download and later pass for the real thing.
            target.unlink()
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch(url, target, md5, timeout)
            except _MirrorFailed as exc:
                failures.append(f"  {url}: {exc}")
                continue
            say(f"{name}: downloaded from {mirror}, checksum OK")
            break
        else:
            tried = "; ".join(failures) or "no mirrors given"
            raise DataError(f"could not download {name} intact into {dest} ({tried}). {FALLBACK}")
    return dest


SOURCES = ("auto", "openml", "mirrors")


def fetch_full_mnist(dest: str | Path | None = None, *, source: str = "auto", mirrors: Sequence[str] = MIRRORS,
                     timeout: float = 30.0, checksums: Mapping[str, str] = MNIST_MD5,
                     progress: Callable[[str], None] | None = None) -> Path:
    """Get the full MNIST into ``dest`` (default ``cache_dir()/mnist``) from the first source that works.

    source: "openml" (scikit-learn's ``fetch_openml``, saved as a checked
        ``mnist.npz``), "mirrors" (the four official .gz files, MD5-checked),
        or "auto": OpenML first, the mirrors as fallbacks.
    Returns ``dest``. Raises DataError with a one-line message naming what
    each source did and the offline fallback (``--data PATH``, the embedded subset).
    """
    from grader.data.openml import OpenMLFailed, fetch_mnist_openml, has_openml_npz

    if source not in SOURCES:
        raise DataError(f"unknown download source {source!r}; use one of {', '.join(SOURCES)}")
    dest = Path(dest) if dest is not None else mnist_dir()
    say = progress or (lambda _msg: None)
    failures: list[str] = []
    if source in ("auto", "openml"):
        if has_openml_npz(dest):
            say(f"{dest / 'mnist.npz'}: already downloaded from OpenML, class counts OK")
            return dest
        try:
            dest.mkdir(parents=True, exist_ok=True)
            path = fetch_mnist_openml(dest)
        except OpenMLFailed as exc:
            failures.append(str(exc))
        except OSError as exc:
            raise DataError(f"{dest}: cannot write the download ({exc}); choose another folder with --dest") from exc
        else:
            say(f"{path}: downloaded from OpenML, shape and class counts OK")
            return dest
        if source == "openml":
            raise DataError(f"could not download MNIST from OpenML ({failures[0]}). {FALLBACK}")
        say(f"OpenML failed ({failures[0]}); trying the mirrors")
    try:
        return download_mnist(dest, mirrors=mirrors, timeout=timeout, checksums=checksums, progress=progress)
    except DataError as exc:
        if not failures:
            raise
        raise DataError(f"could not download MNIST from OpenML ({failures[0]}) nor from the mirrors: "
                        f"{exc}") from exc
