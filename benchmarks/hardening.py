"""Hostile files, meaningless numbers, killed saves and long drawings, measured.

(a) Memory: every hostile file (none over 10 MB) is opened in a fresh process; the row
    shows how it ended (the error's type, and whether its message names the file) and the
    peak memory (``ru_maxrss``) beyond what the process held just before the call. The
    budget: a typed error naming the file, at most 200 MB extra. Linux only.
(b) Numbers: NaN weights, 0-255 images, integer images.
(c) Killed saves: ``--kills`` processes save a model in a loop and are killed with SIGKILL
    at a random moment; after each kill the model file must load and its card must be
    that model's, and after the next save no temporary file may be left.
(d) Long drawings: strokes drawn per repaint and time per mouse move with 1, 50 and 200
    strokes on the pad, and ``render_ink`` with 50 strokes.
(e) Closing the window while the Train tab imports TensorFlow.
(f) Round 3 (``round3``): unreadable folders, two instances, files that change or lie,
    markup from files, a model its folder refuses after training; one row per case, see
    ``benchmarks/hardening_round3.py`` (``--cases 4,9`` runs only those).

Each part runs against this checkout, and with ``--before DIR`` also against another
checkout of digitpad, side by side (e.g. ``mkdir /tmp/before && git archive <commit> | tar
-x -C /tmp/before``):

    python benchmarks/hardening.py [--before DIR] [--kills 50] [--only memory,...,round3]
                                   [--cases 1,...,10]
"""

import argparse
import gzip
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import _common
import hardening_round3

ROOT = _common.ROOT
BUDGET_MB = 200
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "QT_QPA_PLATFORM": "offscreen",
       "CUDA_VISIBLE_DEVICES": ""}

def _probe(code: str, *args, env=None) -> dict | None:
    """The JSON that ``code`` prints last, run in a fresh Python; None if it failed."""
    probe = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                           text=True, env=env or ENV, timeout=600)
    if probe.returncode:
        return None
    return json.loads(probe.stdout.strip().splitlines()[-1])


# ----- (a) memory --------------------------------------------------------------------------
MEMORY_PROBE = r"""
import json, resource, sys
root, operation, path = sys.argv[1:4]
sys.path.insert(0, root)
import numpy as np, h5py
from digitpad.core import data, inference, registry
if operation == "load_model":
    import keras
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
# The baseline is the memory in use now, not the peak so far: the imports' own peak could
# hide up to its distance from here. So "extra" is an upper bound.
with open("/proc/self/statm") as statm:
    baseline = int(statm.read().split()[1]) * resource.getpagesize() / 2 ** 20
try:
    if operation == "read_idx":
        data.read_idx(path, data.IMAGES_MAGIC)
    elif operation == "predictor_load":
        inference.Predictor.load(path)
    else:
        registry.load_model(path)
    outcome, named = "no error", False
except Exception as exc:
    outcome, named = type(exc).__name__, path in str(exc)
print(json.dumps({"outcome": outcome, "named": named, "extra_mb": peak_mb() - baseline}))
"""


def _idx_header(shape) -> bytes:
    return (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in shape)


def _gzip_zeros(path: Path, header: bytes, zeros: int) -> None:
    with gzip.open(path, "wb", compresslevel=9) as file:
        file.write(header)
        piece = bytes(1 << 20)
        for start in range(0, zeros, len(piece)):
            file.write(piece[:zeros - start])


def _tiny_keras_entries() -> dict[str, bytes]:
    """The entries of a small real model file, made in a child (Keras is slow to import)."""
    code = ("import io, sys, zipfile, json\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "import keras\n"
            "model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),"
            " keras.layers.Dense(10, activation='softmax')])\n"
            "model.save(sys.argv[1])\n")
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "tiny.keras"
        subprocess.run([sys.executable, "-c", code, str(target)], check=True, env=ENV,
                       capture_output=True)
        with zipfile.ZipFile(target) as archive:
            return {name: archive.read(name) for name in archive.namelist()}


