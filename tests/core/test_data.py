import gzip
import os
import stat

import numpy as np
import pytest

from digitpad.core import data as data_module
from digitpad.core.data import (IMAGES_MAGIC, LABELS_MAGIC, MNIST_FILES, DataError, download_mnist,
                                load_mnist, read_idx)
from tests.helpers import idx_bytes, synthetic_mnist, write_mnist_folder


def test_reads_gzip_and_raw_files_alike(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    (tmp_path / "a").write_bytes(idx_bytes(images, IMAGES_MAGIC))
    (tmp_path / "b.gz").write_bytes(gzip.compress(idx_bytes(images, IMAGES_MAGIC)))
    assert np.array_equal(read_idx(tmp_path / "a", IMAGES_MAGIC), images)
    assert np.array_equal(read_idx(tmp_path / "b.gz", IMAGES_MAGIC), images)


@pytest.mark.parametrize("content, expected", [
    (b"", "too short"),
    (LABELS_MAGIC.to_bytes(4, "big") + b"\0\0\0\1\7", "not an MNIST images file"),
    (IMAGES_MAGIC.to_bytes(4, "big") + b"\0\0\0\1", "truncated header"),
    (idx_bytes(np.zeros((3, 28, 28), np.uint8), IMAGES_MAGIC)[:-10], "truncated"),
    (idx_bytes(np.zeros((3, 28, 28), np.uint8), IMAGES_MAGIC) + b"xx", "trailing bytes"),
    (b"\x1f\x8b\x08garbage", "cannot read"),
    # A valid gzip header followed by a corrupt deflate stream.
    (gzip.compress(b"\0" * 100)[:10] + b"\xff" * 40, "cannot read"),
    # Intact deflate data of a well-formed file with a wrong checksum.
    (gzip.compress(idx_bytes(np.zeros((3, 28, 28), np.uint8), IMAGES_MAGIC))[:-8] + b"\0" * 8,
     "cannot read"),
])
def test_malformed_idx_files_name_the_file_and_the_problem(tmp_path, content, expected):
    path = tmp_path / "bad-images"
    path.write_bytes(content)
    with pytest.raises(DataError, match=expected) as info:
        read_idx(path, IMAGES_MAGIC)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_idx(tmp_path / "nothing", LABELS_MAGIC)


def test_loads_a_folder_and_cross_checks_counts(tmp_path):
    folder = write_mnist_folder(tmp_path / "m", synthetic_mnist(50, 20))
    loaded = load_mnist(folder, download=False)
    assert loaded.train.images.shape == (50, 28, 28) and len(loaded.test) == 20

    labels_file = folder / MNIST_FILES["test_labels"][0]
    labels_file.write_bytes(gzip.compress(idx_bytes(np.zeros(19, np.uint8), LABELS_MAGIC)))
    with pytest.raises(DataError, match="19 labels for 20 images"):
        load_mnist(folder, download=False)


def test_labels_must_be_digits(tmp_path):
    folder = write_mnist_folder(tmp_path / "m", synthetic_mnist(10, 10), gz=False)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(10, 12, np.uint8), LABELS_MAGIC))
    with pytest.raises(DataError, match="label 12 is not a digit"):
        load_mnist(folder, download=False)


def test_images_must_be_28x28(tmp_path):
    folder = write_mnist_folder(tmp_path / "m", synthetic_mnist(10, 10), gz=False)
    (folder / "t10k-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((10, 32, 32), np.uint8), IMAGES_MAGIC))
    with pytest.raises(DataError, match="expected 28x28"):
        load_mnist(folder, download=False)


def test_search_order_explicit_then_env_then_user_folder(tmp_path, monkeypatch):
    env_folder = write_mnist_folder(tmp_path / "env", synthetic_mnist(30, 10))
    monkeypatch.setenv("DIGITPAD_DATA", str(env_folder))
    assert len(load_mnist(download=False).train) == 30
    explicit = write_mnist_folder(tmp_path / "explicit" / "mnist", synthetic_mnist(40, 10))
    # A parent folder holding mnist/ is accepted too (e.g. a data/ folder).
    assert len(load_mnist(explicit.parent, download=False).train) == 40


def test_explicit_folder_without_data_is_an_error_even_if_env_has_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_DATA", str(write_mnist_folder(tmp_path / "env", synthetic_mnist(30, 10))))
    with pytest.raises(DataError, match="MNIST files not found"):
        load_mnist(tmp_path / "empty", download=False)


def test_offline_and_nowhere_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataError) as info:
        load_mnist(download=False)
    message = str(info.value)
    assert str(tmp_path / "nope") in message and "--data" in message and "DIGITPAD_DATA" in message


