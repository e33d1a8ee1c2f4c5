"""Training: one function used by the CLI and the GUI alike, reporting through callbacks.

``train`` knows nothing of terminals or widgets: progress goes out through ``on_batch`` and
``on_epoch`` (small dataclasses), and a ``threading.Event`` stops it within one batch.
This module imports Keras (and so TensorFlow): the GUI runs it only in its training process,
and the report dataclasses live in ``core.reports`` so that the GUI can read them without it.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np

from digitpad.core.architectures import build_model
from digitpad.core.augment import random_affine
from digitpad.core.handwriting_styles import apply_styles
from digitpad.core.config import TrainConfig
from digitpad.core.data import Mnist
from digitpad.core.errors import TrainingError
from digitpad.core.fused_batch_norm import fused_batch_norm
from digitpad.core.preprocess import to_model_batch
from digitpad.core.reports import BatchReport, EpochReport
from digitpad.core.verdict import NO_NOT_A_DIGIT

# Synthetic non-digits made per run for the "not a digit" class (at most; small runs make
# twice what they use in an epoch). Made once, then distorted afresh in every batch.
NONDIGIT_POOL = 12_000
NOT_A_DIGIT = 10  # the label of the "not a digit" class
# Digits drawn as strokes (core.digit_strokes) made per run, at most: made once, then
# distorted afresh in every batch like the MNIST digits they stand in for.
DRAWN_DIGIT_POOL = 20_000
# Digits drawn to check the non-digits against: none may look like one of them.
DIGIT_REFERENCE = 2_000

# Seconds between batch reports: live enough for curves and progress, rare enough that
# drawing them takes little CPU away from training (two cores are shared with the GUI).
BATCH_REPORT_INTERVAL = 0.2
# Batches between the per-batch scalars of TensorBoard logs: a few dozen points per epoch.
TENSORBOARD_BATCH_INTERVAL = 20


@dataclass
class TrainResult:
    """The trained model (best validation weights) and what happened."""

    model: object
    config: TrainConfig
    history: list[EpochReport] = field(default_factory=list)
    stopped: bool = False          # stopped by the caller before the last epoch
    early_stopped: bool = False    # stopped because validation stopped improving
    best_epoch: int | None = None
    val_accuracy: float = float("nan")
    seconds: float = 0.0

    @property
    def has_model(self) -> bool:
        """Whether the run produced a model worth keeping: at least one epoch finished.

        A run stopped before its first epoch ended was never validated; the CLI and the
        GUI both save nothing then.
        """
        return bool(self.history)

    def card(self) -> dict:
        """Facts for the model card (registry adds test accuracy, data, date)."""
        return {
            "architecture": self.config.arch,
            "config": self.config.to_dict(),
            "epochs_run": len(self.history),
            "best_epoch": None if self.best_epoch is None else self.best_epoch + 1,
            "stopped": self.stopped,
            "early_stopped": self.early_stopped,
            "validation_accuracy": self.val_accuracy,
            "training_seconds": round(self.seconds, 1),
            "parameters": int(self.model.count_params()),
        }


@dataclass(frozen=True)
class ExtraDigits:
    """A person's own digits added to a run's training images (never to validation).

    ``images`` are (n, 28, 28) float model inputs, ``labels`` their digits; each counts as
    ``weight`` training images per epoch.
    """

    images: np.ndarray
    labels: np.ndarray
    weight: int = 1


def split_sizes(n_images: int, config: TrainConfig) -> tuple[int, int]:
    """(images trained on, images held out for validation) out of ``n_images``."""
    n_val = max(1, int(round(n_images * config.validation_fraction)))
    n_train = n_images - n_val
    return (min(n_train, config.train_size) if config.train_size else n_train), n_val


def split_train_validation(data: Mnist, config: TrainConfig):
    """Hold out a stratification-free random validation set from the 60k training images.

    The test set is never touched here: nothing is chosen on it.
    """
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(data.train))
    n_train, n_val = split_sizes(len(order), config)
    val_idx, train_idx = order[:n_val], order[n_val:n_val + n_train]
    images = data.train.images
    labels = data.train.labels.astype(np.int32)
    return ((to_model_batch(images[train_idx]), labels[train_idx]),
            (to_model_batch(images[val_idx]), labels[val_idx]))


def train(config: TrainConfig, data: Mnist, *, model=None,
          on_batch: Callable[[BatchReport], None] | None = None,
          on_epoch: Callable[[EpochReport], None] | None = None,
          stop: threading.Event | None = None,
          tensorboard_dir: str | os.PathLike | None = None,
          extra: ExtraDigits | None = None) -> TrainResult:
    """Train ``config.arch`` on MNIST and return the best model on the validation set.

    Parameters
    ----------
    config : TrainConfig
        Architecture and hyper-parameters.
    data : Mnist
        The data set; only its training split is used (minus a held-out validation set).
    model : keras.Model, optional
        A model built by the caller (e.g. to watch its weights); default ``build_model(config)``.
    on_batch, on_epoch : callable, optional
        Called from the training thread with a :class:`BatchReport` (throttled to every
        ``BATCH_REPORT_INTERVAL`` seconds) and an :class:`EpochReport` after each epoch.
    stop : threading.Event or multiprocessing.Event, optional
        When set, training stops after the current batch; the best weights so far are kept.
    tensorboard_dir : path, optional
        Write standard Keras TensorBoard logs there: loss, accuracy and learning rate per
        epoch (validation too) and every ``TENSORBOARD_BATCH_INTERVAL`` batches, and
        histograms of the weights after every epoch.
    extra : ExtraDigits, optional
        Someone's own digits, added to the training images ``extra.weight`` times each.
    """
    config = config.validated()
    stop = stop or threading.Event()
    # Every random choice is seeded from config.seed where it is made (the model's
    # initializers and dropout, the split, the shuffles, the augmentation): nothing global
    # is reseeded, so callers' own generators are left as they were.
    (x_train, y_train), (x_val, y_val) = split_train_validation(data, config)
    if extra is not None and len(extra.labels):
        x_train = np.concatenate([x_train] + [np.asarray(extra.images, np.float32)] * extra.weight)
        y_train = np.concatenate([y_train] + [np.asarray(extra.labels, np.int32)] * extra.weight)
    if len(x_train) == 0:
        raise TrainingError("no training images left after holding out the validation set")

    model = model if model is not None else build_model(config)
    batches_per_epoch = math.ceil(len(x_train) / config.batch_size)
    model.compile(optimizer=make_optimizer(config, batches_per_epoch),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    batches = training_batches(x_train, y_train, config)
    # Validation runs every epoch: converted once, in pieces, rather than at every epoch.
    monitor = Monitor(config, (_tensor_in_pieces(x_val), y_val), len(x_train),
                      on_batch, on_epoch, stop)
    callbacks = [monitor]
    if tensorboard_dir is not None:
        if tensorboard_missing():
            raise TrainingError(tensorboard_missing())
        # After the monitor, which adds its validation scores to each epoch's logs.
        callbacks.append(_TensorBoard(str(tensorboard_dir), histogram_freq=1,
                                      update_freq=TENSORBOARD_BATCH_INTERVAL))
    started = time.perf_counter()
    try:
        with fused_batch_norm(model):
            # shuffle=False: the batches shuffle themselves (Keras warns otherwise).
            model.fit(batches, epochs=config.epochs, shuffle=False, callbacks=callbacks,
                      verbose=0)
    except MemoryError:
        raise TrainingError("out of memory: try a smaller batch size or model") from None
    if monitor.diverged_at is not None:
        raise TrainingError(f"training diverged: the loss became {monitor.diverged_at[1]} at "
                            f"epoch {monitor.diverged_at[0] + 1}; try a lower learning rate")
    monitor.restore_best()
    result = TrainResult(
        model=model, config=config, history=monitor.history,
        stopped=stop.is_set(), early_stopped=monitor.early_stopped,
        best_epoch=monitor.best_epoch, seconds=time.perf_counter() - started)
    result.val_accuracy = (monitor.best_val_accuracy if monitor.best_epoch is not None
                           else _accuracy(model, x_val, y_val))
    return result


def tensorboard_missing() -> str | None:
    """Why TensorBoard logs cannot be written here, or None when they can."""
    if importlib.util.find_spec("tensorboard") is None:
        # TensorFlow writes summaries through the tensorboard package, which it no longer
        # installs itself.
        return ("writing TensorBoard logs needs the tensorboard package: "
                "pip install tensorboard")
    return None


def training_batches(images: np.ndarray, labels: np.ndarray, config: TrainConfig):
    """One epoch of shuffled training batches per pass, as a tf.data pipeline.

    Plain images are shuffled and gathered inside TensorFlow; with ``augment`` or
    ``not_a_digit`` the batches come from :class:`ShuffledBatches`, one batch prepared
    ahead while the model trains on the current one. Autotuning is off: TensorFlow ends
    an autotuned iterator by waiting out its tuner's sleep, which left the CPU idle for
    1.5-3.5 s at the start of every epoch (Keras's own pipelines autotune).
    """
    import tensorflow as tf

    if config.augment or config.not_a_digit > 0 or config.drawn_digits > 0:
        shuffled = ShuffledBatches(images, labels, config)
        dataset = tf.data.Dataset.from_generator(shuffled.epoch, output_signature=(
            tf.TensorSpec((None,) + images.shape[1:], tf.float32),
            tf.TensorSpec((None,), tf.int32)))
    else:
        all_images, all_labels = _tensor_in_pieces(images), tf.constant(labels, tf.int32)
        dataset = (tf.data.Dataset.range(len(labels))
                   .shuffle(len(labels), seed=config.seed, reshuffle_each_iteration=True)
                   .batch(config.batch_size)
                   .map(lambda picked: (tf.gather(all_images, picked),
                                        tf.gather(all_labels, picked))))
    count = math.ceil(len(labels) / config.batch_size)  # the last batch may be short
    options = tf.data.Options()
    options.autotune.enabled = False
    return (dataset.apply(tf.data.experimental.assert_cardinality(count))
            .prefetch(1).with_options(options))


def _tensor_in_pieces(array: np.ndarray, rows: int = 1000):
    """``array`` as a backend tensor, copied a piece at a time.

    Keras would convert a NumPy training or validation set in one copy that holds Python's
    lock throughout (0.1-0.3 s), freezing a GUI thread that trains in the background;
    pieces of 1000 images hold it for about a millisecond each.
    """
    pieces = [keras.ops.convert_to_tensor(array[i:i + rows]) for i in range(0, len(array), rows)]
    return keras.ops.concatenate(pieces, axis=0)


def save_result(result: TrainResult, data: Mnist, out, **card_extra) -> tuple[dict, object]:
    """Score ``result.model`` on the test set (reported, never used to choose), then save it
    atomically with its card. Returns the saved card and the traced ``Predictor``, which
    callers can reuse instead of tracing the model again."""
    from digitpad.core.registry import save_model

    card, predictor = result_card(result, data, out, **card_extra)
    save_model(result.model, out, card)
    return card, predictor


def result_card(result: TrainResult, data: Mnist, out, **card_extra) -> tuple[dict, object]:
    """The card ``result.model`` is saved with as ``out`` (its test score included), and the
    traced ``Predictor`` that scored it."""
    from digitpad.core.evaluation import evaluate
    from digitpad.core.inference import Predictor
    from digitpad.core.registry import stamp_card

    predictor = Predictor(result.model)
    evaluation = evaluate(predictor, data.test.images, data.test.labels)
    card = {**result.card(), **card_extra, "test_accuracy": evaluation.accuracy,
            "test_errors": evaluation.error_count, "data_sha256": data.checksums()}
    if evaluation.not_a_digit is not None:  # by the verdict's rule, at its default thresholds
        card["test_not_a_digit"] = float(evaluation.rejected_mask.mean())
    else:
        card["limitation"] = NO_NOT_A_DIGIT
    # The card as saved, not as read back: another program may replace the file meanwhile.
    return stamp_card(card, out), predictor


def make_optimizer(config: TrainConfig, batches_per_epoch: int):
    """Keras optimizer for ``config``, with a cosine decay after a short warm-up if asked."""
    learning_rate = config.learning_rate
    if config.lr_schedule == "cosine":
        total = config.epochs * batches_per_epoch
        warmup = min(total // 10, batches_per_epoch)
        learning_rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=config.learning_rate / 10, decay_steps=max(1, total - warmup),
            warmup_target=config.learning_rate, warmup_steps=warmup, alpha=0.002)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if config.optimizer == "nesterov":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    return keras.optimizers.SGD(learning_rate)


def _accuracy(model, images, labels) -> float:
    from digitpad.core.inference import Predictor
    probabilities = Predictor(model).predict(images)
    return float(np.mean(probabilities.argmax(axis=1) == labels))


class _TensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard callback, with every epoch's summaries kept.

    With ``update_freq=N`` Keras writes the epoch summaries while its per-batch condition
    (global batch a multiple of N) is in force, so it drops them for most epochs.
    """

    def on_epoch_end(self, epoch, logs=None):
        with self.summary.record_if(True):
            super().on_epoch_end(epoch, logs)


class ShuffledBatches:
    """Reshuffled every epoch; with ``augment``, distorted and given handwriting styles on
    the fly; with ``drawn_digits``, that share of each batch's digits is drawn as strokes
    in the world's styles; with ``not_a_digit``, each batch also holds synthetic
    non-digits (label 10), none of them a shape a digit style draws."""

    def __init__(self, images, labels, config: TrainConfig):
        from digitpad.core.digit_strokes import make_digits
        from digitpad.core.nondigits import make_nondigits, unlike

        self.images, self.labels = images, labels
        self.batch_size = config.batch_size
        self.augment = config.augment
        self.rng = np.random.default_rng(config.seed + 1)
        self.order = self.rng.permutation(len(labels))
        self.drawn_per_batch = round(self.batch_size * config.drawn_digits)
        self.drawn = make_digits(
            min(DRAWN_DIGIT_POOL, max(64, 2 * self.drawn_per_batch * len(self))),
            seed=config.seed + 3) if self.drawn_per_batch else None
        # Non-digits per batch, so that they make up ``not_a_digit`` of it.
        share = config.not_a_digit
        self.nondigits_per_batch = round(self.batch_size * share / (1 - share))
        self.nondigits = None
        if self.nondigits_per_batch:
            count = min(NONDIGIT_POOL, max(64, 2 * self.nondigits_per_batch * len(self)))
            reference = (self.drawn[0] if self.drawn is not None
                         else make_digits(min(count, DIGIT_REFERENCE), seed=config.seed + 4)[0])
            self.nondigits = unlike(make_nondigits(count, seed=config.seed + 2), reference)

    def __len__(self):
        return math.ceil(len(self.labels) / self.batch_size)

    def __getitem__(self, index):
        picked = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images, labels = self.images[picked], self.labels[picked]
        if self.augment:
            images = apply_styles(images, labels, self.rng)
        if self.drawn is not None:  # stand in for the batch's first digits (it is shuffled)
            chosen = self.rng.integers(0, len(self.drawn[1]), min(self.drawn_per_batch, len(labels)))
            images[:len(chosen)], labels[:len(chosen)] = self.drawn[0][chosen], self.drawn[1][chosen]
        if self.nondigits is not None:
            chosen = self.rng.integers(0, len(self.nondigits), self.nondigits_per_batch)
            images = np.concatenate([images, self.nondigits[chosen]])
            labels = np.concatenate([labels, np.full(len(chosen), NOT_A_DIGIT, labels.dtype)])
        if self.augment:
            images = random_affine(images, self.rng)
        return images, labels

    def epoch(self):
        """This epoch's batches in order; the next epoch is shuffled afresh."""
        for index in range(len(self)):
            yield self[index]
        self.order = self.rng.permutation(len(self.labels))


class Monitor(keras.callbacks.Callback):
    """Reports progress, validates, keeps the best weights, and obeys ``stop``.

    Validation runs here rather than through ``fit(validation_data=...)`` so that a
    stop skips it: Keras would otherwise validate the interrupted epoch first.
    """

    def __init__(self, config, validation, train_size, on_batch, on_epoch, stop):
        super().__init__()
        self.config = config
        self.x_val, self.y_val = validation
        self.train_size = train_size
        self.batches_per_epoch = math.ceil(train_size / config.batch_size)
        self.on_batch, self.on_epoch, self.stop = on_batch, on_epoch, stop
        self.history: list[EpochReport] = []
        self.best_val_accuracy = -1.0
        self.best_epoch: int | None = None
        self.best_weights = None
        self.early_stopped = False
        self.diverged_at: tuple[int, float] | None = None  # (epoch, loss) when loss went NaN/inf
        self.seen_batches = 0
        self.last_report = 0.0
        self.reported = (0, 0.0, 0.0)  # this epoch's images, loss sum, hits at the last report
        self.epoch = 0
        self.epoch_started = 0.0
        self.train_started = 0.0

    def on_train_begin(self, logs=None):
        self.train_started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_started = time.perf_counter()
        self.reported = (0, 0.0, 0.0)

    def on_train_batch_end(self, batch, logs=None):
        self.seen_batches += 1
        if self.stop.is_set():
            self.model.stop_training = True  # Keras checks this after every batch
        if not math.isfinite(float(logs["loss"])):
            self.diverged_at = (self.epoch, float(logs["loss"]))
            self.model.stop_training = True
            return
        now = time.perf_counter()
        last_batch = batch == self.batches_per_epoch - 1
        if self.on_batch and (last_batch or now - self.last_report >= BATCH_REPORT_INTERVAL):
            self.last_report = now
            # Keras's running means weigh each batch by its images: undo them into sums.
            images = min((batch + 1) * self.config.batch_size, self.train_size)
            loss_sum, hits = float(logs["loss"]) * images, float(logs["accuracy"]) * images
            before, loss_before, hits_before = self.reported
            self.reported = (images, loss_sum, hits)
            window = images - before  # at least one batch: images only grow within an epoch
            self.on_batch(BatchReport(self.epoch, batch, self.batches_per_epoch,
                                      (loss_sum - loss_before) / window,
                                      (hits - hits_before) / window, self.seen_batches))

    def on_epoch_end(self, epoch, logs=None):
        if self.stop.is_set() or self.diverged_at is not None:
            return  # an interrupted epoch is neither validated nor reported
        val_loss, val_accuracy = self.model.evaluate(
            self.x_val, self.y_val, batch_size=1024, verbose=0)
        # Shared with the callbacks after this one (TensorBoard logs them as validation).
        logs.update(val_loss=float(val_loss), val_accuracy=float(val_accuracy))
        improved = val_accuracy > self.best_val_accuracy
        if improved:
            self.best_val_accuracy, self.best_epoch = float(val_accuracy), epoch
            self.best_weights = self.model.get_weights()
        elif (self.config.patience and self.best_epoch is not None
              and epoch - self.best_epoch >= self.config.patience):
            self.early_stopped = True
            self.model.stop_training = True
        now = time.perf_counter()
        done = epoch + 1
        report = EpochReport(
            epoch=epoch, epochs=self.config.epochs,
            loss=float(logs["loss"]), accuracy=float(logs["accuracy"]),
            val_loss=float(val_loss), val_accuracy=float(val_accuracy),
            learning_rate=float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
            seconds=now - self.epoch_started,
            eta_seconds=(now - self.train_started) / done * (self.config.epochs - done),
            improved=improved)
        self.history.append(report)
        if self.on_epoch:
            self.on_epoch(report)

    def restore_best(self):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
