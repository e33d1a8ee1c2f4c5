import threading

import numpy as np
import pytest

from digitpad.core.architectures import PRESETS, build_model, preset_config
from digitpad.core.augment import random_affine
from digitpad.core.config import ConfigError, TrainConfig
from digitpad.core.inference import Predictor
from digitpad.core.training import split_train_validation, train
from tests.helpers import synthetic_mnist


@pytest.fixture(scope="module")
def data():
    return synthetic_mnist(n_train=1200, n_test=200)


def test_every_preset_builds_a_28x28_to_10_softmax_model():
    for name in PRESETS:
        model = build_model(preset_config(name))
        assert tuple(model.inputs[0].shape[1:]) == (28, 28)
        assert tuple(model.outputs[0].shape[1:]) == (10,)


def test_training_reports_batches_and_epochs_and_learns(data):
    batches, epochs = [], []
    config = preset_config("linear", epochs=3, batch_size=64, patience=0)
    result = train(config, data, on_batch=batches.append, on_epoch=epochs.append)
    assert [e.epoch for e in epochs] == [0, 1, 2]
    assert batches and batches[-1].seen_batches == 3 * batches[-1].batches_per_epoch
    assert all(np.isfinite(b.loss) for b in batches)
    assert epochs[-1].eta_seconds == 0 and epochs[0].eta_seconds > 0
    assert result.val_accuracy > 0.9 and not result.stopped
    card = result.card()
    assert card["architecture"] == "linear" and card["epochs_run"] == 3


def test_batch_reports_give_recent_losses_not_the_epochs_running_mean(data, monkeypatch):
    from digitpad.core import training
    monkeypatch.setattr(training, "BATCH_REPORT_INTERVAL", 0.0)  # a report for every batch
    # A learning rate too small to move the weights: every batch's loss comes from the same
    # model, so reported losses must scatter as much as single batches do, while a running
    # mean would settle (its scatter shrinks with every batch it averages).
    config = preset_config("linear", epochs=2, batch_size=32, learning_rate=1e-12,
                           optimizer="sgd", augment=False)
    model = build_model(config)
    batches = []
    train(config, data, model=model, on_batch=batches.append)
    (x_train, y_train), _ = split_train_validation(data, config)
    single_batches = [model.evaluate(x_train[i:i + 32], y_train[i:i + 32], verbose=0)[0]
                      for i in range(0, len(x_train) - 31, 32)]
    late = [b.loss for b in batches if b.batch >= b.batches_per_epoch // 2]
    assert len(batches) == 2 * batches[0].batches_per_epoch
    assert np.std(late) > 0.5 * np.std(single_batches)
    assert abs(np.mean(late) - np.mean(single_batches)) < 2 * np.std(single_batches)


def test_stop_takes_effect_within_one_batch(data):
    stop = threading.Event()
    batches = []

    def on_batch(report):
        batches.append(report)
        stop.set()

    # Tiny batches so an epoch has many; reports are throttled, so count them via the result.
    config = preset_config("linear", epochs=5, batch_size=8)
    result = train(config, data, on_batch=on_batch, stop=stop)
    assert result.stopped and result.history == []
    assert batches[-1].seen_batches <= 2


def test_best_weights_are_restored_and_early_stopping(data):
    config = preset_config("mlp", epochs=8, patience=1, learning_rate=0.5, optimizer="sgd",
                           lr_schedule="constant")
    result = train(config, data)
    best = max(e.val_accuracy for e in result.history)
    assert result.val_accuracy == pytest.approx(best)
    (_, _), (x_val, y_val) = split_train_validation(data, config)
    recomputed = np.mean(Predictor(result.model).predict(x_val).argmax(1) == y_val)
    assert recomputed == pytest.approx(best, abs=1e-6)
    if result.early_stopped:
        assert len(result.history) - 1 - result.best_epoch >= 1


def test_validation_is_held_out_of_training_and_seeded(data):
    config = preset_config("linear", validation_fraction=0.2, train_size=100, seed=3)
    (x_train, y_train), (x_val, y_val) = split_train_validation(data, config)
    assert len(x_val) == 240 and len(x_train) == 100
    (x_train2, _), _ = split_train_validation(data, config)
    assert np.array_equal(x_train, x_train2)
    train_rows = {row.tobytes() for row in x_train}
    assert not any(row.tobytes() in train_rows for row in x_val)


@pytest.mark.parametrize("field, value", [("epochs", 0), ("learning_rate", -1), ("dropout", 1.0),
                                          ("optimizer", "lbfgs"), ("arch", "resnet"),
                                          ("validation_fraction", 0.0), ("batch_size", 0)])
def test_invalid_config_names_the_field(field, value):
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{field: value}).validated()
    assert info.value.field_name == field


def test_augmentation_keeps_shape_range_and_mostly_ink():
    rng = np.random.default_rng(0)
    images = np.zeros((64, 28, 28), np.float32)
    images[:, 8:20, 12:16] = 1.0
    out = random_affine(images, rng)
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1.0 + 1e-6
    assert np.allclose(out.sum(axis=(1, 2)), images.sum(axis=(1, 2)), rtol=0.35)
    assert not np.allclose(out, images)


@pytest.mark.heavy
def test_quick_preset_on_real_mnist_passes_a_sanity_accuracy():
    from digitpad.core.data import load_mnist
    from digitpad.core.evaluation import evaluate
    mnist = load_mnist(download=False)
    result = train(preset_config("quick", epochs=1, train_size=20000), mnist)
    accuracy = evaluate(Predictor(result.model), mnist.test.images, mnist.test.labels).accuracy
    assert accuracy > 0.97


def test_divergence_is_a_clear_error(data):
    from digitpad.core.training import TrainingError
    config = preset_config("mlp", epochs=2, optimizer="sgd", learning_rate=10.0,
                           lr_schedule="constant", dropout=0.0)
    with pytest.raises(TrainingError, match="diverged.*lower learning rate"):
        train(config, data)