def test_failed_download_keeps_nothing_and_explains(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_DATA", str(tmp_path / "nope"))
    monkeypatch.setattr(data_module, "MIRRORS", (f"file://{tmp_path}/no-mirror/",))
    with pytest.raises(DataError, match="Download failed"):
        load_mnist()
    assert not (tmp_path / "xdg-data").exists()  # nothing left, not even empty folders


def test_download_rejects_a_file_with_the_wrong_checksum(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, _ in MNIST_FILES.values():
        (mirror / name).write_bytes(b"not mnist")
    with pytest.raises(DataError, match="checksum mismatch"):
        download_mnist(tmp_path / "dest", mirrors=(mirror.as_uri() + "/",))
    assert not (tmp_path / "dest").exists()


def test_offline_download_says_so_first_and_leaves_no_folder_behind(tmp_path):
    dest = tmp_path / "new" / "digitpad" / "mnist"
    # Port 1 on this machine: refused at once, as any server is when there is no network.
    with pytest.raises(DataError) as info:
        download_mnist(dest, mirrors=("http://127.0.0.1:1/",), timeout=5)
    summary, *detail = str(info.value).splitlines()
    assert summary == "No internet connection: could not download MNIST."
    assert detail and "127.0.0.1:1" in detail[0]
    assert os.listdir(tmp_path) == []  # not even the parents it created


def test_a_download_failing_after_a_verified_file_keeps_that_file(tmp_path, mnist_folder):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    first = MNIST_FILES["train_images"][0]
    (mirror / first).write_bytes((mnist_folder / first).read_bytes())
    with pytest.raises(DataError, match="could not download MNIST"):
        download_mnist(tmp_path / "dest", mirrors=(mirror.as_uri() + "/",))
    assert os.listdir(tmp_path / "dest") == [first]


def test_download_verifies_and_stores_the_real_files(tmp_path, mnist_folder):
    reports = []
    download_mnist(tmp_path / "dest", mirrors=(mnist_folder.as_uri() + "/",),
                   progress=lambda name, done, total: reports.append(name))
    assert sorted(os.listdir(tmp_path / "dest")) == sorted(n for n, _ in MNIST_FILES.values())
    assert reports


@pytest.mark.heavy
def test_real_mnist_loads_with_expected_shapes(mnist):
    assert mnist.train.images.shape == (60000, 28, 28)
    assert mnist.test.images.shape == (10000, 28, 28)
    assert np.bincount(mnist.test.labels).tolist()[:2] == [980, 1135]


def _write_gzip(path, header: bytes, body_bytes: int) -> None:
    """A gzip file of ``header`` followed by ``body_bytes`` zeros, written a piece at a time."""
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(header)
        piece = bytes(1 << 20)
        for start in range(0, body_bytes, len(piece)):
            file.write(piece[:body_bytes - start])


def _traced_peak(function) -> int:
    import tracemalloc
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_is_refused_after_inflating_only_what_its_header_announces(tmp_path):
    path = tmp_path / "bomb-images.gz"
    header = IMAGES_MAGIC.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (10, 28, 28))
    _write_gzip(path, header, 300 << 20)  # 300 MB of zeros in a few hundred kB

    def read():
        with pytest.raises(DataError, match="trailing bytes") as info:
            read_idx(path, IMAGES_MAGIC)
        assert str(path) in str(info.value)
    assert _traced_peak(read) < 8 << 20


@pytest.mark.parametrize("shape", [(2 ** 31, 2 ** 31, 4), (200_000, 28, 28)])
def test_headers_announcing_more_than_a_data_set_are_refused_before_reading(tmp_path, shape):
    """(2^31, 2^31, 4) multiplies to 2^64, which wraps to 0 in int64."""
    path = tmp_path / "huge-images.gz"
    header = IMAGES_MAGIC.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in shape)
    _write_gzip(path, header, 4 << 20)

    def read():
        with pytest.raises(DataError, match="more than") as info:
            read_idx(path, IMAGES_MAGIC)
        assert str(path) in str(info.value)
    assert _traced_peak(read) < 8 << 20


def test_a_folder_that_cannot_be_searched_is_not_usable_and_says_why(tmp_path, monkeypatch):
    """Any OSError while looking (here a mode-000 folder, as root sees it when it drops its
    capabilities) is "not usable: <reason>", never an exception of another kind."""
    from digitpad.core.data import find_mnist_folder, require_mnist_folder, unusable_reason
    from tests.helpers import make_unsearchable
    folder = write_mnist_folder(tmp_path / "locked", synthetic_mnist(30, 10))
    make_unsearchable(monkeypatch, folder)
    assert find_mnist_folder(folder) is None
    assert unusable_reason(folder) == "Permission denied"
    with pytest.raises(DataError, match=r"locked: not usable: Permission denied"):
        require_mnist_folder(folder)
    with pytest.raises(DataError, match=r"locked: not usable: Permission denied"):
        load_mnist(folder, download=False)
    monkeypatch.setenv("DIGITPAD_DATA", str(folder))
    with pytest.raises(DataError, match=r"locked \(not usable: Permission denied\)"):
        load_mnist(download=False)


def test_a_mode_000_folder_is_not_usable_for_real(tmp_path):
    """The same through real permissions, in a child process (under capsh as root)."""
    from tests.helpers import run_python_with_folder_locked
    folder = write_mnist_folder(tmp_path / "locked", synthetic_mnist(30, 10))
    child = run_python_with_folder_locked(folder, "-c", "import sys\n"
                                          "from digitpad.core.data import load_mnist\n"
                                          "load_mnist(sys.argv[1], download=False)", str(folder))
    assert "DataError: " in child.stderr and "not usable: Permission denied" in child.stderr


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_downloaded_files_get_the_permissions_of_any_new_file(tmp_path, mnist_folder,
                                                               usual_umask):
    download_mnist(tmp_path / "dest", mirrors=(mnist_folder.as_uri() + "/",))
    for name in os.listdir(tmp_path / "dest"):
        assert stat.S_IMODE((tmp_path / "dest" / name).stat().st_mode) == 0o644, name
