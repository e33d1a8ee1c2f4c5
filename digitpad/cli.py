"""digitpad-train: train a digit model from a terminal (same code as the GUI's Train tab)."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from digitpad import paths
from digitpad.core.config import ACTIVATIONS, LR_SCHEDULES, OPTIMIZERS, TrainConfig, preset_config
from digitpad.core.data import DATA_ENV_VAR, load_mnist
from digitpad.core.errors import ConfigError, DataError
from digitpad.core.presets import PRESETS
from digitpad.core.quiet_keras import import_keras_quietly
from digitpad.core.registry import release_model_path, reserve_model_path

BAR_WIDTH = 24
EXPERIMENTS = (  # the classic study: one change at a time from the preset's defaults
    ("batch_size", (32, 128, 512)),
    ("activation", ("relu", "sigmoid", "tanh")),
    ("optimizer", ("sgd", "adam", "rmsprop")),
)


def build_parser() -> argparse.ArgumentParser:
    presets = "\n".join(f"  {p.name:<7} {p.description}" for p in PRESETS.values())
    parser = argparse.ArgumentParser(
        prog="digitpad-train",
        description="Train a handwritten-digit model on MNIST and save it with its model card.",
        epilog=f"architectures:\n{presets}\n\nUnset options take the architecture's defaults. "
               f"Ctrl-C stops after the current batch and keeps the best model so far.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=list(PRESETS),
                        help="architecture preset (default: the --init model's, else quick)")
    parser.add_argument("--data", metavar="DIR",
                        help=f"folder with the four MNIST IDX files (default: ${DATA_ENV_VAR}, "
                             f"then {paths.user_mnist_dir()})")
    parser.add_argument("--no-download", action="store_true",
                        help="never download MNIST, even when it is not found")
    parser.add_argument("--out", metavar="FILE",
                        help=f"where to save the .keras model (default: "
                             f"{paths.user_models_dir()}/ARCH-DATE.keras)")
    parser.add_argument("--init", metavar="FILE",
                        help="start from this saved model's weights instead of a fresh model "
                             "(fine-tuning; its weights must fit the architecture)")
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="write TensorBoard logs of the run to DIR (scalars per epoch and "
                             "per batch, weight histograms); view with tensorboard --logdir DIR")
    parser.add_argument("--adapt", metavar="FILE",
                        help="adapt the model in --init (default: the shipped one) to the "
                             "digits in FILE (a digits file exported from the app, or "
                             '{"format": "digitpad-digits", "version": 1, "samples": '
                             '[{"label": 7, "strokes": [[[x, y], ...], ...]}, ...]}) and '
                             "save it as --out; prints held-out digits and MNIST before/after")
    parser.add_argument("--holdout", type=float, default=0.2, metavar="SHARE",
                        help="with --adapt: share of each digit held out to measure on "
                             "(digits with two or more samples; default 0.2)")
    parser.add_argument("--adapt-steps", type=int, metavar="N",
                        help="with --adapt: fine-tuning steps (default: the measured method's)")
    parser.add_argument("--my-digits", metavar="FILE",
                        help="add the digits in FILE (a digits file) to the training images")
    parser.add_argument("--my-digits-weight", type=int, default=20, metavar="N",
                        help="with --my-digits: each of them counts as N training images "
                             "(default 20)")
    parser.add_argument("--piece-judge", metavar="FILE",
                        help="train the piece judge (which cuts of touching digits in number "
                             "images are whole digits; ships as resources/piece_judge.keras) "
                             "on numbers composed of MNIST training digits; save it as FILE")
    parser.add_argument("--experiments", action="store_true",
                        help="run the hyper-parameter study (batch size, activation, optimizer) "
                             "on --arch and print a markdown table; saves no model")
    hyper = parser.add_argument_group("hyper-parameters (default: the preset's)")
    hyper.add_argument("--epochs", type=int, help="passes over the training set")
    hyper.add_argument("--batch-size", type=int, help="images per gradient step")
    hyper.add_argument("--optimizer", choices=OPTIMIZERS, help="nesterov = SGD with Nesterov momentum")
    hyper.add_argument("--learning-rate", type=float, help="peak learning rate")
    hyper.add_argument("--lr-schedule", choices=LR_SCHEDULES,
                       help="cosine: short warm-up, then cosine decay to almost zero")
    hyper.add_argument("--activation", choices=ACTIVATIONS, help="hidden-layer activation")
    hyper.add_argument("--l2", type=float, help="L2 weight penalty")
    hyper.add_argument("--dropout", type=float, help="dropout rate before the output layer(s)")
    hyper.add_argument("--augment", action=argparse.BooleanOptionalAction,
                       help="random small shifts, rotations, zooms and shears of training images")
    hyper.add_argument("--not-a-digit", type=float, metavar="SHARE",
                       help="share of each batch that is synthetic non-digits (letters, "
                            "symbols, scribbles); above 0 the model learns a not-a-digit class")
    hyper.add_argument("--drawn-digits", type=float, metavar="SHARE",
                       help="share of each batch's digits drawn as pen strokes in the world's "
                            "handwriting styles (long-flag 1s, crossed 7s, closed 4s...)")
    hyper.add_argument("--patience", type=int,
                       help="stop after this many epochs without validation gain (0 = never)")
    hyper.add_argument("--validation-fraction", type=float,
                       help="share of the 60k training images held out for validation")
    hyper.add_argument("--train-size", type=int, help="training images to use (0 = all)")
    hyper.add_argument("--seed", type=int, help="random seed for weights, split and shuffling")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The preset's defaults with every option the user gave applied."""
    fields = TrainConfig.__dataclass_fields__
    overrides = {name: value for name, value in vars(args).items()
                 if name in fields and name != "arch" and value is not None}
    return preset_config(args.arch, **overrides)