def _write_archive(path: Path, entries: dict[str, bytes], bomb: str | None = None,
                   bomb_bytes: int = 0) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            if name == bomb:
                with archive.open(name, "w", force_zip64=True) as entry:
                    entry.write(content)
                    piece = bytes(1 << 20)
                    for _ in range(bomb_bytes // len(piece)):
                        entry.write(piece)
            else:
                archive.writestr(name, content)


def hostile_files(folder: Path) -> list[tuple[str, str, Path]]:
    """(case, operation, file) for every hostile file, written into ``folder``."""
    import h5py

    cases = []
    path = folder / "bomb-images-idx3-ubyte.gz"
    _gzip_zeros(path, _idx_header((10, 28, 28)), 1 << 30)
    cases.append(("IDX .gz: header 10x28x28, inflates to 1 GiB", "read_idx", path))
    path = folder / "overflow-images-idx3-ubyte"
    path.write_bytes(_idx_header((2 ** 31, 2 ** 31, 4)))
    cases.append(("IDX: dims 2^31 x 2^31 x 4 (int64 wraps to 0)", "read_idx", path))
    path = folder / "honest-bomb-images-idx3-ubyte.gz"
    _gzip_zeros(path, _idx_header((1_400_000, 28, 28)), 1_400_000 * 28 * 28)
    cases.append(("IDX .gz: header 1.4M x 28 x 28 (1.1 GB), all there", "read_idx", path))

    entries = _tiny_keras_entries()
    path = folder / "weights-bomb.keras"
    _write_archive(path, entries, bomb="model.weights.h5", bomb_bytes=1 << 30)
    cases.append((".keras: model.weights.h5 inflates to 1 GiB", "predictor_load", path))
    cases.append((".keras: model.weights.h5 inflates to 1 GiB (Keras)", "load_model", path))
    path = folder / "config-bomb.keras"
    _write_archive(path, entries, bomb="config.json", bomb_bytes=1 << 30)
    cases.append((".keras: config.json inflates to 1 GiB", "predictor_load", path))

    buffer = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buffer, "r+") as h5:
        variables = h5["layers/dense/vars"]
        del variables["0"]
        variables.create_dataset("0", shape=(100_000, 100_000), dtype="float32",
                                 chunks=(1000, 1000), compression="gzip")
    path = folder / "huge-dataset.keras"
    _write_archive(path, {**entries, "model.weights.h5": buffer.getvalue()})
    cases.append(("HDF5: a 100000 x 100000 dataset declared", "predictor_load", path))

    config = json.loads(entries["config.json"])
    config["config"]["layers"][-1]["config"]["units"] = 30_000_000
    path = folder / "huge-config.keras"
    _write_archive(path, {**entries, "config.json": json.dumps(config).encode()})
    cases.append(("config: Dense(30,000,000), weights of Dense(10)", "predictor_load", path))

    path = folder / "many-entries.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        for i in range(80_000):
            archive.writestr(f"assets/{i}", b"")
    cases.append((".keras: 80,000 entries", "predictor_load", path))
    for _, _, path in cases:
        assert path.stat().st_size <= 10 << 20, path
    real = _common.DEFAULT_DATA / "train-images-idx3-ubyte.gz"
    if real.is_file():  # not hostile: shows what reading 47 MB of images costs
        cases.append(("control: MNIST's real training images", "read_idx", real))
    return cases


