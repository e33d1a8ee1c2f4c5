"""The user's own digits, kept in SQLite: what the Draw tab saves and adapting learns from.

One file (``paths.my_digits_path()`` by default) in write-ahead-log mode, with one
transaction per saved sample and ``synchronous=FULL``, so a crash (of the app, or of the
machine) loses at most the sample being saved. Its schema has a version
(``PRAGMA user_version``) and every change comes as a migration from the one before; a
store made by a newer digitpad is refused rather than misread.

A ``DigitStore`` is one connection: use it from one thread. Readers and the writer may be
in different threads or processes at once (WAL lets readers go on while a sample is saved).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitpad import paths
from digitpad.core.errors import StoreError
from digitpad.core.digits_file import (SIDE, Sample, read_digits_file, unpack_strokes,
                                       write_digits_file)

BUSY_TIMEOUT_S = 5.0   # waiting for another connection's write before giving up
# Migrations, in order: MIGRATIONS[n] takes a store from version n to n + 1.
MIGRATIONS = (
    """
    CREATE TABLE samples (
        id INTEGER PRIMARY KEY,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        strokes BLOB NOT NULL,
        image BLOB NOT NULL CHECK (length(image) = 784),
        created REAL NOT NULL,
        pad_width INTEGER,
        pad_height INTEGER,
        model TEXT NOT NULL DEFAULT '',
        reading TEXT NOT NULL DEFAULT '',
        fingerprint TEXT NOT NULL UNIQUE
    );
    CREATE INDEX samples_by_label ON samples (label);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Digits:
    """All stored digits as arrays, in the order they were saved."""

    ids: np.ndarray       # (n,) int64
    labels: np.ndarray    # (n,) uint8
    images: np.ndarray    # (n, 28, 28) uint8, the model inputs
    readings: tuple[str, ...]  # what the model that read each one answered

    def __len__(self) -> int:
        return len(self.ids)

    def counts(self) -> np.ndarray:
        """(10,) how many of each digit."""
        return np.bincount(self.labels, minlength=10)[:10]


@dataclass(frozen=True)
class ImportResult:
    added: int
    duplicates: int


