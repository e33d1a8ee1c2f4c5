"""The one way digitpad writes files: whole or not at all, normal permissions, and temp
files removed only when their writer is provably gone."""

import os
import stat
import time

import pytest

from digitpad.core import atomic_files
from digitpad.core.atomic_files import atomic_write, clean_stale_temp_files, write_bytes_atomically


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_written_file_gets_the_permissions_of_any_new_file(tmp_path, usual_umask):
    write_bytes_atomically(tmp_path / "errors.csv", b"index,true\n")
    assert (tmp_path / "errors.csv").read_bytes() == b"index,true\n"
    assert stat.S_IMODE((tmp_path / "errors.csv").stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp_file(tmp_path):
    write_bytes_atomically(tmp_path / "sheet.png", b"before")
    with pytest.raises(RuntimeError, match="midway"):
        with atomic_write(tmp_path / "sheet.png") as handle:
            handle.write(b"half")
            raise RuntimeError("midway")
    assert (tmp_path / "sheet.png").read_bytes() == b"before"
    assert os.listdir(tmp_path) == ["sheet.png"]


def test_an_unwritable_folder_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        write_bytes_atomically(tmp_path / "no-such-folder" / "errors.csv", b"x")


def test_a_temp_file_in_use_is_never_cleaned_even_from_this_process(tmp_path):
    """Its lock, not a process id, says it is in use: another instance in a container,
    or another thread here, sees the same."""
    with atomic_write(tmp_path / "m.keras") as handle:
        handle.write(b"being written")
        assert clean_stale_temp_files(tmp_path) == []
    assert (tmp_path / "m.keras").read_bytes() == b"being written"


def test_without_locks_only_temp_files_older_than_a_day_are_cleaned(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic_files, "fcntl", None)  # a file system (or OS) without flock
    young = tmp_path / ".m.keras.0123abcd.tmp.keras"
    old = tmp_path / ".m.json.4567cdef.tmp.json"
    for path in (young, old):
        path.write_bytes(b"left behind")
    a_day_ago = time.time() - atomic_files.STALE_TEMP_SECONDS - 60
    os.utime(old, (a_day_ago, a_day_ago))
    assert clean_stale_temp_files(tmp_path) == [old]
    assert young.exists()


def test_only_regular_temp_files_are_cleaned(tmp_path):
    os.mkfifo(tmp_path / ".m.keras.0123abcd.tmp.keras")
    (tmp_path / ".m.json.4567cdef.tmp.json").mkdir()
    assert clean_stale_temp_files(tmp_path) == []
    assert clean_stale_temp_files(tmp_path / "missing") == []
