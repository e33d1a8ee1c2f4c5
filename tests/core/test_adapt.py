"""Adapting a model to one person's digits: it learns their style and says so honestly."""

import base64
import json
import threading

import numpy as np
import pytest

from digitpad.cli import main
from digitpad.core.adapt import AdaptSettings, adapt, adapted_card, hold_out
from digitpad.core.architectures import preset_config
from digitpad.core.augment import AugmentSpec
from digitpad.core.digits_file import FORMAT
from digitpad.core.training import ExtraDigits, train
from tests.helpers import synthetic_mnist, write_mnist_folder


def writer_digits(per_digit: int, seed: int = 0):
    """A person whose digit k is a bar down column band k: a style the synthetic MNIST
    (digit k: a bar across row band k) never shows."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for digit in range(10):
        for _ in range(per_digit):
            image = rng.integers(0, 40, (28, 28)).astype(np.float32) / 255
            left = 3 + 2 * digit + int(rng.integers(0, 2))
            image[4:24, left:left + 2] = 1.0
            images.append(image)
            labels.append(digit)
    return np.stack(images), np.array(labels)


# The synthetic digits are told apart by a 2-pixel position: moving them changes their class.
# A synthetic test set of 300 images: one image is 0.33 points.
SETTINGS = AdaptSettings(steps=120, learning_rate=1e-3, mnist_allowance=0.03,
                         augment=AugmentSpec(max_shift=0, max_rotation=3, max_zoom=0.03,
                                             max_shear=0.03))


@pytest.fixture(scope="module")
def mnist():
    return synthetic_mnist(n_train=2000, n_test=300)


@pytest.fixture(scope="module")
def trained(mnist):
    return train(preset_config("mlp", epochs=3, not_a_digit=0.1), mnist)


def test_adapting_learns_a_writers_style_and_keeps_mnist(trained, mnist):
    images, labels = writer_digits(5)
    held = np.flatnonzero(np.arange(len(labels)) % 5 >= 2)  # 2 of each taught, 3 held out
    result = adapt(trained.model, images, labels, mnist, held_out=held, settings=SETTINGS)
    before, after = result.held_out_before, result.held_out_after
    assert before.count == after.count == 30 and result.taught == 20
    assert before.errors >= 20  # the model has never seen this style
    assert after.errors <= 3
    assert result.mnist_after >= result.mnist_before - 0.03
    assert result.per_digit == [2] * 10 and result.steps_done == 120
    assert not result.already_read  # its variations of the taught digits were misread
    # The not-a-digit output is kept, and batch norm trains again in a later run.
    assert result.model.outputs[0].shape[-1] == 11


def test_a_model_that_already_reads_the_taught_digits_is_left_unchanged(trained, mnist,
                                                                         monkeypatch):
    import digitpad.core.adapt as adapt_module
    from digitpad.core.inference import Predictor

    # The synthetic digits change class when moved: the check reads them as they are.
    monkeypatch.setattr(adapt_module, "HAND_RANGE", AugmentSpec(0, 0, 0, 0))
    images = mnist.test.images.astype(np.float32) / 255
    probabilities, _ = Predictor(trained.model).predict_with_not_a_digit(images)
    confident = np.flatnonzero((probabilities.argmax(1) == mnist.test.labels)
                               & (probabilities.max(1) > 0.99))[:20]
    weights = trained.model.get_weights()
    reports = []
    result = adapt(trained.model, images[confident], mnist.test.labels[confident], mnist,
                   held_out=np.array([], np.int64), on_batch=reports.append)
    assert result.already_read and result.steps_done == 0 and not reports
    assert result.kept == 0 and result.mnist_after == result.mnist_before
    assert all(np.array_equal(a, b) for a, b in zip(weights, trained.model.get_weights()))
    assert result.card()["taught_already_read"]


def confident_test_digits(model, mnist, count: int = 20):
    """MNIST test digits ``model`` reads right, each with over 99% confidence."""
    from digitpad.core.inference import Predictor

    images = mnist.test.images.astype(np.float32) / 255
    probabilities, _ = Predictor(model).predict_with_not_a_digit(images)
    confident = np.flatnonzero((probabilities.argmax(1) == mnist.test.labels)
                               & (probabilities.max(1) > 0.99))[:count]
    return images[confident], mnist.test.labels[confident]


def test_an_adaptation_with_nothing_to_teach_saves_no_copy_and_the_cli_still_writes_out(
        trained, mnist, tmp_path, monkeypatch, capsys):
    import digitpad.core.adapt as adapt_module
    from digitpad import training_process
    from digitpad.core import link
    from digitpad.core.digit_store import DigitStore
    from digitpad.core.digits_file import Sample, image_to_uint8
    from digitpad.core.registry import save_model

    monkeypatch.setattr(adapt_module, "HAND_RANGE", AugmentSpec(0, 0, 0, 0))
    base = save_model(trained.model, tmp_path / "base.keras", {"architecture": "mlp"})
    images, labels = confident_test_digits(trained.model, mnist)
    store = tmp_path / "my-digits.sqlite"
    with DigitStore(store) as digits:
        for i, (image, label) in enumerate(zip(images, labels)):
            digits.add(Sample(int(label), [np.array([[0.1, 0.1], [0.9, i / 20]])],
                              image_to_uint8(image)))

    class Datasets:
        def get(self, folder):
            return mnist

    class Inbox:
        closing = threading.Event()

        def stop_flag(self, run_id):
            return threading.Event()

    out = tmp_path / "models" / "adapted.keras"
    job = link.Job(1, preset_config("mlp"), None, out, kind="adapt", base_model=base,
                   my_digits=store)
    finished = training_process._adapt(job, Datasets(), None, Inbox())
    outcome = finished.outcome
    # The window's model stays active: no duplicate of it saved under a new name.
    assert outcome.unchanged and outcome.path is None and not out.exists()
    assert outcome.card["adaptation"]["taught_already_read"]
    adaptation = outcome.card["adaptation"]
    assert adaptation["samples_taught"] + adaptation["samples_held_out"] == 20

    # A script that asked for --out reads that file afterwards: the CLI writes it.
    mine = write_digits_file(tmp_path / "mine.json", images, labels)
    data = write_mnist_folder(tmp_path / "mnist", mnist)
    cli_out = tmp_path / "cli.keras"
    capsys.readouterr()
    assert main(["--adapt", str(mine), "--init", str(base), "--data", str(data),
                 "--out", str(cli_out)]) == 0
    printed = capsys.readouterr().out
    assert "nothing to teach, so it is unchanged" in printed and cli_out.is_file()
    assert json.loads(cli_out.with_suffix(".json").read_text())["adaptation"][
        "taught_already_read"]


def test_the_same_digits_adapt_a_saved_model_to_the_same_weights_every_time(mnist):
    from digitpad.core.registry import default_model_path, load_model

    # The shipped model's dropout has no seed of its own: each load draws one anew, and
    # the adaptation seeds it from its settings.
    images, labels = writer_digits(2, seed=3)

    def adapted(seed=0):
        settings = AdaptSettings(steps=6, mnist_allowance=1.0, seed=seed)
        return adapt(load_model(default_model_path()), images, labels, mnist,
                     settings=settings).model.get_weights()

    first, again, other = adapted(), adapted(), adapted(seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_the_card_is_honest_about_what_adapting_did(trained, mnist):
    images, labels = writer_digits(5, seed=1)
    stop = threading.Event()
    reports = []

    def on_batch(report):
        reports.append(report)
        if report.seen_batches >= 5:
            stop.set()
    source_card = {"architecture": "mlp", "validation_accuracy": 0.99,
                   "thresholds": {"not_a_digit": 0.4, "sure": 0.7, "min_ink": 0.1}}
    result = adapt(trained.model, images, labels, mnist, on_batch=on_batch, stop=stop)
    assert result.stopped and result.steps_done < AdaptSettings().steps
    assert reports and reports[-1].batches_per_epoch == AdaptSettings().steps
    card = adapted_card(result, source_card, "/models/m.keras", mnist, "mine.json")
    assert card["thresholds"] == source_card["thresholds"]  # the verdict stays the model's
    assert "validation_accuracy" not in card  # the source's training is not claimed
    assert card["adapted_from"] == {"file": "/models/m.keras", "card": source_card}
    adaptation = card["adaptation"]
    assert adaptation["stopped"] and adaptation["samples_taught"] == 40
    assert adaptation["fine_tunes"] == 1  # a stopped fine-tune is not tried again
    assert adaptation["samples_held_out"] == 10  # a fifth of each digit held out
    assert adaptation["held_out_before"]["count"] == 10
    assert card["test_accuracy"] == result.mnist_after == adaptation["mnist_test_after"]


def test_a_second_fine_tune_reports_itself_and_counts_its_steps_on(trained, mnist, capsys):
    from digitpad.adapt_cli import _print_step
    images, labels = writer_digits(2, seed=4)
    reports = []
    # An allowance no fine-tune keeps: both tries run (and nothing of them is kept).
    result = adapt(trained.model, images, labels, mnist, on_batch=reports.append,
                   settings=AdaptSettings(steps=4, mnist_allowance=-1.0))
    assert result.fine_tunes == 2 and result.kept == 0.0
    last = reports[-1]
    assert reports[0].epoch == 0 and last.epoch == 1  # the try, as the report's epoch
    assert last.batch + 1 == last.batches_per_epoch == 4 and last.seen_batches == 8
    assert [r.seen_batches for r in reports] == sorted(r.seen_batches for r in reports)
    _print_step(last)
    assert "try 2 (MNIST test cost too much before), step 4/4" in capsys.readouterr().out


def test_hold_out_keeps_one_of_each_digit_to_teach():
    labels = np.array([0] * 10 + [1] * 2 + [2])
    held = hold_out(labels, 0.2)
    assert np.bincount(labels[held], minlength=3).tolist() == [2, 0, 0]
    assert len(hold_out(labels, 0.5)) == 5 + 1
    assert len(hold_out(np.arange(10), 0.2)) == 0  # one of each: nothing to hold out


def write_digits_file(path, images, labels):
    samples = [{"label": int(label), "strokes": [],
                "image": base64.b64encode((image * 255).round().astype(np.uint8).tobytes()).decode()}
               for image, label in zip(images, labels)]
    path.write_text(json.dumps({"format": FORMAT, "version": 1, "samples": samples}))
    return path


def test_the_cli_adapts_a_saved_model_and_prints_before_and_after(tmp_path, capsys):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(2000, 300))
    base = tmp_path / "base.keras"
    assert main(["--arch", "mlp", "--epochs", "3", "--not-a-digit", "0.1", "--data", str(data),
                 "--out", str(base)]) == 0
    mine = write_digits_file(tmp_path / "mine.json", *writer_digits(5))
    out = tmp_path / "adapted.keras"
    capsys.readouterr()
    assert main(["--adapt", str(mine), "--init", str(base), "--data", str(data),
                 "--out", str(out), "--holdout", "0.4", "--adapt-steps", "150"]) == 0
    printed = capsys.readouterr().out
    assert "30 taught, 20 held out" in printed
    assert "held-out digits:" in printed and "MNIST test:" in printed
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["adapted_from"]["file"] == str(base)
    after = card["adaptation"]["held_out_after"]
    assert after["count"] == 20 and after["errors"] < card["adaptation"]["held_out_before"]["errors"]


def test_the_cli_refuses_a_bad_digits_file_clearly(tmp_path, capsys):
    data = write_mnist_folder(tmp_path / "mnist", synthetic_mnist(200, 100))
    bad = tmp_path / "mine.json"
    bad.write_text('{"format": "digitpad-digits", "version": 1, "samples": [{"label": 7')
    assert main(["--adapt", str(bad), "--data", str(data), "--out",
                 str(tmp_path / "a.keras")]) == 1
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "Traceback" not in err
    assert not (tmp_path / "a.keras").exists()


def test_my_digits_join_a_training_run_with_their_weight(tmp_path, mnist, capsys):
    images, labels = writer_digits(2)
    result = train(preset_config("linear", epochs=1), mnist,
                   extra=ExtraDigits(images, labels, weight=3))
    # 2000 images less the validation share, plus each of the 20 digits three times.
    assert result.history[0].epoch == 0
    data = write_mnist_folder(tmp_path / "mnist", mnist)
    mine = write_digits_file(tmp_path / "mine.json", images, labels)
    out = tmp_path / "m.keras"
    assert main(["--arch", "linear", "--epochs", "1", "--data", str(data), "--out", str(out),
                 "--my-digits", str(mine), "--my-digits-weight", "3"]) == 0
    assert "with 20 of your digits" in capsys.readouterr().out
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["my_digits"] == {"file": str(mine), "count": 20, "weight": 3}


def test_a_change_that_costs_mnist_too_much_is_only_partly_kept(mnist):
    model = train(preset_config("mlp", epochs=3, not_a_digit=0.1), mnist).model
    original = [w.copy() for w in model.get_weights()]
    images, labels = writer_digits(5, seed=2)
    # Almost no replay, at a rate far too high: the full change costs MNIST dearly.
    settings = AdaptSettings(steps=60, learning_rate=0.05, batch_size=128, mine_per_batch=112,
                             mnist_allowance=0.02)
    result = adapt(model, images, labels, mnist, settings=settings)
    assert result.kept < 1.0 and result.fine_tunes == 2  # another draw was tried first
    assert result.mnist_before - result.mnist_after <= 0.02
    assert result.card()["change_kept"] == result.kept
    if result.kept == 0.0:
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), original))
