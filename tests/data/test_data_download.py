"""download_mnist against a local HTTP server (this machine has no internet)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from data_helpers import idx_bytes, synthetic_mnist

from grader.data import MNIST_MD5, DataError, cache_dir, download_mnist, load_dataset
from grader.data.download import md5_of

FILES = list(MNIST_MD5)


def _payloads() -> dict[str, bytes]:
    """Small synthetic stand-ins for the 4 official .gz files."""
    train_px, train_y = synthetic_mnist(20, seed=1)
    test_px, test_y = synthetic_mnist(5, seed=2)
    raw = {FILES[0]: train_px, FILES[1]: train_y, FILES[2]: test_px, FILES[3]: test_y}
    return {name: gzip.compress(idx_bytes(arr), mtime=0) for name, arr in raw.items()}


PAYLOADS = _payloads()
CHECKSUMS = {name: hashlib.md5(data).hexdigest() for name, data in PAYLOADS.items()}


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes: /good/<f> serves the file, /badsum/<f> other bytes, /trunc/<f>
    half the file then hangs up, /slow/<f> sleeps first, anything else 404."""

    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        Handler.requests.append(self.path)
        _, route, name = self.path.split("/", 2)
        body = PAYLOADS.get(name)
        if body is None or route not in {"good", "badsum", "trunc", "slow"}:
            self.send_error(404, "Not Found")
            return
        if route == "slow":
            time.sleep(1.5)
        if route == "badsum":
            body = body[:-1] + bytes([body[-1] ^ 0xFF])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route == "trunc":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    Handler.requests = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def refused_url() -> str:
    # A port that was just free: nothing listens there, so connect() is refused.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_success_verifies_and_loads(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "mnist"
    lines: list[str] = []
    out = download_mnist(dest, mirrors=[f"{server}/good/"], checksums=CHECKSUMS, timeout=5, progress=lines.append)
    assert out == dest
    assert _leftovers(dest) == sorted(FILES)  # no .part files
    assert all(md5_of(dest / f) == CHECKSUMS[f] for f in FILES)
    assert len(lines) == 4 and all("checksum OK" in line for line in lines)
    ds = load_dataset(dest)
    assert (ds.n_train, ds.n_test) == (200, 50)


def test_default_dest_then_load_full(server: str) -> None:
    with pytest.raises(DataError, match="grader data download"):
        load_dataset("mnist")
    download_mnist(mirrors=[f"{server}/good"], checksums=CHECKSUMS, timeout=5)
    assert _leftovers(cache_dir() / "mnist") == sorted(FILES)
    ds = load_dataset("full", n_test=20, seed=1)
    assert ds.name == "mnist-full" and (ds.n_train, ds.n_test) == (200, 20)


def test_falls_back_to_next_mirror(server: str, refused_url: str, tmp_path: Path) -> None:
    mirrors = [refused_url, f"{server}/missing/", f"{server}/badsum/", f"{server}/good/"]
    download_mnist(tmp_path, mirrors=mirrors, checksums=CHECKSUMS, timeout=5)
    assert _leftovers(tmp_path) == sorted(FILES)


def test_existing_good_files_are_not_refetched(server: str, tmp_path: Path) -> None:
    download_mnist(tmp_path, mirrors=[f"{server}/good/"], checksums=CHECKSUMS, timeout=5)
    n = len(Handler.requests)
    lines: list[str] = []
    download_mnist(tmp_path, mirrors=[f"{server}/good/"], checksums=CHECKSUMS, timeout=5, progress=lines.append)
    assert len(Handler.requests) == n
    assert all("already downloaded" in line for line in lines)


@pytest.mark.parametrize("route, expect", [
    ("badsum", "checksum mismatch"),
    ("trunc", "truncated"),
    ("nowhere", "HTTP 404"),
])
def test_failures_leave_no_file_and_name_the_fallback(server: str, tmp_path: Path, route: str, expect: str) -> None:
    with pytest.raises(DataError) as err:
        download_mnist(tmp_path, mirrors=[f"{server}/{route}/"], checksums=CHECKSUMS, timeout=5)
    msg = str(err.value)
    assert expect in msg and FILES[0] in msg
    assert "--data PATH" in msg and "embedded" in msg
    assert _leftovers(tmp_path) == []


def test_connection_refused(refused_url: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="network error") as err:
        download_mnist(tmp_path, mirrors=[refused_url], checksums=CHECKSUMS, timeout=5)
    assert refused_url in str(err.value) and "--data PATH" in str(err.value)
    assert _leftovers(tmp_path) == []


def test_timeout(server: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="timed out") as err:
        download_mnist(tmp_path, mirrors=[f"{server}/slow/"], checksums=CHECKSUMS, timeout=0.3)
    assert "--data PATH" in str(err.value)
    assert _leftovers(tmp_path) == []


def test_corrupt_existing_file_is_replaced(server: str, tmp_path: Path) -> None:
    (tmp_path / FILES[0]).write_bytes(b"half a download")
    download_mnist(tmp_path, mirrors=[f"{server}/good/"], checksums=CHECKSUMS, timeout=5)
    assert md5_of(tmp_path / FILES[0]) == CHECKSUMS[FILES[0]]


