import os
import signal
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from digitpad.core.architectures import preset_config, build_model
from digitpad.core.inference import Predictor
from digitpad.core.registry import (ModelError, card_path, clean_stale_temp_files,
                                    list_models, load_card, load_model, save_model)


@pytest.fixture
def tiny_model():
    return build_model(preset_config("linear"))


def test_save_and_load_round_trip_with_card(tmp_path, tiny_model):
    path = save_model(tiny_model, tmp_path / "m.keras", {"test_accuracy": np.float32(0.9)})
    loaded = load_model(path)
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert np.allclose(loaded(x), tiny_model(x), atol=1e-6)
    card = load_card(path)
    assert card["name"] == "m" and card["file"] == "m.keras" and card["saved"]
    assert card["test_accuracy"] == pytest.approx(0.9)
    assert [m.path.name for m in list_models(tmp_path)] == ["m.keras"]


def test_a_failed_save_keeps_the_previous_model_and_leaves_no_temp_file(tmp_path, tiny_model):
    path = save_model(tiny_model, tmp_path / "m.keras", {"version": 1})
    before = path.read_bytes()

    class CrashesMidSave:
        def save(self, target):
            with open(target, "wb") as f:
                f.write(b"half a model")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_model(CrashesMidSave(), path, {"version": 2})
    assert path.read_bytes() == before
    assert load_card(path)["version"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.keras"]


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated zip"])
def test_corrupt_files_raise_model_error_naming_the_file(tmp_path, content):
    path = tmp_path / "broken.keras"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="broken.keras"):
        load_model(path)


def test_zip_that_is_not_a_keras_model(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelError, match="cannot load the model"):
        load_model(path)


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nope.keras")
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ModelError, match="not a Keras model file"):
        load_model(tmp_path / "weights.h5")


def test_a_model_from_somewhere_else_is_refused(tmp_path):
    foreign = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                                keras.layers.Dense(100)])
    foreign.save(tmp_path / "cifar.keras")
    with pytest.raises(ModelError, match="not a digit model"):
        load_model(tmp_path / "cifar.keras")
    wrong_outputs = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                      keras.layers.Dense(5)])
    wrong_outputs.save(tmp_path / "five.keras")
    with pytest.raises(ModelError, match="outputs"):
        load_model(tmp_path / "five.keras")


def test_lambda_layers_are_refused_by_safe_mode(tmp_path):
    risky = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10)])
    risky.save(tmp_path / "lambda.keras")
    with pytest.raises(ModelError, match="lambda.keras"):
        load_model(tmp_path / "lambda.keras")


def test_card_is_optional_and_corrupt_cards_read_as_empty(tmp_path, tiny_model):
    """Archives without a card inside (other programs' models) fall back to the .json."""
    tiny_model.save(tmp_path / "m.keras")
    assert load_card(tmp_path / "m.keras") == {}
    card_path(tmp_path / "m.keras").write_text('{"version": 1}')
    assert load_card(tmp_path / "m.keras") == {"version": 1}
    card_path(tmp_path / "m.keras").write_text("{not json")
    assert load_card(tmp_path / "m.keras") == {}


def test_a_folder_lists_every_model_with_its_card_or_why_it_has_none(tmp_path, tiny_model):
    good = save_model(tiny_model, tmp_path / "good.keras", {"architecture": "linear",
                                                            "test_accuracy": 0.92})
    damaged = save_model(tiny_model, tmp_path / "damaged.keras", {})
    with zipfile.ZipFile(damaged, "a") as archive:  # a second, damaged card entry wins
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("digitpad_card.json", "{not json")
    tiny_model.save(tmp_path / "cardless.keras")  # another program's model: no card at all
    tiny_model.save(tmp_path / "bad-json.keras")
    card_path(tmp_path / "bad-json.keras").write_text("[1, 2]")
    (tmp_path / "not-a-model.keras").write_bytes(b"hello")
    (tmp_path / ".good.keras.123-89abcdef.keras").write_bytes(b"a killed save's temp file")
    (tmp_path / "notes.txt").write_text("not a model")
    for age, name in enumerate(["good", "damaged", "cardless", "bad-json", "not-a-model"]):
        os.utime(tmp_path / f"{name}.keras", (1e9 - age, 1e9 - age))
    listed = list_models(tmp_path)
    assert [m.path.name for m in listed] == ["good.keras", "damaged.keras", "cardless.keras",
                                             "bad-json.keras", "not-a-model.keras"]
    assert listed[0].card["test_accuracy"] == 0.92 and listed[0].problem is None
    assert listed[0].path == good and listed[0].modified == 1e9
    assert listed[1].card == {} and "damaged" in listed[1].problem
    assert listed[2].card == {} and listed[2].problem is None  # no card is no problem
    assert listed[3].card == {} and "damaged" in listed[3].problem
    assert listed[4].card == {} and "not a readable model file" in listed[4].problem
    assert list_models(tmp_path / "no such folder") == []


