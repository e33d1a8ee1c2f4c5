"""Model archives that lie about where their weights are, whose zip entries cannot be read,
or that change while they load: each is a ModelError naming the file, from every reader,
nothing else is read, and a load is always one model whole."""

import io
import struct
import zipfile

import h5py
import keras
import numpy as np
import pytest

from digitpad.core.inference import Predictor
from digitpad.core.model_file import read_model_file
from digitpad.core.registry import ModelError, load_card, load_model, load_model_from, save_model

LOADERS = [Predictor.load, load_model]


@pytest.fixture(scope="module")
def entries(tmp_path_factory):
    """The entries of a small real model file with a card inside."""
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    path = save_model(model, tmp_path_factory.mktemp("m") / "tiny.keras", {"serial": 1})
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_archive(path, entries, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return path


def with_kernel(entries, make_dataset):
    """``entries`` with the Dense kernel replaced by ``make_dataset(vars_group)``."""
    buffer = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buffer, "r+") as h5:
        variables = h5["layers/dense/vars"]
        del variables["0"]
        make_dataset(variables)
    return {**entries, "model.weights.h5": buffer.getvalue()}


@pytest.fixture
def secret(tmp_path):
    """A file of float32 values a crafted model would read into its kernel."""
    path = tmp_path / "secret.bin"
    path.write_bytes(np.full(784 * 10, 0.5, np.float32).tobytes())
    return path


@pytest.mark.parametrize("loader", LOADERS)
def test_weights_stored_in_another_file_are_refused(tmp_path, entries, secret, loader):
    crafted = with_kernel(entries, lambda variables: variables.create_dataset(
        "0", shape=(784, 10), dtype="f4", external=[(str(secret), 0, 784 * 10 * 4)]))
    path = write_archive(tmp_path / "external.keras", crafted)
    with pytest.raises(ModelError, match=r"external.keras.*stored in another file"):
        loader(path)


@pytest.mark.parametrize("loader", LOADERS)
def test_virtual_datasets_and_external_links_are_refused(tmp_path, entries, secret, loader):
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as h5:
        h5["data"] = np.full((784, 10), 0.5, np.float32)

    def virtual(variables):
        layout = h5py.VirtualLayout(shape=(784, 10), dtype="f4")
        layout[:] = h5py.VirtualSource(str(source), "data", shape=(784, 10))
        variables.create_virtual_dataset("0", layout)

    path = write_archive(tmp_path / "virtual.keras", with_kernel(entries, virtual))
    with pytest.raises(ModelError, match=r"virtual.keras.*virtual dataset"):
        loader(path)

    def linked(variables):
        variables["0"] = h5py.ExternalLink(str(source), "/data")

    path = write_archive(tmp_path / "linked.keras", with_kernel(entries, linked))
    with pytest.raises(ModelError, match=r"linked.keras.*links .* to another file"):
        loader(path)


def _patch_entry_headers(data: bytes, *, flags: int | None = None,
                         method: int | None = None) -> bytes:
    """Rewrite every entry's general-purpose flags or compression method, in its local
    header and in the central directory, as another zip tool would have written them."""
    data = bytearray(data)
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = data.find(signature)
        while start >= 0:
            if flags is not None:
                struct.pack_into("<H", data, start + flags_at, flags)
            if method is not None:
                struct.pack_into("<H", data, start + method_at, method)
            start = data.find(signature, start + 4)
    return bytes(data)


def odd_archives(tmp_path, entries):
    stored = write_archive(tmp_path / "stored.keras", entries).read_bytes()
    encrypted = tmp_path / "encrypted.keras"
    encrypted.write_bytes(_patch_entry_headers(stored, flags=0x1))
    deflate64 = tmp_path / "deflate64.keras"
    deflate64.write_bytes(_patch_entry_headers(stored, method=9))
    corrupt = write_archive(tmp_path / "corrupt.keras", entries, zipfile.ZIP_DEFLATED)
    data = bytearray(corrupt.read_bytes())
    with zipfile.ZipFile(corrupt) as archive:
        info = archive.getinfo("model.weights.h5")
    body = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[body + 100:body + 400] = b"\xff" * 300  # the deflate stream, not its headers
    corrupt.write_bytes(bytes(data))
    return [encrypted, deflate64, corrupt]


