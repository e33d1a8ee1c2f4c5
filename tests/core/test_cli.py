import json

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
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("|")]
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
