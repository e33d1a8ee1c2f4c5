"""Round 3 of benchmarks/hardening.py: unreadable folders, two instances, files that change
or lie, and markup from files; one row per case of issue #30, each run in fresh processes
against a digitpad checkout (``root``).

Permissions are real: as root, the probes that need them run under ``capsh`` without the
capabilities that let root ignore file modes. "Instances that cannot see each other's
processes" (containers, Flatpak, NFS) are simulated by making the cleaning instance's
process check report every other process as gone, where the checkout has one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401 (puts the checkout on sys.path)

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "QT_QPA_PLATFORM": "offscreen",
       "CUDA_VISIBLE_DEVICES": "", "PYTHONUNBUFFERED": "1"}
HOSTILE = "<img src=x width=3000 height=2000><a href='https:__x'>link<_a>"
PRELUDE = r"""
import json, os, sys, time, zipfile
root = sys.argv[1]
sys.path.insert(0, root)
def report(**values):
    print("RESULT " + json.dumps(values), flush=True)
class FakeModel:
    # Saves a 2 MB archive as Keras's model.save(path) would: by name.
    def __init__(self, serial):
        self.serial = serial
    def save(self, target):
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("serial.txt", str(self.serial))
            archive.writestr("payload.bin", os.urandom(2 << 20))
"""


def _unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0 or shutil.which("capsh") is None:
        return command
    return ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c",
            'exec "$@"', "capsh", *command]


# A probe's start that opens the real window (argv[2]: its folder, argv[3]: the MNIST folder)
# and waits for the shipped model; ``wait(condition)`` keeps the window's events running.
WINDOW = r"""
import shutil
from pathlib import Path
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from digitpad import paths
from digitpad.gui.main_window import MainWindow
folder, data = Path(sys.argv[2]), sys.argv[3]
window = MainWindow(settings=QSettings(str(folder / "s.ini"), QSettings.IniFormat),
                    data_folder=data)
window.show()
def wait(condition, seconds=300):
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        app.processEvents()
        time.sleep(0.005)
    return condition()
wait(lambda: window.hub.active is not None)
"""


def _probe(code: str, root: Path, *args, timeout: float = 300, unprivileged=False,
           env=None) -> tuple[dict | None, str, float]:
    """(the RESULT the probe printed or None, its stderr, seconds) for ``code``."""
    command = [sys.executable, "-c", PRELUDE + code, str(root), *map(str, args)]
    if unprivileged:
        command = _unprivileged(command)
    start = time.perf_counter()
    try:
        child = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                               env=env or ENV, cwd=root)
    except subprocess.TimeoutExpired:
        return None, f"blocked: killed after {timeout:.0f} s", time.perf_counter() - start
    lines = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
    result = json.loads(lines[-1][7:]) if lines else None
    return result, child.stderr, time.perf_counter() - start


def _verdict(ok: bool) -> str:
    return " ok" if ok else " FAILS"


# ----- 1: a remembered MNIST folder that cannot be searched --------------------------------
UNSEARCHABLE = r"""
from PySide6.QtCore import QSettings
settings = QSettings(sys.argv[2], QSettings.IniFormat)
try:
    from digitpad.gui.data_source import DataSource
    source = DataSource(settings)
except Exception as exc:
    report(start=f"raises {type(exc).__name__} at start")
    sys.exit()
from digitpad.core.data import load_mnist
try:
    load_mnist(source.folder, download=False)
    report(start="starts", tabs="MNIST loads")
