"""The user's digits store: round trips, migrations, crashes, and the JSON import/export."""

import json
import signal
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from digitpad import paths
from digitpad.core.digit_store import SCHEMA_VERSION, DigitStore, StoreError
from digitpad.core.digits_file import (DigitsFileError, Sample, read_digits_file,
                                       unpack_strokes)
from digitpad.core.drawing import strokes_to_model_input

SEVEN = [[[10, 10], [60, 10], [30, 90]]]


def sample(label=7, seed=0, points=20) -> Sample:
    rng = np.random.default_rng(seed)
    strokes = [rng.random((points, 2)), rng.random((3, 2))]
    return Sample(label, strokes, rng.integers(0, 256, (28, 28), dtype=np.uint8),
                  created=1_700_000_000.5 + seed, pad_size=(420, 420), model="default",
                  reading="not_a_digit")


def test_the_store_lives_in_the_per_user_data_folder():
    with DigitStore() as store:
        assert store.path == paths.my_digits_path()
        assert store.path.parent == paths.user_data_dir()
    assert paths.my_digits_path().is_file()


def test_samples_round_trip_with_everything_they_keep(tmp_path):
    originals = [sample(label=d % 10, seed=d) for d in range(12)]
    with DigitStore(tmp_path / "mine.sqlite3") as store:
        ids = [store.add(s) for s in originals]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 12
    with DigitStore(tmp_path / "mine.sqlite3") as store:  # reopened: all of it was committed
        assert store.counts().tolist() == [2, 2] + [1] * 8
        digits = store.digits()
        back = store.samples()
    assert digits.ids.tolist() == ids
    assert digits.labels.tolist() == [s.label for s in originals]
    assert np.array_equal(digits.images, np.stack([s.image for s in originals]))
    for original, stored in zip(originals, back):
        assert stored.id is not None and stored.label == original.label
        assert all(np.array_equal(a, b) for a, b in zip(original.strokes, stored.strokes))
        assert (stored.created, stored.pad_size, stored.model, stored.reading) == \
            (original.created, (420, 420), "default", "not_a_digit")


def test_a_drawing_is_stored_once_and_delete_and_relabel_work(tmp_path):
    with DigitStore(tmp_path / "mine.sqlite3") as store:
        first = store.add(sample(label=7))
        assert store.add(sample(label=1)) is None  # the same drawing, whatever its label
        second = store.add(sample(label=4, seed=1))
        assert store.relabel([first], 9) == 1
        assert store.counts()[[4, 7, 9]].tolist() == [1, 0, 1]
        assert store.delete([second]) == 1
        assert store.digits().ids.tolist() == [first]
        with pytest.raises(StoreError, match="digit 0-9"):
            store.relabel([first], 10)


def test_the_store_is_wal_with_a_schema_version(tmp_path):
    path = tmp_path / "mine.sqlite3"
    DigitStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer digitpad"):
        DigitStore(path)


def test_a_file_that_is_no_store_gives_a_clear_error(tmp_path):
    path = tmp_path / "mine.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a digits store, or it is damaged"):
        DigitStore(path)


KILLED_WRITER = """
import sys, numpy as np
from digitpad.core.digit_store import DigitStore
from digitpad.core.digits_file import Sample
store = DigitStore(sys.argv[1])
rng = np.random.default_rng(1)
while True:
    s = Sample(int(rng.integers(10)), [rng.random((200, 2))], rng.integers(0, 256, (28, 28), dtype=np.uint8))
    print(store.add(s), flush=True)
"""


def test_a_process_killed_mid_insert_leaves_every_committed_sample(tmp_path):
    path = tmp_path / "mine.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)],
                              stdout=subprocess.PIPE, text=True)
    committed = [int(writer.stdout.readline()) for _ in range(40)]
    writer.send_signal(signal.SIGKILL)  # wherever it is: most likely inside an insert
    writer.wait()
    committed += [int(line) for line in writer.stdout.read().split()]
    writer.stdout.close()
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with DigitStore(path) as store:
        stored = set(store.digits().ids.tolist())
        assert set(committed) <= stored
        assert len(stored) - len(committed) <= 1  # at most the one being printed
        assert store.add(sample()) is not None  # and it takes new samples


