"""Round 3, case 9 of benchmarks/hardening.py: a model folder that cannot take the model.

A real window trains a real (small) run on synthetic MNIST in its training process, with
the model folder unusable from the start (the run must be refused before it trains) or
taken away while the run trains (the weights must be kept and offered with "Save as…",
which then saves them where the user chose and makes them active).
"""

from __future__ import annotations

from pathlib import Path

from hardening_round3 import ENV, WINDOW, _probe, _verdict

UNSAVABLE = WINDOW + r"""
when = sys.argv[4]
tab = window.train_tab
models = paths.user_models_dir()
models.parent.mkdir(parents=True, exist_ok=True)
if when == "before":  # the folder is no folder from the start
    models.write_text("a file where the folder should be")
ended = []
tab.run_finished.connect(ended.append)
started = tab.start_training(arch="linear", epochs=1)
if started and when == "during":  # the folder goes away while the run trains
    shutil.move(models, folder / "moved-away")
    models.write_text("no longer a folder")
trained = bool(started) and bool(wait(lambda: ended))
run = tab.runs[-1] if tab.runs else None
status = run.status if run else "no run"  # before any "Save as…"
button = getattr(tab, "save_as_button", None)
offered = bool(button is not None and button.isVisibleTo(tab))
state = tab.state_label.text().replace("\n", " ")[:90]
saved_as = False
if offered:  # "Save as…" where the user chooses: saved, then active
    chosen = folder / "chosen.keras"
    ended.clear()
    tab.save_unsaved_as(chosen)
    saved_as = bool(wait(lambda: ended)) and window.hub.active.path == chosen and chosen.is_file()
report(started=bool(started), trained=trained, status=status,
       offered=offered, saved_as=bool(saved_as), state=state)
window.close()
"""


def case_unsavable(root: Path, folder: Path) -> list[tuple[str, str]]:
    from tests.helpers import synthetic_mnist, write_mnist_folder
    data = write_mnist_folder(folder / "mnist", synthetic_mnist(800, 200))
    rows = []
    for when, what in (("before", "model folder unusable when Train is pressed"),
                       ("during", "model folder gone while the run trains")):
        place = folder / when  # a user of its own: settings, model folder
        place.mkdir()
        env = {**ENV, "XDG_DATA_HOME": str(place / "xdg")}
        result, _, _ = _probe(UNSAVABLE, root, place, data, when, env=env, timeout=400)
        if result is None:
            rows.append((what, "crashed FAILS"))
            continue
        if when == "before":
            ok = not result["trained"] or result["status"] == "failed"
            text = ("refused before training" if ok else
                    f"trained, then '{result['status']}'")
        else:
            ok = result["offered"] and result["saved_as"]
            text = (f"run '{result['status']}', weights kept, 'Save as…' saved and made "
                    f"them active" if ok else f"run '{result['status']}', weights lost")
        rows.append((what, f"{text}: {result['state']}{_verdict(ok)}"))
    return rows