class ProgressPrinter:
    """A one-line progress bar per epoch with loss, accuracy and ETA."""

    def __init__(self, config: TrainConfig, stream=None):
        self.config, self.stream = config, stream or sys.stdout
        self.epoch_started = time.perf_counter()
        self.interactive = self.stream.isatty()

    def on_batch(self, report) -> None:
        if report.batch == 0:
            self.epoch_started = time.perf_counter()
        if not self.interactive:
            return
        done = (report.batch + 1) / report.batches_per_epoch
        elapsed = time.perf_counter() - self.epoch_started
        eta = elapsed / done * (1 - done)
        filled = int(BAR_WIDTH * done)
        self.stream.write(f"\repoch {report.epoch + 1}/{self.config.epochs} "
                          f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                          f"{report.batch + 1}/{report.batches_per_epoch} "
                          f"loss {report.loss:.4f} acc {report.accuracy:.4f} "
                          f"ETA {_duration(eta)}   ")
        self.stream.flush()

    def on_epoch(self, report) -> None:
        mark = " *" if report.improved else ""
        self.stream.write(f"\repoch {report.epoch + 1}/{report.epochs}: "
                          f"loss {report.loss:.4f} acc {report.accuracy:.4f} | "
                          f"val loss {report.val_loss:.4f} val acc {report.val_accuracy:.4f} | "
                          f"lr {report.learning_rate:.2e} | {report.seconds:.0f}s, "
                          f"ETA {_duration(report.eta_seconds)}{mark}".ljust(100) + "\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Terminated(BaseException):
    """SIGTERM arrived: unwind (removing temporary files) and exit. A BaseException, so
    that no ``except Exception`` on the way swallows it."""


def _terminate(signum, frame):
    raise Terminated


def _stop_on_ctrl_c(stop: threading.Event) -> None:
    """First Ctrl-C asks training to stop after the batch; a second one aborts."""
    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("\nStopping after this batch (Ctrl-C again to abort)...", flush=True)
    signal.signal(signal.SIGINT, handler)


def out_problem(out: Path) -> str | None:
    """Why the model cannot be saved as ``out``, or None: checked before any work is done."""
    if out.is_dir():
        return f"--out {out} is a folder; name the .keras file to write"
    if out.suffix != ".keras":
        return f"--out must end in .keras, got {out}"
    existing = out.parent
    while not existing.exists():  # the folders that do not exist yet are created on saving
        existing = existing.parent
    if not existing.is_dir():
        return f"--out {out}: {existing} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"--out {out}: cannot write in {existing} ({exc.strerror or exc})"
    return None


def describe_run(config: TrainConfig, data) -> str:
    """What is about to happen, counting the images actually trained on."""
    from digitpad.core.training import split_sizes

    n_train, n_val = split_sizes(len(data.train), config)
    epochs = "1 epoch" if config.epochs == 1 else f"{config.epochs} epochs"
    return (f"Training {config.arch} for up to {epochs} on {n_train:,} images "
            f"({n_val:,} held out for validation) from {data.folder}")


def run_training(config: TrainConfig, data, out: Path, init: str | None = None,
                 tensorboard: str | None = None, my_digits: str | None = None,
                 my_digits_weight: int = 1) -> int:
    from digitpad.adapt_cli import read_my_digits
    from digitpad.core.digits_file import DigitsFileError
    from digitpad.core.errors import CardNotWritten, ModelError, TrainingError
    from digitpad.core.model_file import read_model_file
    from digitpad.core.registry import load_model_from
    from digitpad.core.training import ExtraDigits, save_result, train

    model, initialised_from, extra, card_extra = None, None, None, {}
    if my_digits:
        try:
            extra = ExtraDigits(*read_my_digits(my_digits), weight=my_digits_weight)
        except DigitsFileError as exc:
            print(f"digitpad-train: {exc}", file=sys.stderr)
            return 1
        card_extra["my_digits"] = {"file": str(my_digits), "count": len(extra.labels),
                                   "weight": my_digits_weight}
    if init:
        try:
            model_file = read_model_file(init)  # one read: the card is that model's
            model = load_model_from(model_file)
        except ModelError as exc:
            print(f"digitpad-train: {exc}", file=sys.stderr)
            return 1
        initialised_from = {"file": str(init), "card": model_file.card}
        if initialised_from["card"].get("architecture") not in (None, config.arch):
            print(f"digitpad-train: {init} is a {initialised_from['card']['architecture']} "
                  f"model, not {config.arch}", file=sys.stderr)
            return 2
        problem = init_problem(model, config)
        if problem:  # the card may be missing or wrong: the weights decide
            print(f"digitpad-train: --init {init}: {problem}", file=sys.stderr)
            return 2
    stop = threading.Event()
    _stop_on_ctrl_c(stop)
    printer = ProgressPrinter(config)
    print(describe_run(config, data), flush=True)
    if extra is not None:
        print(f"with {len(extra.labels)} of your digits from {my_digits}, each counted "
              f"{my_digits_weight} times", flush=True)
    try:
        result = train(config, data, model=model, on_batch=printer.on_batch,
                       on_epoch=printer.on_epoch, stop=stop, tensorboard_dir=tensorboard,
                       extra=extra)
    except TrainingError as exc:
        print(f"\ndigitpad-train: {exc}", file=sys.stderr)
        return 1
    if not result.has_model:
        print("\nStopped before the first epoch ended: no model was saved.")
        return 1
    if result.stopped:
        print("Stopped by user; keeping the best model so far.")
    try:
        card, _ = save_result(result, data, out, initialised_from=initialised_from,
                              **card_extra)
    except CardNotWritten as exc:  # the model is saved, its card inside it
        print(f"digitpad-train: {exc}", file=sys.stderr)
        return 0
    except (OSError, ModelError) as exc:
        print(f"digitpad-train: could not save {out}: {exc}", file=sys.stderr)
        return 1
    print(f"validation accuracy {result.val_accuracy:.4f}, test accuracy "
          f"{card['test_accuracy']:.4f} ({card['test_errors']} errors), "
          f"{result.seconds:.0f}s of training")
    if "test_not_a_digit" in card:
        print(f"test digits the verdict would answer 'not a digit': "
              f"{card['test_not_a_digit']:.2%}")
    print(f"saved {out} and {out.with_suffix('.json').name}")
    return 0


def init_problem(model, config: TrainConfig) -> str | None:
    """Why the weights of ``model`` cannot start a run of ``config``, or None.

    Training starts from ``model`` as it is: with another architecture's weights it would
    train anyway, and score nothing (validation 0%).
    """
    from digitpad.core.architectures import build_model

    expected = [tuple(w.shape) for w in build_model(config).weights]
    found = [tuple(w.shape) for w in model.weights]
    if expected == found:
        return None
    return (f"its weights ({len(found)} arrays, {_shapes_summary(found)}) do not fit the "
            f"{config.arch} architecture ({len(expected)} arrays, {_shapes_summary(expected)}); "
            f"give the --arch it was trained with")


def _shapes_summary(shapes: list[tuple[int, ...]]) -> str:
    first = ", ".join("x".join(map(str, shape)) for shape in shapes[:3])
    return first + (", ..." if len(shapes) > 3 else "")


def init_architecture(init: str) -> str | None:
    """The preset named by the card of the model in ``init``, if it names one."""
    from digitpad.core.registry import load_card

    arch = load_card(init).get("architecture")
    return arch if arch in PRESETS else None


def run_experiments(base: TrainConfig, data) -> int:
    from digitpad.core.errors import TrainingError
    from digitpad.core.evaluation import evaluate
    from digitpad.core.inference import Predictor
    from digitpad.core.training import train

    stop = threading.Event()
    _stop_on_ctrl_c(stop)
    rows = []
    for field, values in EXPERIMENTS:
        for value in values:
            if stop.is_set():
                break
            config = base.replace(**{field: value})
            print(f"{field} = {value} ...", flush=True)
            try:
                result = train(config, data, stop=stop)
            except TrainingError as exc:
                print(f"  {exc}", flush=True)  # one setting failed; the study goes on
                continue
            test = evaluate(Predictor(result.model), data.test.images, data.test.labels)
            rows.append((field, value, result.val_accuracy, test.accuracy, result.seconds))
    print(f"\n{base.arch}: {base.epochs} epochs, otherwise the preset's defaults\n")
    print("| setting | value | val acc | test acc | time (s) |")
    print("| --- | --- | --- | --- | --- |")
    for field, value, val_acc, test_acc, seconds in rows:
        print(f"| {field} | {value} | {val_acc:.4f} | {test_acc:.4f} | {seconds:.1f} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit code. Ctrl-C twice or SIGTERM end it with one line, the
    files being written removed as it unwinds."""
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, _terminate)
    reserved: list[Path] = []
    try:
        return _run(argv, reserved)
    except KeyboardInterrupt:
        print("\ndigitpad-train: aborted; no model was saved", file=sys.stderr)
        return 130
    except Terminated:
        print("\ndigitpad-train: terminated; no model was saved", file=sys.stderr)
        return 128 + signal.SIGTERM
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        for path in reserved:
            release_model_path(path)  # only if nothing was saved there


def _run(argv: list[str] | None, reserved: list[Path]) -> int:
    args = build_parser().parse_args(argv)
    if args.arch is None:
        args.arch = (init_architecture(args.init) if args.init else None) or "quick"
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        print(f"digitpad-train: invalid --{exc.field_name.replace('_', '-')}: {exc.message}",
              file=sys.stderr)
        return 2
    if args.my_digits_weight < 1:
        print("digitpad-train: invalid --my-digits-weight: must be 1 or more", file=sys.stderr)
        return 2
    if not 0 <= args.holdout < 1:
        print("digitpad-train: invalid --holdout: must be >= 0 and < 1", file=sys.stderr)
        return 2
    if args.piece_judge:
        out = Path(args.piece_judge).expanduser()
        problem = out_problem(out)
    elif args.out or args.experiments:
        out = Path(args.out).expanduser() if args.out else None
        problem = out and out_problem(out)
    else:  # a new name, reserved: another run started this second gets another one
        stem = f"{'adapted' if args.adapt else config.arch}-{datetime.now():%Y%m%d-%H%M%S}"
        try:
            out, problem = reserve_model_path(paths.user_models_dir(), stem), None
            reserved.append(out)
        except OSError as exc:
            out, problem = None, (f"cannot write a model into {paths.user_models_dir()} "
                                  f"({exc.strerror or exc}); give --out FILE")
    if problem:
        print(f"digitpad-train: {problem}", file=sys.stderr)
        return 2
    try:
        data = load_mnist(args.data, download=not args.no_download, progress=_print_download)
    except DataError as exc:
        print(f"digitpad-train: {exc}", file=sys.stderr)
        return 1
    import_keras_quietly()
    from digitpad.core.training import tensorboard_missing
    if args.tensorboard and tensorboard_missing():
        print(f"digitpad-train: --tensorboard: {tensorboard_missing()}", file=sys.stderr)
        return 2
    if args.adapt:
        from digitpad.adapt_cli import run_adaptation
        return run_adaptation(args.adapt, args.init, data, out, args.holdout, _stop_on_ctrl_c,
                              args.adapt_steps)
    if args.experiments:
        return run_experiments(config, data)
    if args.piece_judge:
        from digitpad.core.errors import ModelError
        from digitpad.core.piece_judge import train_judge
        try:
            card = train_judge(data.train.images, data.train.labels, out, seed=config.seed,
                               report=lambda line: print(line, flush=True))
        except (OSError, ModelError) as exc:
            print(f"digitpad-train: could not save {out}: {exc}", file=sys.stderr)
            return 1
        print(f"held-out accuracy {card['held_out_accuracy']:.4f}; saved {out}")
        return 0
    return run_training(config, data, out, args.init, args.tensorboard, args.my_digits,
                        args.my_digits_weight)


def _print_download(name: str, done: int, total: int) -> None:
    share = f"{done / total:.0%}" if total else f"{done // 1024} KiB"
    print(f"\rdownloading {name}: {share}", end="", flush=True)
    if total and done >= total:
        print()


if __name__ == "__main__":
    sys.exit(main())