def test_export_then_import_round_trips_and_skips_duplicates(tmp_path):
    with DigitStore(tmp_path / "a.sqlite3") as store:
        for d in range(10):
            store.add(sample(label=d, seed=d))
        assert store.export_file(tmp_path / "mine.json") == 10
        originals = store.samples()
    with DigitStore(tmp_path / "b.sqlite3") as other:
        result = other.import_file(tmp_path / "mine.json")
        assert (result.added, result.duplicates) == (10, 0)
        again = other.import_file(tmp_path / "mine.json")
        assert (again.added, again.duplicates) == (0, 10)
        imported = other.samples()
    for original, back in zip(originals, imported):
        assert back.label == original.label and np.array_equal(back.image, original.image)
        assert all(np.array_equal(a, b) for a, b in zip(original.strokes, back.strokes))
        assert (back.created, back.pad_size, back.model) == \
            (original.created, original.pad_size, original.model)


def test_the_minimal_form_imports_and_is_rendered_as_the_pad_would(tmp_path):
    minimal = {"format": "digitpad-digits", "version": 1, "samples": [
        {"label": 7, "strokes": [[[10, 10, 0.0, 0.5], [60, 10, 16, 0.5], [30, 90, 40, 0.7]]]},
        {"label": 1, "strokes": [[[5, 0], [5, 50]]]}]}
    (tmp_path / "mine.json").write_text(json.dumps(minimal))
    with DigitStore(tmp_path / "mine.sqlite3") as store:
        assert store.import_file(tmp_path / "mine.json").added == 2
        seven, one = store.samples()
    expected = (strokes_to_model_input(SEVEN) * 255).round().astype(np.uint8)
    assert np.array_equal(seven.image, expected)
    assert (seven.label, one.label) == (7, 1)
    assert seven.strokes[0].tolist() == [[10, 10], [60, 10], [30, 90]]  # extras dropped
    assert one.image.max() == 255 and one.image[:, 14:16].sum() > 0


@pytest.mark.parametrize("content, problem", [
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 7, "str',
     "not valid JSON, the file may be truncated"),
    ("", "not valid JSON"),
    ('[1, 2, 3]', "not a digitpad digits file"),
    ('{"format": "quickdraw", "drawings": []}', "its format is 'quickdraw'"),
    ('{"format": "digitpad-digits", "version": 2, "samples": []}', "newer digitpad"),
    ('{"format": "digitpad-digits", "version": 1, "samples": {}}', '"samples" must be a list'),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 7, "strokes": '
     '[[[1, 2], [3, 4]]]}, {"label": 12, "strokes": [[[1, 2]]]}]}', "sample 2: label must"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 3, "strokes": '
     '[[[1, "a"]]]}]}', "sample 1: a point must be"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 3, "strokes": '
     '[[[1, NaN]]]}]}', "numbers within"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 3, "strokes": '
     '[[[1e308, 0], [-1e308, 5]]]}]}', "numbers within"),  # would overflow when drawn
    ('{"format": "digitpad-digits", "version": 1, "samples": ' + "[" * 100_000
     + "]" * 100_000 + "}", "nested too deeply"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 3}]}',
     "neither strokes nor an image"),
    ('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 3, "strokes": [], '
     '"image": "AAAA"}]}', "784 bytes"),
])
def test_a_bad_file_gives_a_clear_error_and_imports_nothing(tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with DigitStore(tmp_path / "mine.sqlite3") as store:
        store.add(sample())
        with pytest.raises(DigitsFileError, match=problem) as raised:
            store.import_file(path)
        assert str(path) in str(raised.value)
        assert len(store) == 1  # the valid first sample of a bad file is not imported


def test_unreadable_and_binary_files_are_refused_clearly(tmp_path):
    with pytest.raises(DigitsFileError, match="cannot read it"):
        read_digits_file(tmp_path / "missing.json")
    (tmp_path / "image.json").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe" * 10)
    with pytest.raises(DigitsFileError, match="not UTF-8"):
        read_digits_file(tmp_path / "image.json")


def test_packed_strokes_unpack_to_the_same_points():
    original = sample()
    assert all(np.array_equal(a, b) for a, b in
               zip(original.strokes, unpack_strokes(original.packed_strokes())))
    assert unpack_strokes(Sample(1, [], original.image).packed_strokes()) == []