class DigitStore:
    """The digits store at ``path`` (default: the per-user one), created on first use."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else paths.my_digits_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit; transactions are opened explicitly, one per change.
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S,
                                       isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the digits store ({exc})") from None
        try:
            with self._errors("open"):
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._migrate()
        except StoreError:
            self._db.close()
            raise

    # ----- reading ------------------------------------------------------------------------
    def counts(self) -> np.ndarray:
        """(10,) how many of each digit are stored."""
        counts = np.zeros(10, np.int64)
        with self._errors("read"):
            for label, count in self._db.execute(
                    "SELECT label, COUNT(*) FROM samples GROUP BY label"):
                counts[label] = count
        return counts

    def __len__(self) -> int:
        with self._errors("read"):
            return self._db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]

    def digits(self) -> Digits:
        """Every stored digit's id, label, model input and reading (no strokes: fast)."""
        with self._errors("read"):
            rows = self._db.execute(
                "SELECT id, label, image, reading FROM samples ORDER BY id").fetchall()
        images = np.frombuffer(b"".join(row[2] for row in rows), np.uint8)
        return Digits(np.array([row[0] for row in rows], np.int64),
                      np.array([row[1] for row in rows], np.uint8),
                      images.reshape(len(rows), SIDE, SIDE).copy(),
                      tuple(row[3] for row in rows))

    def samples(self, ids=None) -> list[Sample]:
        """Stored samples, strokes and all (those in ``ids``, default every one)."""
        query = ("SELECT id, label, strokes, image, created, pad_width, pad_height, model, "
                 "reading FROM samples")
        with self._errors("read"):
            if ids is None:
                rows = self._db.execute(query + " ORDER BY id").fetchall()
            else:
                wanted = [int(i) for i in ids]
                rows = self._db.execute(
                    query + f" WHERE id IN ({','.join('?' * len(wanted))}) ORDER BY id",
                    wanted).fetchall()
        return [Sample(label, unpack_strokes(strokes),
                       np.frombuffer(image, np.uint8).reshape(SIDE, SIDE).copy(), created,
                       (width, height) if width else None, model, reading, id=sample_id)
                for (sample_id, label, strokes, image, created, width, height, model,
                     reading) in rows]

    # ----- writing ------------------------------------------------------------------------
    def add(self, sample: Sample) -> int | None:
        """Store ``sample`` in a transaction of its own; its id, or None for a duplicate
        (the same drawing is stored already)."""
        with self._errors("save to"), self._transaction():
            return self._insert(sample)

    def add_many(self, samples: list[Sample]) -> ImportResult:
        """Store ``samples`` all together or, on any error, none of them; duplicates (of
        stored drawings or of each other) are skipped."""
        with self._errors("save to"), self._transaction():
            added = sum(self._insert(sample) is not None for sample in samples)
        return ImportResult(added, len(samples) - added)

    def delete(self, ids) -> int:
        """Remove the samples ``ids``; how many there were."""
        wanted = [int(i) for i in ids]
        with self._errors("delete from"), self._transaction():
            return self._db.execute(f"DELETE FROM samples WHERE id IN "
                                    f"({','.join('?' * len(wanted))})", wanted).rowcount

    def delete_drawing(self, sample: Sample) -> int:
        """Remove the stored copy of ``sample``'s drawing, whatever its id; 1 or 0."""
        with self._errors("delete from"), self._transaction():
            return self._db.execute("DELETE FROM samples WHERE fingerprint = ?",
                                    (sample.fingerprint(),)).rowcount

    def relabel(self, ids, label: int) -> int:
        """Give the samples ``ids`` the digit ``label``; how many were changed."""
        if not 0 <= int(label) <= 9:
            raise StoreError(f"a label is a digit 0-9, not {label}")
        wanted = [int(i) for i in ids]
        with self._errors("relabel in"), self._transaction():
            return self._db.execute(f"UPDATE samples SET label = ? WHERE id IN "
                                    f"({','.join('?' * len(wanted))})",
                                    [int(label)] + wanted).rowcount

    def import_file(self, path: str | os.PathLike) -> ImportResult:
        """Add the samples of a digits file (all, or none when the file has a problem).

        Raises ``DigitsFileError`` for a bad file, ``StoreError`` when the store fails.
        """
        return self.add_many(read_digits_file(path))

    def export_file(self, path: str | os.PathLike, ids=None) -> int:
        """Write the stored samples (or those in ``ids``) to a digits file; how many."""
        samples = self.samples(ids)
        try:
            write_digits_file(path, samples)
        except OSError as exc:
            raise StoreError(f"could not write {path} ({exc.strerror or exc})") from None
        return len(samples)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "DigitStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----- internals ----------------------------------------------------------------------
    def _insert(self, sample: Sample) -> int | None:
        image = np.ascontiguousarray(sample.image, np.uint8)
        if image.shape != (SIDE, SIDE):
            raise StoreError(f"a sample's image must be {SIDE}x{SIDE}, got {image.shape}")
        width, height = sample.pad_size or (None, None)
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO samples (label, strokes, image, created, pad_width, "
            "pad_height, model, reading, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (int(sample.label), sample.packed_strokes(),
             image.tobytes(), float(sample.created), width, height, sample.model,
             sample.reading, sample.fingerprint()))
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: made by a newer digitpad (schema version "
                             f"{version}; this one knows up to {SCHEMA_VERSION})")
        for step in range(version, SCHEMA_VERSION):
            with self._transaction():
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {step + 1}")

    def _transaction(self):
        return _Transaction(self._db)

    def _errors(self, action: str):
        return _StoreErrors(self.path, action)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __enter__(self):
        self._db.execute("BEGIN IMMEDIATE")  # takes the write lock now, not halfway

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:  # some errors end the transaction themselves
            self._db.execute("ROLLBACK")
        return False


class _StoreErrors:
    """Turns SQLite's errors into StoreError naming the file and the action."""

    def __init__(self, path: Path, action: str):
        self.path, self.action = path, action

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None and issubclass(kind, sqlite3.Error):
            problem = str(value) or kind.__name__
            if isinstance(value, sqlite3.DatabaseError) and "not a database" in problem:
                problem = "the file is not a digits store, or it is damaged"
            raise StoreError(f"{self.path}: could not {self.action} the digits store "
                             f"({problem})") from None
        return False