def test_the_card_inside_the_model_wins_over_a_stale_or_edited_json(tmp_path, tiny_model):
    path = save_model(tiny_model, tmp_path / "m.keras", {"version": 1})
    first_json = card_path(path).read_text()
    save_model(tiny_model, path, {"version": 2})
    card_path(path).write_text(first_json)  # as if the save was killed before the .json
    assert load_card(path)["version"] == 2
    # Keras (safe mode) and the NumPy loader both read the archive with the card inside.
    assert len(load_model(path).layers) == len(tiny_model.layers)
    assert Predictor.load(path).predict_one(np.zeros((28, 28))).shape == (10,)


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_saved_files_get_the_permissions_of_any_new_file(tmp_path, tiny_model, usual_umask):
    path = save_model(tiny_model, tmp_path / "m.keras", {})
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE(card_path(path).stat().st_mode) == 0o644


class ZipModel:
    """Writes a small archive recording ``serial``, as Keras's ``save`` writes a model."""

    def __init__(self, serial: int):
        self.serial = serial

    def save(self, target):
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("serial.txt", str(self.serial))


KILLED_SAVE = """
import contextlib, os, signal, sys
from digitpad.core import atomic_files, registry
from tests.core.test_registry import ZipModel
kill_at_write = int(sys.argv[2])
original, calls = atomic_files.atomic_write, []
@contextlib.contextmanager
def write_then_maybe_die(target):
    calls.append(target)
    with original(target) as handle:
        yield handle
        if len(calls) == kill_at_write:  # this write's temp file is complete, not renamed
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
registry.atomic_write = atomic_files.atomic_write = write_then_maybe_die
registry.save_model(ZipModel(2), sys.argv[1], {"serial": 2})
"""


@pytest.mark.parametrize("kill_at_write", [1, 2])
def test_a_killed_save_leaves_model_and_card_in_agreement_and_the_next_save_cleans_up(
        tmp_path, kill_at_write):
    """Killed while writing the model (1) or its .json (2): whichever model the file holds,
    its card comes with it; the temp file left behind goes at the next save."""
    path = save_model(ZipModel(1), tmp_path / "m.keras", {"serial": 1})
    child = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path), str(kill_at_write)],
                           cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert child.returncode == -signal.SIGKILL
    with zipfile.ZipFile(path) as archive:
        serial_in_model = int(archive.read("serial.txt"))
    assert serial_in_model == (1 if kill_at_write == 1 else 2)  # the rename is atomic
    assert load_card(path)["serial"] == serial_in_model
    assert any(p.name.startswith(".") for p in tmp_path.iterdir())  # the killed save's litter
    save_model(ZipModel(3), path, {"serial": 3})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.keras"]


def test_temp_files_of_saves_in_progress_are_left_alone(tmp_path):
    """Another instance's save in progress keeps its temp file, whatever its process id
    says (instances in containers cannot see each other's processes); once its writer is
    gone, the file goes."""
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom digitpad.core.atomic_files import atomic_write\n"
         "with atomic_write(sys.argv[1]) as handle:\n"
         "    handle.write(b'being written')\n    print(handle.name, flush=True)\n"
         "    sys.stdin.read()\n", str(tmp_path / "m.keras")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2])
    running = Path(writer.stdout.readline().strip())
    left_by_an_old_version = tmp_path / ".m.keras.999999-0123abcd.keras"
    left_by_an_old_version.write_bytes(b"left by a killed save")
    others = tmp_path / ".notes.txt"
    others.write_text("not ours")
    try:
        assert clean_stale_temp_files(tmp_path) == [left_by_an_old_version]
        save_model(ZipModel(1), tmp_path / "other.keras", {})  # cleans the folder too
        assert running.exists() and others.exists() and not left_by_an_old_version.exists()
    finally:
        writer.kill()
        writer.communicate()
    assert clean_stale_temp_files(tmp_path) == [running]
    assert not (tmp_path / "m.keras").exists()