@pytest.mark.parametrize("loader", LOADERS)
def test_zip_entries_that_cannot_be_read_are_a_model_error_naming_the_file(
        tmp_path, entries, loader, capfd):
    for path in odd_archives(tmp_path, entries):
        with pytest.raises(ModelError, match=path.name):
            loader(path)
    assert "Traceback" not in capfd.readouterr().err


def test_a_card_that_cannot_be_read_is_an_empty_card(tmp_path, entries):
    for path in odd_archives(tmp_path, entries)[:2]:  # the card entry itself is unreadable
        assert load_card(path) == {}


def two_models(folder):
    """Models "a" and "b" that always answer 1 and 2, their cards saying so (``serial``)
    with thresholds of their own."""
    paths = []
    for name, digit, sure in (("a", 1, 0.31), ("b", 2, 0.32)):
        model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                  keras.layers.Dense(10, activation="softmax")])
        kernel, bias = model.layers[-1].get_weights()
        bias[:] = 0
        bias[digit] = 5
        model.layers[-1].set_weights([np.zeros_like(kernel), bias])
        paths.append(save_model(model, folder / f"{name}.keras",
                                {"serial": digit, "thresholds": {"sure": sure}}))
    return paths


SWAPPER = """
import os, shutil, sys
folder = sys.argv[1]
n = 0
while True:
    n += 1
    shutil.copyfile(os.path.join(folder, "a.keras" if n % 2 else "b.keras"),
                    os.path.join(folder, ".swap"))
    os.replace(os.path.join(folder, ".swap"), os.path.join(folder, "model.keras"))
"""


def test_a_model_replaced_while_it_loads_never_pairs_one_models_weights_with_anothers_card(
        tmp_path):
    """Another program swaps two models in place, atomically, as fast as it can: every
    load is one model whole (its weights, its card, its thresholds) or a ModelError."""
    import shutil
    import subprocess
    import sys
    a, _ = two_models(tmp_path)
    shutil.copyfile(a, tmp_path / "model.keras")
    swapper = subprocess.Popen([sys.executable, "-c", SWAPPER, str(tmp_path)])
    seen = set()
    try:
        for _ in range(200):
            try:
                predictor = Predictor.load(tmp_path / "model.keras")
            except ModelError:
                continue
            digit = int(predictor.predict_one(np.zeros((28, 28))).argmax())
            assert predictor.card["serial"] == digit
            assert predictor.thresholds.sure == {1: 0.31, 2: 0.32}[digit]
            seen.add(digit)
    finally:
        swapper.kill()
        swapper.wait()
    assert seen == {1, 2}  # the file did change under the loads


def test_keras_loads_the_bytes_that_were_read_not_the_file_as_it_is_now(tmp_path):
    """The model Keras builds is the one whose card was read, even when the file is
    replaced between the read and Keras's load."""
    import os
    a, b = two_models(tmp_path)
    model_file = read_model_file(a)
    os.replace(b, a)  # another program saves over it
    model = load_model_from(model_file)
    digit = int(np.asarray(model(np.zeros((1, 28, 28), np.float32))).argmax())
    assert digit == model_file.card["serial"] == 1


def test_a_fifo_where_a_model_should_be_is_refused_at_once(tmp_path):
    import os
    import time
    os.mkfifo(tmp_path / "fifo.keras")
    start = time.perf_counter()
    for loader in LOADERS:
        with pytest.raises(ModelError, match="fifo.keras: the model file is not a regular file"):
            loader(tmp_path / "fifo.keras")
    assert load_card(tmp_path / "fifo.keras") == {}
    assert time.perf_counter() - start < 10