except Exception as exc:
    report(start="starts", tabs=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
"""


def case_unsearchable(root: Path, folder: Path) -> str:
    from tests.helpers import synthetic_mnist, write_mnist_folder
    locked = write_mnist_folder(folder / "locked", synthetic_mnist(30, 10))
    ini = folder / "settings.ini"
    ini.write_text(f"[General]\nmnist_folder={locked}\n")
    locked.chmod(0)
    try:
        result, _, _ = _probe(UNSEARCHABLE, root, ini, unprivileged=True)
        cli = subprocess.run(_unprivileged([sys.executable, str(root / "train_cli.py"), "--data",
                                            str(locked), "--no-download", "--out",
                                            str(folder / "m.keras")]),
                             capture_output=True, text=True, env=ENV, timeout=120)
    finally:
        locked.chmod(0o755)
    app = "crashed" if result is None else f"app {result['start']}" + (
        f", tabs say '{result['tabs']}'" if "tabs" in (result or {}) else "")
    one_line = "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) == 1
    ok = result is not None and "not usable" in result.get("tabs", "") and one_line
    return (f"{app}; CLI exit {cli.returncode}, "
            f"{'one line' if one_line else 'a traceback'}{_verdict(ok)}")


# ----- 2: two instances start a run in the same second -------------------------------------
SAME_SECOND = r"""
from pathlib import Path
folder, go_at, serial = Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
from digitpad import paths
paths.user_models_dir = lambda: folder
while time.time() < go_at:
    time.sleep(0.001)
try:  # the app's own naming of a new run's model file, wherever it lives
    from digitpad.gui.tabs.train_tab import _new_model_path
    path = _new_model_path("linear")
except ImportError:
    from digitpad.gui.model_hub import _new_model_path
    path = _new_model_path("linear")
time.sleep(0.5)  # the run trains; the other instance picks its own name meanwhile
from digitpad.core.registry import load_card, save_model
save_model(FakeModel(serial), path, {"serial": serial})
with zipfile.ZipFile(path) as archive:
    model = int(archive.read("serial.txt"))
report(path=str(path), card=load_card(path)["serial"], model=model)
"""


def case_same_second(root: Path, folder: Path) -> str:
    go_at = int(time.time()) + 2.2
    children = [subprocess.Popen([sys.executable, "-c", PRELUDE + SAME_SECOND, str(root),
                                  str(folder), str(go_at), str(serial)],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                 env=ENV, cwd=root) for serial in (1, 2)]
    results = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        results.append(json.loads(lines[-1][7:]) if lines else None)
    kept = [result is not None and _serial_in(result["path"]) == serial
            for serial, result in zip((1, 2), results)]
    names = {r["path"] for r in results if r}
    return (f"{len(names)} file name(s) for 2 runs, {sum(kept)}/2 runs' models kept"
            f"{_verdict(sum(kept) == 2)}")


def _serial_in(path: str) -> int:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return int(archive.read("serial.txt"))


# ----- 3: another instance's cleanup while a save is in progress ---------------------------
WRITER = r"""
from pathlib import Path
from digitpad.core.registry import load_card, save_model
path, saves = Path(sys.argv[2]), int(sys.argv[3])
ok = failed = card_only = 0
for serial in range(saves):
    try:
        save_model(FakeModel(serial), path, {"serial": serial})
    except Exception:
        failed += 1
        continue
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if "serial.txt" not in names:
        card_only += 1
    elif load_card(path).get("serial") == serial:
        ok += 1
report(ok=ok, failed=failed, card_only=card_only, size=os.path.getsize(path))
"""
CLEANER = r"""
from pathlib import Path
from digitpad.core import registry
# Instances in containers cannot see each other's processes: every other one looks gone.
if hasattr(registry, "_process_running"):
    registry._process_running = lambda pid: pid == os.getpid()
path, until = Path(sys.argv[2]), float(sys.argv[3])
while time.time() < until:
    registry.save_model(FakeModel(0), path, {})
"""


def case_cleanup(root: Path, folder: Path, saves: int = 40) -> str:
    cleaner = subprocess.Popen([sys.executable, "-c", PRELUDE + CLEANER, str(root),
                                str(folder / "other.keras"), str(time.time() + 600)],
                               stderr=subprocess.DEVNULL, env=ENV, cwd=root)
    try:
        result, _, _ = _probe(WRITER, root, folder / "mine.keras", saves)
    finally:
        cleaner.kill()
        cleaner.wait()
    if result is None:
        return "crashed FAILS"
    ok = result["ok"] == saves
    return (f"{result['ok']}/{saves} saves intact, {result['failed']} failed, "
            f"{result['card_only']} 'succeeded' as a card-only archive{_verdict(ok)}")


# ----- 4: a model replaced while it loads --------------------------------------------------
MAKE_PAIR = r"""
import keras, numpy as np
from pathlib import Path
from digitpad.core.registry import save_model
folder = Path(sys.argv[2])
for name, digit, sure in (("a", 1, 0.31), ("b", 2, 0.32)):
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    kernel, bias = model.layers[-1].get_weights()
    bias[:] = 0
    bias[digit] = 5
    model.layers[-1].set_weights([np.zeros_like(kernel), bias])
    save_model(model, folder / f"{name}.keras", {"serial": digit,
               "thresholds": {"not_a_digit": 0.5, "sure": sure, "min_ink": 0.1}})
report(done=True)
"""
SWAPPER = r"""
import shutil
from pathlib import Path
folder = Path(sys.argv[2])
n = 0
while True:
    n += 1
    source = folder / ("a.keras" if n % 2 else "b.keras")
    shutil.copyfile(source, folder / ".swap.tmp")
    os.replace(folder / ".swap.tmp", folder / "model.keras")
"""
LOADER = r"""
import numpy as np
from pathlib import Path
path, loads = Path(sys.argv[2]), int(sys.argv[3])
try:
    from digitpad.gui.model_hub import _load  # the app's own loading of a model file
except ImportError:
    _load = None
from digitpad.core.inference import Predictor
from digitpad.core.registry import ModelError, load_card
mixed = clean_errors = escaped = 0
kinds = set()
for _ in range(loads):
    try:
        if _load is not None:
            active = _load(path)
            predictor, card = active.predictor, active.card
        else:
            predictor = Predictor.load(path)
            card = load_card(path)
    except ModelError:
        clean_errors += 1
        continue
    except Exception as exc:
        escaped += 1
        kinds.add(type(exc).__name__)
        continue
    digit = int(predictor.predict_one(np.zeros((28, 28))).argmax())
    sure_digit = {0.31: 1, 0.32: 2}.get(round(predictor.thresholds.sure, 2))
    mixed += not (digit == card.get("serial") == sure_digit)
report(mixed=mixed, clean_errors=clean_errors, escaped=escaped, kinds=sorted(kinds))
"""
KERAS_LOADER = r"""
import numpy as np
from pathlib import Path
path, loads = Path(sys.argv[2]), int(sys.argv[3])
from digitpad.core import registry
from digitpad.core.registry import ModelError
try:  # one read: Keras's model and the card from the same bytes
    from digitpad.core.model_file import read_model_file
except ImportError:
    read_model_file = None
mixed = clean_errors = escaped = 0
kinds = set()
for _ in range(loads):
    try:
        if read_model_file is not None:
            model_file = read_model_file(path)
            model, card = registry.load_model_from(model_file), model_file.card
        else:
            model, card = registry.load_model(path), registry.load_card(path)
    except ModelError:
        clean_errors += 1
        continue
    except Exception as exc:
        escaped += 1
        kinds.add(type(exc).__name__)
        continue
    digit = int(np.asarray(model(np.zeros((1, 28, 28), np.float32))).argmax())
    mixed += digit != card.get("serial")
report(mixed=mixed, clean_errors=clean_errors, escaped=escaped, kinds=sorted(kinds))
"""


def case_swapped(root: Path, folder: Path, loads: int = 300) -> str:
    """The app's loads (``model_hub._load``: predictor, card, thresholds)."""
    return _swapped(root, folder, LOADER, loads)


def case_swapped_keras(root: Path, folder: Path, loads: int = 40) -> str:
    """Keras's loads (``registry``, as the CLI's --init and adapting use them) with the card."""
    return _swapped(root, folder, KERAS_LOADER, loads)


def _swapped(root: Path, folder: Path, loader: str, loads: int) -> str:
    """``loads`` loads by ``loader`` while another process swaps two models in place."""
    _probe(MAKE_PAIR, root, folder)
    shutil.copyfile(folder / "a.keras", folder / "model.keras")
    swapper = subprocess.Popen([sys.executable, "-c", PRELUDE + SWAPPER, str(root),
                                str(folder)], stderr=subprocess.DEVNULL, env=ENV, cwd=root)
    try:
        result, _, _ = _probe(loader, root, folder / "model.keras", loads)
    finally:
        swapper.kill()
        swapper.wait()
    if result is None:
        return "crashed FAILS"
    ok = result["mixed"] == 0 and result["escaped"] == 0
    escaped = f" ({', '.join(result['kinds'])})" if result["kinds"] else ""
    return (f"{result['mixed']}/{loads} loads mixed two models, {result['escaped']} "
            f"escaped errors{escaped}{_verdict(ok)}")


# ----- 5: the card file beside a card-less model: a FIFO, a huge file ----------------------
CARDLESS = r"""
import keras
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
model.save(sys.argv[2])
report(done=True)
"""
LOAD_WITH_CARD = r"""
import resource
from pathlib import Path
path = Path(sys.argv[2])
try:
    from digitpad.gui.model_hub import _load
except ImportError:
    _load = None
from digitpad.core.inference import Predictor
from digitpad.core.registry import load_card
with open("/proc/self/statm") as statm:
    baseline = int(statm.read().split()[1]) * resource.getpagesize() / 2 ** 20
start = time.perf_counter()
card = _load(path).card if _load else (Predictor.load(path), load_card(path))[1]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
report(seconds=time.perf_counter() - start, extra_mb=peak - baseline, card=len(card))
"""


def case_card_file(root: Path, folder: Path, timeout: float = 20) -> str:
    model = folder / "cardless.keras"
    _probe(CARDLESS, root, model)
    card = model.with_suffix(".json")
    os.mkfifo(card)
    fifo, _, seconds = _probe(LOAD_WITH_CARD, root, model, timeout=timeout)
    card.unlink()
    with open(card, "wb") as huge:
        huge.truncate(1 << 30)  # 1 GB, sparse (issue: 3 GB cost 6.3 GB)
    big, _, _ = _probe(LOAD_WITH_CARD, root, model)
    card.unlink()
    fifo_text = (f"FIFO: blocked, killed after {timeout:.0f} s" if fifo is None
                 else f"FIFO: loaded in {fifo['seconds']:.2f} s")
    big_text = "1 GB card: crashed" if big is None else f"1 GB card: +{big['extra_mb']:.0f} MB"
    ok = fifo is not None and big is not None and big["extra_mb"] < 200
    return f"{fifo_text}; {big_text}{_verdict(ok)}"


# ----- 6: HDF5 weights stored in other files -----------------------------------------------
CRAFT_H5 = r"""
import io, h5py, keras, numpy as np
from pathlib import Path
folder = Path(sys.argv[2])
secret = folder / "secret.bin"
secret.write_bytes(np.full(7840, 0.25, np.float32).tobytes())
with h5py.File(folder / "source.h5", "w") as h5:
    h5["data"] = np.full((784, 10), 0.25, np.float32)
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
model.save(folder / "plain.keras")
with zipfile.ZipFile(folder / "plain.keras") as archive:
    entries = {name: archive.read(name) for name in archive.namelist()}
def craft(name, make):
    buffer = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buffer, "r+") as h5:
        variables = h5["layers/dense/vars"]
        del variables["0"]
        make(variables)
    with zipfile.ZipFile(folder / name, "w") as archive:
        for entry, content in {**entries, "model.weights.h5": buffer.getvalue()}.items():
            archive.writestr(entry, content)
craft("external.keras", lambda v: v.create_dataset("0", shape=(784, 10), dtype="f4",
                                                     external=[(str(secret), 0, 31360)]))
def virtual(v):
    layout = h5py.VirtualLayout(shape=(784, 10), dtype="f4")
    layout[:] = h5py.VirtualSource(str(folder / "source.h5"), "data", shape=(784, 10))
    v.create_virtual_dataset("0", layout)
craft("virtual.keras", virtual)
report(done=True)
"""
LOAD_ANY = r"""
from pathlib import Path
path, how = Path(sys.argv[2]), sys.argv[3]
if how == "load_model":
    import keras
from digitpad.core import registry
from digitpad.core.inference import Predictor
try:
    loaded = Predictor.load(path) if how == "predictor" else registry.load_model(path)
    outcome, named = "loaded", False
except Exception as exc:
    outcome, named = type(exc).__name__, str(path) in str(exc)
report(outcome=outcome, named=named)
"""


def _loads(root: Path, path: Path) -> tuple[str, bool]:
    """How Predictor.load and Keras's load_model end on ``path``; whether both refuse it
    with a ModelError naming it and nothing on stderr."""
    cells, ok = [], True
    for how in ("predictor", "load_model"):
        result, stderr, _ = _probe(LOAD_ANY, root, path, how)
        outcome = "crashed" if result is None else result["outcome"]
        clean = (result is not None and outcome == "ModelError" and result["named"]
                 and "Traceback" not in stderr)
        ok &= clean
        cells.append(f"{how}: {outcome}" + (" naming it" if result and result["named"] else "")
                     + (", traceback on stderr" if "Traceback" in stderr else ""))
    return "; ".join(cells), ok


def case_external_storage(root: Path, folder: Path) -> list[tuple[str, str]]:
    _probe(CRAFT_H5, root, folder)
    rows = []
    for name, what in (("external.keras", "HDF5 external= storage"),
                       ("virtual.keras", "HDF5 virtual dataset")):
        text, ok = _loads(root, folder / name)
        rows.append((what, text + _verdict(ok)))
    return rows


# ----- 7: zip entries zipfile cannot read --------------------------------------------------
def case_zip_entries(root: Path, folder: Path) -> list[tuple[str, str]]:
    import struct
    import zipfile

    _probe(CARDLESS, root, folder / "plain.keras")
    with zipfile.ZipFile(folder / "plain.keras") as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}

    def write(name, compression=zipfile.ZIP_STORED) -> Path:
        with zipfile.ZipFile(folder / name, "w", compression) as archive:
            for entry, content in entries.items():
                archive.writestr(entry, content)
        return folder / name

    def patch(path: Path, at_local: int, at_central: int, value: int) -> None:
        data = bytearray(path.read_bytes())
        for signature, at in ((b"PK\x03\x04", at_local), (b"PK\x01\x02", at_central)):
            start = data.find(signature)
            while start >= 0:
                struct.pack_into("<H", data, start + at, value)
                start = data.find(signature, start + 4)
        path.write_bytes(bytes(data))

    patch(write("encrypted.keras"), 6, 8, 0x1)
    patch(write("deflate64.keras"), 8, 10, 9)
    corrupt = write("corrupt.keras", zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(corrupt) as archive:
        info = archive.getinfo("model.weights.h5")
    data = bytearray(corrupt.read_bytes())
    body = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[body + 100:body + 400] = b"\xff" * 300
    corrupt.write_bytes(bytes(data))
    rows = []
    for name, what in (("encrypted.keras", "zip: an entry flagged encrypted"),
                       ("deflate64.keras", "zip: compression method 9 (deflate64)"),
                       ("corrupt.keras", "zip: a corrupt deflate stream")):
        text, ok = _loads(root, folder / name)
        rows.append((what, text + _verdict(ok)))
    return rows


# ----- 8: markup in text from files --------------------------------------------------------
MARKUP = WINDOW + r"""
from PySide6.QtWidgets import QLabel, QMessageBox
from digitpad.core.registry import default_model_path
hostile = sys.argv[4]
sizes = {}
def size(label):
    hint = label.sizeHint()
    return [hint.width(), hint.height()]
def box_label():
    boxes = window.findChildren(QMessageBox)
    wait(lambda: len(window.findChildren(QMessageBox)) > len(boxes))
    return window.findChildren(QMessageBox)[-1].findChild(QLabel, "qt_msgbox_label")
window.hub.set_model(window.hub.active.predictor, None, {"name": hostile})
sizes["card name, status bar"] = size(window.model_label)
bad = folder / f"{hostile}.keras"
bad.write_bytes(b"not a model")
window.hub.load(bad)
sizes["file name, message box"] = size(box_label())
layer = folder / "layer.keras"
with zipfile.ZipFile(default_model_path()) as shipped, zipfile.ZipFile(layer, "w") as out:
    for entry in shipped.namelist():
        content = shipped.read(entry)
        if entry == "config.json":
            config = json.loads(content)
            config["config"]["layers"][-1]["class_name"] = hostile
            content = json.dumps(config).encode()
        out.writestr(entry, content)
window.hub.load(layer)
sizes["layer class name, message box"] = size(box_label())
(folder / hostile).mkdir()
window.errors_tab.data_panel.choose_folder(str(folder / hostile))
sizes["data-folder name, data panel"] = size(window.errors_tab.data_panel.message)
set_state = getattr(window.train_tab, "_set_state", None)
if set_state is not None:
    set_state(f"Training failed: {hostile}", error=True)
    sizes["error text, Train tab"] = size(window.train_tab.state_label)
report(sizes=sizes)
"""


def case_markup(root: Path, folder: Path) -> str:
    from tests.helpers import synthetic_mnist, write_mnist_folder
    data = write_mnist_folder(folder / "mnist", synthetic_mnist(200, 100))
    result, _, _ = _probe(MARKUP, root, folder, data, HOSTILE)
    if result is None:
        return "crashed FAILS"
    sizes = result["sizes"]
    rich = [place for place, (w, h) in sizes.items() if w >= 2000 or h >= 1000]
    biggest = max(sizes.values(), key=lambda wh: wh[0] * wh[1])
    return (f"{len(sizes) - len(rich)}/{len(sizes)} places plain; largest label "
            f"{biggest[0]}x{biggest[1]} px" + (f" (markup: {', '.join(rich)})" if rich else "")
            + _verdict(not rich))


# ----- 10: smaller ones --------------------------------------------------------------------
CARD_NUMBERS = r"""
import numpy as np
from digitpad.core.verdict import Thresholds, decide
from digitpad.gui.model_hub import ActiveModel
line = ActiveModel(None, None, {"name": "m", "test_accuracy": float("nan")}).describe()
thresholds = Thresholds.from_card({"thresholds": {"not_a_digit": 0.0, "sure": 0.0}})
kind = decide(np.eye(10, dtype=np.float32)[3], 0.0, thresholds).kind
report(line=line, kind=kind)
"""
MLP_MODEL = r"""
import keras
from digitpad.core.architectures import build_model, preset_config
build_model(preset_config("mlp")).save(sys.argv[2])
report(done=True)
"""


def _cli(root: Path, *args) -> list[str]:
    return [sys.executable, str(root / "train_cli.py"), *map(str, args)]


def case_small(root: Path, folder: Path) -> list[tuple[str, str]]:
    from tests.helpers import synthetic_mnist, write_mnist_folder
    data = write_mnist_folder(folder / "mnist", synthetic_mnist(800, 200))
    rows = []
    _probe(MLP_MODEL, root, folder / "mlp.keras")
    init = subprocess.run(_cli(root, "--arch", "linear", "--init", folder / "mlp.keras",
                               "--epochs", "1", "--data", data, "--out", folder / "t.keras"),
                          capture_output=True, text=True, env=ENV, timeout=300)
    trained = "validation accuracy" in init.stdout
    rows.append(("--init with an mlp model, --arch linear, no card",
                 f"exit {init.returncode}, {'trained anyway' if trained else 'refused'}: "
                 f"{(init.stderr.strip().splitlines() or [''])[-1][:70]}"
                 + _verdict(init.returncode == 2 and not trained)))
    rows.append(("SIGTERM while the CLI saves", _sigterm_mid_save(root, folder, data)))
    rows.append(("Ctrl-C twice while the CLI trains", _double_ctrl_c(root, folder, data)))
    result, _, _ = _probe(CARD_NUMBERS, root)
    if result is None:
        rows.append(("NaN test_accuracy, threshold 0 in a card", "crashed FAILS"))
    else:
        ok = "nan" not in result["line"] and result["kind"] == "digit"
        rows.append(("NaN test_accuracy, threshold 0 in a card",
                     f"status line '{result['line']}'; a clear 3 reads '{result['kind']}'"
                     + _verdict(ok)))
    return rows


def _sigterm_mid_save(root: Path, folder: Path, data: Path, attempts: int = 5) -> str:
    out = folder / "term" / "m.keras"
    for _ in range(attempts):
        shutil.rmtree(out.parent, ignore_errors=True)
        out.parent.mkdir()
        child = subprocess.Popen(_cli(root, "--arch", "linear", "--epochs", "1", "--data",
                                      data, "--out", out),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env=ENV)
        while child.poll() is None:  # the temp file appears as the save starts
            if any(name.startswith(".") for name in os.listdir(out.parent)):
                child.send_signal(signal.SIGTERM)
                break
            time.sleep(0.0005)
        _, stderr = child.communicate(timeout=120)
        if child.returncode != 0:
            litter = [n for n in os.listdir(out.parent) if n.startswith(".")]
            ok = not litter and "Traceback" not in stderr
            return (f"exit {child.returncode}, {len(litter)} temp file(s) left, "
                    f"{'a traceback' if 'Traceback' in stderr else 'no traceback'}"
                    + _verdict(ok))
    return f"the save was never caught in {attempts} tries"


def _double_ctrl_c(root: Path, folder: Path, data: Path) -> str:
    child = subprocess.Popen(_cli(root, "--arch", "linear", "--epochs", "50", "--data", data,
                                  "--out", folder / "c.keras"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    while "Training" not in (child.stdout.readline() or "Training"):
        pass
    time.sleep(3)  # into the epochs
    child.send_signal(signal.SIGINT)
    time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=120)
    traceback = "Traceback" in stderr
    return (f"exit {child.returncode}, {'a traceback' if traceback else 'one line'}: "
            f"{(stderr.strip().splitlines() or [''])[-1][:60]}" + _verdict(not traceback))


def run(roots: dict[str, Path], cases: set[str] | None = None) -> list[list[str]]:
    """Every case (or those numbered in ``cases``) against every checkout: rows of [case,
    cell per checkout]."""
    from hardening_round3_saving import case_unsavable

    single = [("1. remembered MNIST folder of mode 000", case_unsearchable),
              ("2. two instances start a run in the same second", case_same_second),
              ("3. another instance cleans while 40 saves run", case_cleanup),
              ("4. 300 app loads while the model file is swapped", case_swapped),
              ("4. 40 Keras loads while the model file is swapped", case_swapped_keras),
              ("5. card beside a card-less model: FIFO, 1 GB file", case_card_file),
              ("8. hostile names in 5 places (3000x2000 image, link)", case_markup)]
    multi = [("6.", case_external_storage), ("7.", case_zip_entries),
             ("9.", case_unsavable), ("10.", case_small)]
    if cases:
        single = [(case, f) for case, f in single if case.split(".")[0] in cases]
        multi = [(prefix, f) for prefix, f in multi if prefix.rstrip(".") in cases]
    rows: list[list[str]] = []
    for case, function in single:
        cells = []
        for root in roots.values():
            with tempfile.TemporaryDirectory() as folder:
                cells.append(function(root, Path(folder)))
        rows.append([case, *cells])
        print(" | ".join(rows[-1]), flush=True)
    for prefix, function in multi:
        columns = []
        for root in roots.values():
            with tempfile.TemporaryDirectory() as folder:
                columns.append(function(root, Path(folder)))
        for index, (what, _) in enumerate(columns[0]):
            rows.append([f"{prefix} {what}", *(column[index][1] for column in columns)])
            print(" | ".join(rows[-1]), flush=True)
    return rows
