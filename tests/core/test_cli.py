import json
import os
import signal
from pathlib import Path

import pytest

from digitpad.cli import main
from tests.helpers import synthetic_mnist, write_mnist_folder


def test_trains_and_writes_model_and_card(tmp_path, capsys):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    out = tmp_path / "models" / "m.keras"
    assert main(["--arch", "linear", "--epochs", "2", "--data", str(data), "--out", str(out),
                 "--no-download"]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["architecture"] == "linear" and card["config"]["epochs"] == 2
    assert 0 <= card["test_accuracy"] <= 1 and card["data_sha256"]["test"]
    printed = capsys.readouterr().out
    assert "epoch 2/2" in printed and "test accuracy" in printed


def test_invalid_value_is_a_clear_usage_error(tmp_path, capsys):
    assert main(["--arch", "mlp", "--dropout", "1.5", "--no-download"]) == 2
    assert "--dropout" in capsys.readouterr().err


def test_missing_data_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DIGITPAD_DATA", raising=False)
    assert main(["--data", str(tmp_path / "nothing"), "--no-download"]) == 1
    err = capsys.readouterr().err
    assert "nothing" in err and "Traceback" not in err


def test_experiments_print_a_markdown_table(tmp_path, capsys, monkeypatch):
    import digitpad.cli as cli
    monkeypatch.setattr(cli, "EXPERIMENTS", (("batch_size", (32, 64)), ("optimizer", ("sgd",))))
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(400, 100))
    assert main(["--arch", "linear", "--epochs", "1", "--data", str(data), "--experiments"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| setting") and len(lines) == 2 + 3


@pytest.mark.parametrize("argv", [["--arch", "resnet"], ["--epochs", "x"]])
def test_argparse_rejects_bad_flags(argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_fine_tuning_starts_from_a_saved_model(tmp_path, capsys):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    first = tmp_path / "first.keras"
    assert main(["--arch", "linear", "--epochs", "1", "--data", str(data), "--out", str(first)]) == 0
    tuned = tmp_path / "tuned.keras"
    assert main(["--arch", "linear", "--epochs", "1", "--data", str(data), "--out", str(tuned),
                 "--init", str(first)]) == 0
    card = json.loads(tuned.with_suffix(".json").read_text())
    assert card["initialised_from"]["file"] == str(first)
    assert card["initialised_from"]["card"]["architecture"] == "linear"
    assert main(["--arch", "mlp", "--epochs", "1", "--data", str(data), "--out", str(tuned),
                 "--init", str(first)]) == 2
    assert "is a linear model" in capsys.readouterr().err


def test_the_first_line_counts_the_images_trained_on(tmp_path, capsys):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    assert main(["--arch", "linear", "--epochs", "1", "--train-size", "300", "--data", str(data),
                 "--out", str(tmp_path / "m.keras"), "--no-download"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "up to 1 epoch on 300 images (80 held out for validation)" in first


@pytest.mark.parametrize("make_out, problem", [
    (lambda tmp: tmp / "a-file" / "m.keras", "is a file, not a folder"),
    (lambda tmp: tmp / "m.h5", "must end in .keras"),
    (lambda tmp: tmp, "is a folder"),
])
def test_a_bad_out_fails_at_once_with_one_line(tmp_path, capsys, make_out, problem):
    (tmp_path / "a-file").write_text("")
    # No data at all: the check must come before anything is loaded or trained.
    assert main(["--data", str(tmp_path / "no-data"), "--no-download",
                 "--out", str(make_out(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's read-only /sys")
def test_an_unwritable_out_folder_fails_at_once(tmp_path, capsys):
    assert main(["--data", str(tmp_path), "--no-download", "--out", "/sys/kernel/m.keras"]) == 2
    err = capsys.readouterr().err
    assert "cannot write in /sys/kernel" in err and len(err.strip().splitlines()) == 1


def test_divergence_is_one_line_not_a_traceback(tmp_path, capsys):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    out = tmp_path / "m.keras"
    assert main(["--arch", "mlp", "--epochs", "2", "--optimizer", "sgd", "--learning-rate", "10",
                 "--lr-schedule", "constant", "--dropout", "0", "--data", str(data),
                 "--out", str(out), "--no-download"]) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_ctrl_c_before_the_first_epoch_ends_saves_nothing(tmp_path, capsys, monkeypatch):
    import digitpad.cli as cli
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    out = tmp_path / "m.keras"
    pressed = []

    def press_ctrl_c_once(self, report):
        if not pressed:  # a real SIGINT, handled as the terminal's Ctrl-C would be
            pressed.append(report.batch)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(cli.ProgressPrinter, "on_batch", press_ctrl_c_once)
    previous = signal.getsignal(signal.SIGINT)
    try:
        assert main(["--arch", "linear", "--epochs", "2", "--batch-size", "16", "--data",
                     str(data), "--out", str(out), "--no-download"]) == 1
    finally:
        signal.signal(signal.SIGINT, previous)
    assert pressed == [0]
    assert "no model was saved" in capsys.readouterr().out
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_tensorboard_logs_are_written_from_the_cli(tmp_path):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    logs = tmp_path / "logs"
    assert main(["--arch", "linear", "--epochs", "1", "--data", str(data), "--no-download",
                 "--out", str(tmp_path / "m.keras"), "--tensorboard", str(logs)]) == 0
    assert list((logs / "train").glob("events.out.tfevents.*"))


def test_init_weights_decide_the_architecture_whatever_the_card_says(tmp_path, capsys):
    """A model whose weights are another architecture's is refused, card or no card; with
    no --arch the architecture comes from the file."""
    from digitpad.core.architectures import build_model, preset_config
    from digitpad.core.registry import save_model
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    mlp = build_model(preset_config("mlp"))
    bare = tmp_path / "bare.keras"
    mlp.save(bare)  # no card at all
    lying = save_model(mlp, tmp_path / "lying.keras", {"architecture": "linear"})
    for argv in (["--arch", "linear", "--init", str(bare)], ["--init", str(lying)]):
        assert main([*argv, "--epochs", "1", "--data", str(data), "--no-download",
                     "--out", str(tmp_path / "tuned.keras")]) == 2
        err = capsys.readouterr().err
        assert "do not fit the linear architecture" in err and "Traceback" not in err
    linear = save_model(build_model(preset_config("linear")), tmp_path / "linear.keras",
                        {"architecture": "linear"})
    assert main(["--init", str(linear), "--epochs", "1", "--data", str(data),
                 "--no-download", "--out", str(tmp_path / "tuned.keras")]) == 0
    card = json.loads((tmp_path / "tuned.json").read_text())
    assert card["architecture"] == "linear"


def test_sigterm_while_saving_leaves_no_temp_file_and_no_traceback(tmp_path, capsys,
                                                                    monkeypatch):
    import contextlib
    from digitpad.core import registry
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))
    out = tmp_path / "models" / "m.keras"
    original = registry.atomic_write

    @contextlib.contextmanager
    def terminated_midway(target):
        with original(target) as handle:
            yield handle
            signal.raise_signal(signal.SIGTERM)  # as `kill PID` would, mid-save

    monkeypatch.setattr(registry, "atomic_write", terminated_midway)
    assert main(["--arch", "linear", "--epochs", "1", "--data", str(data), "--no-download",
                 "--out", str(out)]) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "terminated" in err and "Traceback" not in err
    assert os.listdir(out.parent) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


def test_a_second_ctrl_c_aborts_with_one_line(tmp_path, capsys, monkeypatch):
    import digitpad.cli as cli
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(800, 200))

    def press_ctrl_c_twice(self, report):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(cli.ProgressPrinter, "on_batch", press_ctrl_c_twice)
    previous = signal.getsignal(signal.SIGINT)
    assert main(["--arch", "linear", "--epochs", "2", "--batch-size", "16", "--data",
                 str(data), "--out", str(tmp_path / "m.keras"), "--no-download"]) == 130
    err = capsys.readouterr().err
    assert "aborted" in err and "Traceback" not in err
    assert signal.getsignal(signal.SIGINT) == previous
    assert not (tmp_path / "m.keras").exists()


def test_an_unsearchable_data_folder_is_one_line(tmp_path):
    """A mode-000 --data folder (real permissions: under capsh as root)."""
    from tests.helpers import run_python_with_folder_locked
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(30, 10))
    child = run_python_with_folder_locked(data, "train_cli.py", "--data", str(data),
                                          "--no-download", "--out", str(tmp_path / "m.keras"),
                                          timeout=120)
    assert child.returncode == 1
    assert child.stderr.strip() == f"digitpad-train: {data}: not usable: Permission denied"
