"""Files written whole or not at all: the one way digitpad writes a file.

Models, their cards, exported PNG and CSV files and downloaded MNIST files all go through
:func:`atomic_write`: the content goes to a temporary file beside the target, which is
flushed to disk and renamed over the target, so a crash, a kill or a full disk never
leaves a half-written file where the previous one was.

Several instances of digitpad may write into the same folder, and they may not see each
other's processes (containers, Flatpak, a home folder shared over NFS). So a temporary
file is locked (``flock``) from the moment it is created until it is renamed or removed,
and :func:`clean_stale_temp_files` removes only temporary files whose lock it can take:
those whose writer has ended, however it ended (the kernel releases a killed process's
locks). Where the file system has no locks, only files older than a day count as dead.

New files get the permissions the umask gives any new file (0644 under the usual 022),
not the 0600 of ``tempfile.mkstemp``: a saved model or an export stays readable by
whoever could read the folder.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, Iterator

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be removed there anyway
    fcntl = None

# ``.TARGET.TOKEN.tmp`` plus the target's suffix (Keras saves only to names ending in
# ``.keras``); also the names older versions of digitpad used (``.TARGET.PID-TOKEN.SUFFIX``
# and ``.TARGET.XXXXXXXX.part``), so that their leftovers are cleaned too.
TEMP_NAME = re.compile(r"^\..+\.(?:[0-9a-f]{8}\.tmp(?:\.\w+)?"
                       r"|\d+-[0-9a-f]{8}\.(?:keras|json)|[a-z0-9_]{8}\.part)$")
STALE_TEMP_SECONDS = 24 * 3600  # where locks cannot tell, a temp file this old is dead
_CREATE_ATTEMPTS = 16


@contextmanager
def atomic_write(target: str | os.PathLike) -> Iterator[BinaryIO]:
    """Write ``target`` whole or not at all: yields a binary file to write it through.

    The file is a new temporary file beside ``target`` (its ``name`` is that file's
    path), opened for reading and writing and locked until the block ends. When the block
    ends normally, the file is flushed to disk and renamed over ``target``; when it raises,
    the file is removed and ``target`` is left as it was.

    Raises
    ------
    OSError
        The folder cannot be written (permission denied, no such folder, disk full...),
        or the temporary file was replaced by another program while it was written.
    """
    target = Path(target)
    handle = _create_locked_temp(target)
    temp = Path(handle.name)
    with handle:
        try:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            # Writers by path (Keras) write into the file this handle holds, unless the
            # name was replaced meanwhile: rename only the file that was written here.
            if not _names_file(temp, handle.fileno()):
                raise OSError(f"{temp}: the temporary file was replaced while it was "
                              f"written; {target.name} was not saved")
            if os.name == "nt":  # Windows renames no open file
                handle.close()
            os.replace(temp, target)
        except BaseException:
            with suppress(OSError):
                if handle.closed or _names_file(temp, handle.fileno()):
                    os.unlink(temp)  # still locked: no other instance can be cleaning it
            raise
    _sync_folder(target.parent)


def write_bytes_atomically(target: str | os.PathLike, content: bytes) -> None:
    """``target`` holds ``content`` afterwards, or (on OSError) what it held before."""
    with atomic_write(target) as handle:
        handle.write(content)


def clean_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that ended writers left in ``folder``; returns them.

    A temporary file is removed only while this call holds its lock, which no running
    writer (in any process, container or machine sharing the folder) would let it take.
    On file systems without locks, only files older than ``STALE_TEMP_SECONDS`` go.
    """
    try:
        candidates = [p for p in Path(folder).iterdir() if TEMP_NAME.match(p.name)]
    except OSError:  # no such folder, or not readable: nothing of ours to clean there
        return []
    return [candidate for candidate in candidates if _remove_if_dead(candidate)]


def _create_locked_temp(target: Path) -> BinaryIO:
    """A new, locked, empty temporary file beside ``target``, open for reading and writing."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | \
        getattr(os, "O_BINARY", 0)
    for _ in range(_CREATE_ATTEMPTS):
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            # 0666 less the umask, as any new file (mkstemp's 0600 would hide it).
            fd = os.open(temp, flags, 0o666)
        except FileExistsError:
            continue
        handle = open(fd, "w+b")
        handle.raw.name = str(temp)
        _lock(handle.fileno())
        # A cleaner may have taken the lock between the create and the lock above, and
        # removed the file: then start again under a new name.
        if _names_file(temp, handle.fileno()):
            return handle
        handle.close()
    raise OSError(f"{target.parent}: could not create a temporary file for {target.name}")


def _lock(fd: int) -> bool | None:
    """Lock ``fd`` exclusively, waiting for a cleaner to let go; None where locks fail."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # a file system without locks: cleaners then go by age
        return None
    return True


def _try_lock(fd: int) -> bool | None:
    """Take ``fd``'s lock without waiting: True, False when a writer holds it, None where
    locks cannot tell."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _remove_if_dead(path: Path) -> bool:
    """Remove ``path`` if its writer is provably gone; whether it was removed."""
    flags = os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # read-write: NFS grants exclusive locks to writers only
    except OSError:  # gone meanwhile, or not ours to touch
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        locked = _try_lock(fd)
        if locked is False:
            return False  # a writer holds it: a save in progress
        if locked is None and time.time() - info.st_mtime < STALE_TEMP_SECONDS:
            return False  # cannot tell, and young enough to be in progress
        if not _names_file(path, fd):
            return False
        os.unlink(path)
        return True
    except OSError:  # a read-only folder, or removed meanwhile
        return False
    finally:
        os.close(fd)


def _names_file(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        named, held = os.stat(path, follow_symlinks=False), os.fstat(fd)
    except OSError:
        return False
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file to disk, where the system allows it."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
