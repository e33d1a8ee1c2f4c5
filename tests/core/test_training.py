import threading

import numpy as np
import pytest

from digitpad.core.architectures import PRESETS, build_model, preset_config
from digitpad.core.augment import random_affine
from digitpad.core.config import ConfigError, TrainConfig
from digitpad.core.inference import Predictor
from digitpad.core.training import (NOT_A_DIGIT, ShuffledBatches, split_train_validation, train,
                                    training_batches)
from tests.helpers import synthetic_mnist


@pytest.fixture(scope="module")
def data():
    return synthetic_mnist(n_train=1200, n_test=200)


def test_every_preset_builds_a_28x28_to_digits_softmax_model():
    for name in PRESETS:
        config = preset_config(name)
        model = build_model(config)
        assert tuple(model.inputs[0].shape[1:]) == (28, 28)
        # An eleventh output, "not a digit", exactly when the run trains on non-digits.
        assert tuple(model.outputs[0].shape[1:]) == ((11,) if config.not_a_digit else (10,))
    assert preset_config("strong").not_a_digit > 0


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
def test_quick_preset_on_real_mnist_passes_a_sanity_accuracy(mnist):
    from digitpad.core.evaluation import evaluate
    result = train(preset_config("quick", epochs=1, train_size=20000), mnist)
    accuracy = evaluate(Predictor(result.model), mnist.test.images, mnist.test.labels).accuracy
    assert accuracy > 0.97


def test_divergence_is_a_clear_error(data):
    from digitpad.core.training import TrainingError
    # Nesterov momentum at the highest allowed rate overflows whatever the batch order.
    config = preset_config("mlp", epochs=2, optimizer="nesterov", learning_rate=10.0,
                           lr_schedule="constant", dropout=0.0)
    with pytest.raises(TrainingError, match="diverged.*lower learning rate"):
        train(config, data)


@pytest.mark.parametrize("augment", [False, True])
def test_each_pass_over_the_training_batches_is_one_epoch_reshuffled(data, augment):
    config = preset_config("quick", batch_size=100, augment=augment, not_a_digit=0.0)
    (x_train, y_train), _ = split_train_validation(data, config)
    batches = training_batches(x_train, y_train, config)
    # Autotuning off: TensorFlow would otherwise idle for seconds as each epoch ends.
    assert batches.options().autotune.enabled is False
    assert int(batches.cardinality()) == -(-len(y_train) // 100)
    epochs = [[(images.numpy(), labels.numpy()) for images, labels in batches]
              for _ in range(2)]
    for epoch in epochs:
        labels = np.concatenate([labels for _, labels in epoch])
        assert labels.dtype == np.int32 and sorted(labels) == sorted(y_train)
        assert all(images.dtype == np.float32 and images.shape[1:] == (28, 28)
                   for images, _ in epoch)
    first, second = (np.concatenate([labels for _, labels in epoch]) for epoch in epochs)
    assert not np.array_equal(first, second)
    if not augment:  # the very images, each once, in a new order
        seen = np.concatenate([images for images, _ in epochs[0]])
        assert sorted(map(bytes, seen)) == sorted(map(bytes, x_train))


def test_not_a_digit_batches_mix_in_synthetic_non_digits_at_the_configured_share(data):
    config = preset_config("quick", not_a_digit=0.2, augment=True, batch_size=40)
    (x_train, y_train), _ = split_train_validation(data, config)
    batches = ShuffledBatches(x_train, y_train, config)
    images, labels = batches[0]
    assert images.shape[1:] == (28, 28) and images.dtype == np.float32
    assert np.count_nonzero(labels == NOT_A_DIGIT) == 10  # 10 of 50: a fifth
    assert set(labels[:40]) <= set(range(10))


def test_a_run_with_non_digits_learns_the_eleventh_class(data):
    from digitpad.core.nondigits import make_nondigits

    config = preset_config("linear", not_a_digit=0.3, epochs=6, batch_size=32)
    result = train(config, data)
    predictor = Predictor(result.model)
    assert predictor.has_not_a_digit
    _, on_digits = predictor.predict_with_not_a_digit(data.test.images[:100] / 255.0)
    _, on_nondigits = predictor.predict_with_not_a_digit(make_nondigits(100, seed=99))
    assert np.median(on_nondigits) > 0.5 > np.median(on_digits)


def test_a_run_stopped_before_its_first_epoch_ended_has_no_model(data):
    stop = threading.Event()
    stop.set()
    result = train(preset_config("linear", epochs=2), data, stop=stop)
    assert result.stopped and not result.has_model
    assert train(preset_config("linear", epochs=1), data).has_model


def _logged(folder, tag) -> list[tuple[int, float]]:
    """(step, value) of one scalar in a TensorBoard run folder, read as TensorBoard reads it."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray
    events = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    events.Reload()
    if tag not in events.Tags()["tensors"]:
        return []
    return [(e.step, float(make_ndarray(e.tensor_proto))) for e in events.Tensors(tag)]


def test_tensorboard_logs_hold_the_loss_per_epoch_and_per_batches(data, tmp_path):
    from digitpad.core.training import TENSORBOARD_BATCH_INTERVAL
    config = preset_config("linear", epochs=3, batch_size=16)
    result = train(config, data, tensorboard_dir=tmp_path)
    epoch_losses = _logged(tmp_path / "train", "epoch_loss")
    assert [step for step, _ in epoch_losses] == [0, 1, 2]
    assert [v for _, v in epoch_losses] == pytest.approx([e.loss for e in result.history])
    val_accuracy = _logged(tmp_path / "validation", "epoch_accuracy")
    assert [v for _, v in val_accuracy] == pytest.approx([e.val_accuracy for e in result.history])
    batch_steps = [step for step, _ in _logged(tmp_path / "train", "batch_loss")]
    assert batch_steps and all(step % TENSORBOARD_BATCH_INTERVAL == 0 for step in batch_steps)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    events = EventAccumulator(str(tmp_path / "train"))
    events.Reload()
    assert any(tag.endswith("kernel/histogram") for tag in events.Tags()["tensors"])


def test_training_leaves_the_global_random_generators_as_they_were(data):
    import random
    random.seed(1234)
    np.random.seed(1234)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    config = preset_config("mlp", epochs=1, train_size=300, dropout=0.2)
    train(config, data)  # builds the model too: initializers and dropout draw seeds
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]


def test_the_same_seed_builds_the_same_model_and_another_seed_another():
    weights = [build_model(preset_config("quick", seed=seed)).get_weights()
               for seed in (5, 5, 6)]
    assert all(np.array_equal(a, b) for a, b in zip(weights[0], weights[1]))
    assert not np.array_equal(weights[0][0], weights[2][0])