def test_corrupt_existing_file_is_removed_even_if_refetch_fails(refused_url: str, tmp_path: Path) -> None:
    (tmp_path / FILES[0]).write_bytes(b"half a download")
    with pytest.raises(DataError):
        download_mnist(tmp_path, mirrors=[refused_url], checksums=CHECKSUMS, timeout=5)
    assert _leftovers(tmp_path) == []


def test_official_checksums_are_the_published_ones() -> None:
    assert MNIST_MD5 == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }


def test_official_checksums_match_the_shared_t10k_files(shared_mnist: Path) -> None:
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert md5_of(shared_mnist / name) == MNIST_MD5[name]


def test_checksum_check_is_what_rejects(server: str, tmp_path: Path) -> None:
    # Same good bytes, wrong expectation: must be rejected, proving the MD5 is checked.
    wrong = dict(CHECKSUMS, **{FILES[0]: "0" * 32})
    with pytest.raises(DataError, match="checksum mismatch"):
        download_mnist(tmp_path, mirrors=[f"{server}/good/"], checksums=wrong, timeout=5)
    assert FILES[0] not in _leftovers(tmp_path)
    assert np.all([not n.endswith(".part") for n in _leftovers(tmp_path)])


# --- OpenML through scikit-learn (faked: no network here) -------------------

def test_openml_download_is_checked_saved_and_loadable(fake_openml, openml_like_arrays) -> None:
    from grader.data.download import fetch_full_mnist
    from grader.data.openml import NPZ_NAME

    fake_openml.error, fake_openml.arrays = None, openml_like_arrays
    lines: list[str] = []
    folder = fetch_full_mnist(progress=lines.append)
    assert folder == cache_dir() / "mnist" and _leftovers(folder) == [NPZ_NAME]
    call, = fake_openml.calls
    assert call["name"] == "mnist_784" and call["version"] == 1 and call["as_frame"] is False
    assert Path(call["data_home"]) == cache_dir() / "openml"
    assert "downloaded from OpenML" in lines[-1]
    ds = load_dataset("mnist", n_train=600, n_test=100, seed=3)
    assert ds.name == "mnist-full" and (ds.n_train, ds.n_test) == (600, 100)
    assert np.array_equal(np.rint(ds.X_test[:, 0] * 255).astype(int), ds.y_test)
    full = load_dataset(folder)
    assert (full.n_train, full.n_test) == (60000, 10000)
    # A second download finds the checked file and does not fetch again.
    fetch_full_mnist(progress=lines.append)
    assert len(fake_openml.calls) == 1 and "already downloaded" in lines[-1]


@pytest.mark.parametrize("tamper, expect", [
    (lambda X, y: (X[:5000], y[:5000]), "shape"),
    (lambda X, y: (X, np.roll(y, 1)), "class counts"),
    (lambda X, y: (X, np.where(y == "9", "10", y)), "outside 0..9"),
    (lambda X, y: (X.astype(np.float64) / 255.0 + 0.5 / 255, y), "0..255"),
])
def test_openml_data_that_fails_the_checks_is_not_kept(fake_openml, openml_like_arrays, tmp_path: Path,
                                                       tamper, expect: str) -> None:
    from grader.data.download import fetch_full_mnist

    fake_openml.error, fake_openml.arrays = None, tamper(*openml_like_arrays)
    with pytest.raises(DataError, match=expect) as err:
        fetch_full_mnist(tmp_path, source="openml")
    assert "\n" not in str(err.value) and "--data PATH" in str(err.value)
    assert _leftovers(tmp_path) == []


def test_openml_unreachable_falls_back_to_the_mirrors(fake_openml, server: str, tmp_path: Path) -> None:
    from grader.data.download import fetch_full_mnist

    lines: list[str] = []
    fetch_full_mnist(tmp_path, mirrors=[f"{server}/good/"], checksums=CHECKSUMS, timeout=5, progress=lines.append)
    assert len(fake_openml.calls) == 1 and "OpenML failed" in lines[0] and "name resolution" in lines[0]
    assert _leftovers(tmp_path) == sorted(FILES)


def test_mirrors_only_never_asks_openml(fake_openml, server: str, tmp_path: Path) -> None:
    from grader.data.download import fetch_full_mnist

    fetch_full_mnist(tmp_path, source="mirrors", mirrors=[f"{server}/good/"], checksums=CHECKSUMS, timeout=5)
    assert fake_openml.calls == []


def test_no_network_at_all_is_one_line_with_the_offline_fallback(refused_url: str, tmp_path: Path) -> None:
    from grader.data.download import fetch_full_mnist

    with pytest.raises(DataError) as err:
        fetch_full_mnist(tmp_path, mirrors=[refused_url], checksums=CHECKSUMS, timeout=5)
    msg = str(err.value)
    assert "\n" not in msg
    assert "OpenML" in msg and "name resolution" in msg and refused_url in msg
    assert "--data PATH" in msg and "embedded 5,000-image subset" in msg