def run_memory(roots: dict[str, Path]) -> list[list[str]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for case, operation, path in hostile_files(Path(folder)):
            size = path.stat().st_size
            row = [f"{case} ({size / 1e6:.2f} MB file)"]
            for root in roots.values():
                result = _probe(MEMORY_PROBE, root, operation, path)
                if result is None:
                    row.append("crashed")
                    continue
                ok = (result["outcome"] in ("DataError", "ModelError") and result["named"]
                      and result["extra_mb"] <= BUDGET_MB)
                verdict = "" if case.startswith("control") else " ok" if ok else " FAILS"
                row.append(f"{result['outcome']}{', names file' if result['named'] else ''}, "
                           f"+{max(result['extra_mb'], 0):.0f} MB{verdict}")
            rows.append(row)
            print(" | ".join(row), flush=True)
    return rows


# ----- (b) numbers -------------------------------------------------------------------------
NUMBERS_PROBE = r"""
import json, sys, tempfile
sys.path.insert(0, sys.argv[1])
import numpy as np
import keras
from digitpad.core.data import load_mnist
from digitpad.core.inference import Predictor
from digitpad.core.preprocess import to_model_input
from digitpad.core.registry import default_model_path, load_model
def outcome(function):
    try:
        return f"accepted: {function()}"
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
rows = {}
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
kernel, bias = model.layers[-1].get_weights()
kernel[3, 4] = np.nan
model.layers[-1].set_weights([kernel, bias])
path = tempfile.mkdtemp() + "/nan.keras"
model.save(path)
rows["NaN weight, Predictor.load"] = outcome(
    lambda: Predictor.load(path).predict_one(np.zeros((28, 28)))[:2])
rows["NaN weight, registry.load_model"] = outcome(lambda: type(load_model(path)).__name__)
predictor = Predictor.load(default_model_path())
test = load_mnist(download=False).test
def raw_mnist():
    p = predictor.predict(test.images[:2000].astype(np.float32))
    accuracy = np.mean(p.argmax(1) == test.labels[:2000])
    return f"accuracy {accuracy:.0%}, mean confidence {p.max(1).mean():.1%}"
rows["MNIST test at 0-255, predict"] = outcome(raw_mnist)
rows["NaN image, predict_one"] = outcome(
    lambda: predictor.predict_one(np.full((28, 28), np.nan))[:2])
canvas = np.zeros((100, 100), np.int64)
canvas[10:80, 40:55] = 255
rows["int64 0-255 image, to_model_input"] = outcome(
    lambda: "None" if to_model_input(canvas) is None else "a 28x28 image")
print(json.dumps(rows))
"""


def run_numbers(roots: dict[str, Path]) -> list[list[str]]:
    results = [_probe(NUMBERS_PROBE, root) or {} for root in roots.values()]
    rows = [[case] + [result.get(case, "crashed") for result in results]
            for case in results[-1]]
    for row in rows:
        print(" | ".join(row), flush=True)
    return rows


# ----- (c) killed saves --------------------------------------------------------------------
SAVER = r"""
import glob, json, os, sys, time
root, path = sys.argv[1:3]
sys.path.insert(0, root)
import h5py, zipfile
import keras
from digitpad.core.registry import load_card, save_model

def state():
    try:
        with zipfile.ZipFile(path) as archive, h5py.File(archive.open("model.weights.h5")) as h5:
            serial = int(round(float(h5["layers/dense/vars/1"][0])))
    except Exception as exc:
        serial = f"unreadable ({type(exc).__name__})"
    litter = sorted(p for p in os.listdir(os.path.dirname(path)) if p.startswith("."))
    return {"model": serial, "card": load_card(path).get("serial"), "litter": litter}

print(json.dumps({"after_kill": state()}), flush=True)
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
serial = int(time.time() * 1000)
def save():
    global serial
    serial += 1
    kernel, bias = model.layers[-1].get_weights()
    bias[0] = serial % 1_000_000
    model.layers[-1].set_weights([kernel, bias])
    save_model(model, path, {"serial": serial % 1_000_000})
start = time.perf_counter()
save()
print(json.dumps({"after_next_save": state(), "save_seconds": time.perf_counter() - start}),
      flush=True)
while True:
    save()
"""


def run_kills(roots: dict[str, Path], kills: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    columns = []
    for label, root in roots.items():
        matching = loadable = clean_after_next = most_litter = 0
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "m.keras"
            for kill in range(kills + 1):
                child = subprocess.Popen([sys.executable, "-c", SAVER, str(root), str(path)],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         text=True, env=ENV)
                after_kill = json.loads(child.stdout.readline())["after_kill"]
                next_save = json.loads(child.stdout.readline())
                if kill:  # the state the previous kill left, and the save after it
                    loadable += isinstance(after_kill["model"], int)
                    matching += after_kill["model"] == after_kill["card"]
                    most_litter = max(most_litter, len(after_kill["litter"]))
                    clean_after_next += not next_save["after_next_save"]["litter"]
                if kill == kills:
                    child.kill()
                    child.wait()
                    break
                time.sleep(rng.uniform(0, 3 * next_save["save_seconds"]))
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
        columns.append(f"{matching}/{kills} model+card match, {loadable}/{kills} load, "
                       f"{clean_after_next}/{kills} clean after the next save, "
                       f"up to {most_litter} temp files beside the model after a kill")
        print(f"{label}: {columns[-1]}", flush=True)
    return [[f"{kills} saves killed with SIGKILL"] + columns]


# ----- (d) long drawings -------------------------------------------------------------------
DRAWING_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtWidgets import QApplication
app = QApplication([])
from digitpad.gui.replay import send_mouse
from digitpad.gui.widgets import draw_pad
pad = draw_pad.DrawPad()
pad.resize(420, 420)
pad.show()
app.processEvents()
counted = []
original = draw_pad._draw_strokes
def counting(painter, strokes, width):
    counted.append(len(strokes))
    original(painter, strokes, width)
draw_pad._draw_strokes = counting
def stroke(i, points=12):
    x = 0.1 + 0.8 * (i % 97) / 97
    return [QPointF(pad.width() * x, pad.height() * (0.2 + 0.6 * k / points))
            for k in range(points)]
def add_strokes(n):
    for i in range(n):
        points = stroke(i)
        send_mouse(pad, QEvent.MouseButtonPress, points[0])
        for p in points[1:]:
            send_mouse(pad, QEvent.MouseMove, p)
        send_mouse(pad, QEvent.MouseButtonRelease, points[-1])
def per_move(repeats=60):
    points = stroke(5)
    send_mouse(pad, QEvent.MouseButtonPress, points[0])
    pad.repaint()
    counted.clear()
    start = time.perf_counter()
    for k in range(repeats):
        send_mouse(pad, QEvent.MouseMove, points[1 + k % 10])
        pad.repaint()
    seconds = (time.perf_counter() - start) / repeats
    drawn = sum(counted) / repeats
    send_mouse(pad, QEvent.MouseButtonRelease, points[-1])
    return seconds * 1000, drawn
result = {}
add_strokes(1)
result["1"] = per_move()
add_strokes(49)
start = time.perf_counter()
for _ in range(20):
    pad.render_ink()
result["render_ink_50_ms"] = (time.perf_counter() - start) / 20 * 1000
result["50"] = per_move()
add_strokes(150)
result["200"] = per_move()
print(json.dumps(result))
"""


def run_drawing(roots: dict[str, Path]) -> list[list[str]]:
    results = [_probe(DRAWING_PROBE, root) for root in roots.values()]
    rows = []
    for strokes in ("1", "50", "200"):
        rows.append([f"repaint per mouse move, {strokes} strokes on the pad"] +
                    [f"{r[strokes][0]:.2f} ms, {r[strokes][1]:.0f} strokes drawn" for r in results])
    rows.append(["render_ink with 50 strokes"]
                + [f"{r['render_ink_50_ms']:.2f} ms" for r in results])
    for row in rows:
        print(" | ".join(row), flush=True)
    return rows


# ----- (e) closing while TensorFlow imports ------------------------------------------------
CLOSE_PROBE = r"""
import json, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from digitpad.gui.main_window import MainWindow
app = QApplication([])
settings = QSettings(tempfile.mkdtemp() + "/settings.ini", QSettings.IniFormat)
window = MainWindow(settings=settings)
window.show()
while window.hub.active is None:
    app.processEvents()
window.tabs.setCurrentIndex(2)  # the Train tab starts importing TensorFlow
deadline = time.perf_counter() + 1.0
while time.perf_counter() < deadline:
    app.processEvents()
start = time.perf_counter()
window.close()
closed = time.perf_counter() - start
app.processEvents()
print(json.dumps({"close_s": closed, "closed_at": time.time()}),
      flush=True)
"""


def run_close(roots: dict[str, Path]) -> list[list[str]]:
    """Seconds from close() to the window gone, and to the process's exit."""
    cells = []
    for root in roots.values():
        result = _probe(CLOSE_PROBE, root)
        exited = time.time()
        cells.append(f"close() {result['close_s']:.2f} s, process gone "
                     f"{exited - result['closed_at'] + result['close_s']:.2f} s after close()")
    row = ["closing the window 1 s after the Train tab opened (TensorFlow importing)"] + cells
    print(" | ".join(row), flush=True)
    return [row]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="another digitpad checkout to compare")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--only", default="memory,numbers,kills,drawing,close,round3")
    parser.add_argument("--cases", help="round 3's cases to run, by number (default: all)")
    args = parser.parse_args()
    roots = {"before": args.before.resolve()} if args.before else {}
    roots["after"] = ROOT
    parts = {"memory": run_memory, "numbers": run_numbers, "drawing": run_drawing,
             "close": run_close,
             "round3": lambda r: hardening_round3.run(
                 r, set(args.cases.split(",")) if args.cases else None),
             "kills": lambda r: run_kills(r, args.kills)}
    rows = []
    for name in args.only.split(","):
        print(f"--- {name}", flush=True)
        rows += parts[name](roots)
    header = ["case"] + list(roots)
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
