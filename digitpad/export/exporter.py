"""One export, from a ``.keras`` model to a verified ONNX, TFLite or SavedModel with its card.

The steps: load the model (safely), write the export to a temporary name beside OUT, run
it with its own runtime on a fixed batch of images and compare with Keras, and only then
move it to OUT with its card. An export that gives other answers than Keras is deleted,
and the error says by how much it differed. The command line and the window's export
process both call :func:`export_model`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from digitpad.core.atomic_files import write_bytes_atomically
from digitpad.core.data import DataError, load_mnist
from digitpad.core.model_file import read_model_file
from digitpad.core.registry import load_model_from
from digitpad.export.card import exported_card
from digitpad.export.target import (DEFAULT_OPSET, FORMAT_NAMES, ONNX, ONNX_WRITERS, TFLITE,
                                    TFLITE_TYPES, ExportError, resolve)
from digitpad.export.verify import compare, predict, runner, verification_images
Progress = Callable[[int, int, str], None]  # (step, steps, what is being done)


@dataclass(frozen=True)
class ExportResult:
    """A verified export: where it is, its card, and the summary lines for the user."""

    path: Path
    format: str
    card: dict
    card_path: Path | None
    seconds: float
    lines: tuple[str, ...] = field(default=())


def export_model(model_path: str | os.PathLike, out: str | os.PathLike, *,
                 opset: int = DEFAULT_OPSET, tflite_type: str = "float32",
                 onnx_writer: str = "auto", data_folder: str | os.PathLike | None = None,
                 progress: Progress | None = None) -> ExportResult:
    """Export the digit model in ``model_path`` to ``out`` and verify it.

    Parameters
    ----------
    model_path : path
        A digitpad ``.keras`` model.
    out : path
        ``x.onnx``, ``x.tflite`` or a folder (TF SavedModel); the format follows it.
    opset : int
        ONNX opset.
    tflite_type : {"float32", "float16", "int8"}
        TFLite weights: as trained, float16, or int8 dynamic-range quantised.
    onnx_writer : {"auto", "keras", "direct"}
        Keras's exporter, digitpad's own ``onnx.helper`` writer, or the first that works.
    data_folder : path, optional
        MNIST for the checks; by default the usual places (never downloaded).
    progress : callable, optional
        Called with (step, steps, text) as each step starts.

    Raises
    ------
    ExportError, ModelError, DataError
        With one line saying what went wrong; nothing is left at ``out`` then.
    """
    start = time.perf_counter()
    if tflite_type not in TFLITE_TYPES:
        raise ExportError(f"unknown TFLite type {tflite_type!r}: use one of "
                          f"{', '.join(TFLITE_TYPES)}")
    if onnx_writer not in ONNX_WRITERS:
        raise ExportError(f"unknown ONNX writer {onnx_writer!r}: use one of "
                          f"{', '.join(ONNX_WRITERS)}")
    target = resolve(out)
    model_path = Path(model_path)
    model_file = read_model_file(model_path)  # one read: the model and its card agree
    quantised = target.format == TFLITE and tflite_type != "float32"
    steps = 4 + quantised
    report = progress or (lambda step, steps, text: None)

    report(1, steps, "Loading TensorFlow and the model")
    from digitpad.core.quiet_keras import import_keras_quietly

    import_keras_quietly()
    from digitpad.export import writers

    source_card = model_file.card
    model = load_model_from(model_file)
    wrapped = writers.interface_model(model)
    test = _mnist_test(data_folder)
    images, source = verification_images(test.images if test is not None else None)
    reference = wrapped.predict(images, verbose=0)

    name = str(source_card.get("name") or model_path.stem)
    fmt_name = FORMAT_NAMES[target.format] + (
        f", {TFLITE_TYPES[tflite_type]}" if target.format == TFLITE else "")
    target.path.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.temporary()
    try:
        comparison, notes = _write_and_verify(
            target, temporary, model, wrapped, images, reference, report, steps,
            opset=opset, tflite_type=tflite_type, onnx_writer=onnx_writer)
        measured = None
        if quantised:
            report(4, steps, "Measuring MNIST test accuracy")
            measured = _measured_accuracy(temporary, wrapped, test)
        card = exported_card(source_card, name, target.format, reference.shape[1],
                             quantization=(TFLITE_TYPES[tflite_type]
                                           if target.format == TFLITE else None),
                             verified={**comparison.as_card(), "source": source},
                             measured_accuracy=measured)
        report(steps, steps, f"Saving {target.path.name}")
        if target.format == ONNX:
            writers.set_onnx_card(temporary, card)
        target.replace_with(temporary)
    finally:
        _remove(temporary)
    card_path = None
    if target.format != ONNX:
        card_path = target.card_path
        write_bytes_atomically(card_path, json.dumps(card, indent=2).encode("utf-8"))
    seconds = time.perf_counter() - start
    lines = [f"wrote {target.path} ({fmt_name}, {_size_text(target.path)})"
             + (f" and {card_path.name}" if card_path else ", card in its metadata")
             + f" in {seconds:.1f} s",
             *notes,
             f"verified with {comparison.runtime} on {source}: largest difference from "
             f"Keras {comparison.max_abs_diff:.2g}, same answer on "
             f"{comparison.argmax_agree:.1%}"]
    if quantised:
        lines.append(_accuracy_text(measured))
    return ExportResult(target.path, target.format, card, card_path, seconds, tuple(lines))


def _write_and_verify(target, temporary: Path, model, wrapped, images, reference, report,
                      steps, *, opset, tflite_type, onnx_writer):
    """Write ``temporary`` and compare it with Keras; the comparison and any notes.

    For ONNX in "auto" mode, Keras's exporter is tried first and digitpad's own writer
    when it fails or its file gives other answers.
    """
    from digitpad.export import writers

    weights = tflite_type if target.format == TFLITE else "float32"
    if target.format == ONNX:
        from digitpad.export.onnx_graph import write_onnx_direct
        chosen = ("keras", "direct") if onnx_writer == "auto" else (onnx_writer,)
        attempts = [(lambda p: writers.write_onnx_keras(wrapped, p, opset), "Keras's exporter"),
                    (lambda p: write_onnx_direct(model, p, opset), "digitpad's ONNX writer")]
        attempts = [a for a, kind in zip(attempts, ("keras", "direct")) if kind in chosen]
    elif target.format == TFLITE:
        attempts = [(lambda p: writers.write_tflite(wrapped, p, tflite_type), "Keras")]
    else:
        attempts = [(lambda p: writers.write_saved_model(wrapped, p), "Keras")]
    failures = []
    for write, writer in attempts:
        _remove(temporary)
        report(2, steps, f"Writing {FORMAT_NAMES[target.format]} ({writer})")
        try:
            write(temporary)
        except ExportError as exc:
            failures.append(f"{writer}: {exc}")
            continue
        except Exception as exc:  # converters raise anything; the next writer may work
            failures.append(f"{writer} failed: {_first_line(exc)}")
            continue
        report(3, steps, "Checking the export against Keras")
        run, runtime = runner(temporary, target.format)
        comparison = compare(reference, predict(run, images), runtime)
        if comparison.passes(weights):
            notes = [f"({failure}; written by {writer} instead)" for failure in failures]
            return comparison, notes
        failures.append(f"{runtime} gives other answers than Keras with {writer}'s file "
                        f"(largest difference {comparison.max_abs_diff:.2g}, same answer on "
                        f"{comparison.argmax_agree:.1%} of {comparison.images} images)")
    _remove(temporary)
    raise ExportError(f"{target.path}: not exported: {'; '.join(failures)}; "
                      f"the file was deleted")


def _measured_accuracy(path: Path, wrapped, test) -> dict | None:
    """MNIST test accuracy of a quantised export and of the Keras model, or None."""
    if test is None:
        return None
    images = test.images.astype(np.float32)[..., None] / 255
    run, _ = runner(path, TFLITE)
    exported = predict(run, images)[:, :10].argmax(1)
    keras = wrapped.predict(images, batch_size=1000, verbose=0)[:, :10].argmax(1)
    return {"export": float((exported == test.labels).mean()),
            "keras": float((keras == test.labels).mean()), "images": len(images)}


def _accuracy_text(measured: dict | None) -> str:
    if measured is None:
        return "MNIST test accuracy not measured: MNIST not found (give --data DIR)"
    return (f"MNIST test accuracy {measured['export']:.2%} on {measured['images']:,} images "
            f"(the Keras model: {measured['keras']:.2%})")


def _mnist_test(data_folder):
    """MNIST's test split when it is on this machine (never downloaded), else None.

    A folder given explicitly must hold it.
    """
    try:
        return load_mnist(data_folder, download=False).test
    except DataError:
        if data_folder is not None:
            raise
        return None


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()


def _size_text(path: Path) -> str:
    size = (sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            if path.is_dir() else path.stat().st_size)
    return f"{size / 1e6:.2f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