def test_a_temp_file_removed_or_replaced_mid_save_never_becomes_the_model(tmp_path):
    """A temp file taken away while the model is written (by a program that ignores our
    locks) fails the save: it never turns into an archive holding only the card."""
    path = save_model(ZipModel(1), tmp_path / "m.keras", {"serial": 1})

    class RemovedAfterWriting(ZipModel):
        def save(self, target):
            super().save(target)
            os.unlink(target)

    class ReplacedBeforeWriting(ZipModel):
        def save(self, target):
            os.unlink(target)
            super().save(target)

    for model in (RemovedAfterWriting(2), ReplacedBeforeWriting(3)):
        with pytest.raises((OSError, ModelError), match="m.keras"):
            save_model(model, path, {"serial": model.serial})
        with zipfile.ZipFile(path) as archive:
            assert archive.read("serial.txt") == b"1"
        assert load_card(path)["serial"] == 1
    clean_stale_temp_files(tmp_path)  # the replacement is not ours to remove mid-save
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.keras"]


def test_a_card_that_cannot_be_written_beside_the_model_is_reported_as_such(
        tmp_path, monkeypatch):
    from digitpad.core import registry

    def refuse(target, content):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(registry, "write_bytes_atomically", refuse)
    with pytest.raises(registry.CardNotWritten, match="m.keras was saved.*m.json.*denied"):
        save_model(ZipModel(1), tmp_path / "m.keras", {"serial": 1})
    assert load_card(tmp_path / "m.keras")["serial"] == 1  # the card inside is complete


def test_reserved_names_are_unique_and_released_only_when_nothing_was_saved(tmp_path):
    from digitpad.core.registry import release_model_path, reserve_model_path
    first = reserve_model_path(tmp_path / "models", "linear-20261204-224251")
    second = reserve_model_path(tmp_path / "models", "linear-20261204-224251")
    assert (first.name, second.name) == ("linear-20261204-224251.keras",
                                         "linear-20261204-224251-2.keras")
    assert list_models(tmp_path / "models") == []  # runs in progress are no models yet
    save_model(ZipModel(1), first, {})
    release_model_path(first)
    release_model_path(second)
    assert first.exists() and not second.exists()


def test_a_card_file_that_is_a_fifo_or_huge_is_not_read(tmp_path, tiny_model):
    """Beside a card-less model, a FIFO would block the load for ever, a huge file fill
    memory: neither is read."""
    import time
    tiny_model.save(tmp_path / "m.keras")  # no card inside
    os.mkfifo(card_path(tmp_path / "m.keras"))
    start = time.perf_counter()
    assert load_card(tmp_path / "m.keras") == {}
    assert Predictor.load(tmp_path / "m.keras").predict_one(np.zeros((28, 28))).shape == (10,)
    assert time.perf_counter() - start < 10
    card_path(tmp_path / "m.keras").unlink()
    with open(card_path(tmp_path / "m.keras"), "wb") as huge:
        huge.truncate(3 << 30)  # 3 GB, sparse
    assert load_card(tmp_path / "m.keras") == {}


@pytest.mark.parametrize("accuracy, shown", [(0.97, 0.97), (float("nan"), None), (1.7, None),
                                             ("0.9", None), (True, None), (None, None)])
def test_a_cards_accuracy_is_a_number_in_0_1_or_none(accuracy, shown):
    from digitpad.core.registry import card_accuracy
    assert card_accuracy({"test_accuracy": accuracy}) == shown


def test_an_archive_entry_declaring_more_than_a_digit_model_needs_is_refused_unread(
        tmp_path, tiny_model):
    import tracemalloc
    tiny_model.save(tmp_path / "real.keras")
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(tmp_path / "real.keras") as real, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("config.json", real.read("config.json"))
        with bomb.open("model.weights.h5", "w", force_zip64=True) as weights:
            for _ in range(100):
                weights.write(bytes(1 << 20))  # 100 MB of zeros, 100 kB in the file
    for load in (load_model, Predictor.load):
        tracemalloc.start()
        with pytest.raises(ModelError, match=r"bomb.keras.*model.weights.h5.*more than"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 10 << 20, load
