"""Exports: each format read back by its own runtime gives the Keras model's answers, the
card goes along, a mismatch deletes the file, and a wrong OUT is one clear line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from digitpad.export import target as export_target
from digitpad.export import verify
from digitpad.export.card import NOT_A_DIGIT
from digitpad.export.exporter import export_model
from digitpad.export.target import ExportError
from digitpad.export.verify import predict, runner

RNG = np.random.default_rng(7)


def _randomise_batch_norm(model):
    """Trained-looking statistics: a fresh model's BN is the identity and hides mistakes."""
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, mean, variance = layer.get_weights()
            size = gamma.shape
            layer.set_weights([RNG.uniform(0.5, 1.5, size), RNG.normal(0, 0.3, size),
                               RNG.normal(0, 0.3, size), RNG.uniform(0.5, 2, size)])


def _save(model, path: Path, card: dict) -> Path:
    from digitpad.core.registry import save_model
    return save_model(model, path, card)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A small logits model (10 classes, 28x28 input) and a small not-a-digit model."""
    import keras
    from keras import layers

    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(3)
    logits = keras.Sequential([
        keras.Input((28, 28)), layers.Reshape((28, 28, 1)),
        layers.Conv2D(6, 3, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.Activation("relu"),
        layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10)])  # no softmax: the export adds it
    nad = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(8, 5, strides=2, activation="relu"),
        layers.BatchNormalization(), layers.Conv2D(16, 3, activation="relu"),  # 1152 weights:
        layers.GlobalAveragePooling2D(), layers.Dropout(0.2),  # quantised (1024 or more)
        layers.Dense(11, activation="softmax")])
    for model in (logits, nad):
        _randomise_batch_norm(model)
    return {"logits": _save(logits, folder / "logits.keras", {"test_accuracy": 0.5}),
            "nad": _save(nad, folder / "nad.keras",
                         {"test_accuracy": 0.25, "thresholds": {"not_a_digit": 0.4}})}


def _keras_probabilities(model_path, images):
    """What the Keras model says, as probabilities (the export adds a softmax to logits)."""
    import keras
    from digitpad.core.registry import load_model
    model = load_model(model_path)
    outputs = model.predict(images.reshape((-1,) + tuple(model.inputs[0].shape[1:])),
                            verbose=0)
    if model_path.stem == "logits":
        outputs = keras.ops.softmax(outputs)
    return np.asarray(outputs)


def _images(count=40):
    images = RNG.random((count, 28, 28, 1), dtype=np.float32)
    images[: count // 2] *= images[: count // 2] > 0.7  # sparse, stroke-like
    return images


@pytest.mark.parametrize("out, writer", [("m.onnx", "keras"), ("m.onnx", "direct"),
                                         ("m.tflite", "auto"), ("saved", "auto")])
@pytest.mark.parametrize("kind", ["logits", "nad"])
def test_round_trip_gives_keras_answers(models, tmp_path, out, writer, kind):
    result = export_model(models[kind], tmp_path / out, onnx_writer=writer,
                          data_folder=None)
    run, _ = runner(result.path, result.format)
    images = _images()
    got = predict(run, images)
    expected = _keras_probabilities(models[kind], images)
    assert got.shape == (len(images), 11 if kind == "nad" else 10)
    assert np.abs(got - expected).max() <= 1e-4
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert result.card["verified"]["max_abs_diff"] <= 1e-4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


@pytest.mark.parametrize("out", ["m.onnx", "m.tflite", "saved"])
def test_the_card_goes_along(models, tmp_path, out):
    result = export_model(models["nad"], tmp_path / out)
    if result.format == export_target.ONNX:
        import onnx
        props = {p.key: p.value for p in onnx.load(str(result.path)).metadata_props}
        card = {key: json.loads(value) if key not in ("name", "format", "exported",
                                                      "exported_by", "verdict") else value
                for key, value in props.items()}
        assert result.card_path is None
    else:
        assert result.card_path == tmp_path / f"{Path(out).stem}.json"
        card = json.loads(result.card_path.read_text())
    assert card["name"] == "nad" and card["format"] == result.format
    assert card["input"]["shape"] == [None, 28, 28, 1] and card["input"]["range"] == [0, 1]
    assert card["outputs"]["columns"][-1] == NOT_A_DIGIT
    assert len(card["outputs"]["columns"]) == 11
    assert card["thresholds"]["not_a_digit"] == 0.4 and card["test_accuracy"] == 0.25
    assert card["verified"]["images"] == verify.VERIFY_IMAGES


def test_a_ten_class_card_has_no_not_a_digit_column(models, tmp_path):
    card = export_model(models["logits"], tmp_path / "m.tflite").card
    assert card["outputs"]["columns"] == [str(d) for d in range(10)]


@pytest.mark.parametrize("tflite_type, stored", [("float16", np.float16), ("int8", np.int8)])
def test_quantised_tflite_stores_smaller_weights_and_stays_close(models, tmp_path,
                                                                  tflite_type, stored):
    from ai_edge_litert.interpreter import Interpreter
    result = export_model(models["nad"], tmp_path / "small.tflite", tflite_type=tflite_type)
    tensors = Interpreter(model_path=str(result.path)).get_tensor_details()
    assert any(t["dtype"] == stored for t in tensors)
    assert result.card["quantization"] == export_target.TFLITE_TYPES[tflite_type]
    assert result.card["verified"]["max_abs_diff"] <= verify.TOLERANCE[tflite_type]


@pytest.mark.parametrize("tflite_type", ["float16", "int8"])
def test_a_quantised_export_reports_its_mnist_test_accuracy(models, tmp_path, mnist_folder,
                                                            tflite_type):
    result = export_model(models["nad"], tmp_path / "small.tflite", tflite_type=tflite_type,
                          data_folder=mnist_folder)
    measured = result.card["measured_test_accuracy"]
    assert measured["images"] == 10_000 and abs(measured["export"] - measured["keras"]) < 0.05
    assert "MNIST test accuracy" in result.lines[-1]


def test_a_mismatch_deletes_the_export_and_says_so(models, tmp_path, monkeypatch):
    (tmp_path / "m.onnx").write_bytes(b"the previous export")

    def wrong_runner(path, fmt):
        run, name = runner(path, fmt)
        return (lambda x: run(x)[:, ::-1]), name
    monkeypatch.setattr("digitpad.export.exporter.runner", wrong_runner)
    with pytest.raises(ExportError, match="other answers than Keras.*deleted"):
        export_model(models["logits"], tmp_path / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
    assert (tmp_path / "m.onnx").read_bytes() == b"the previous export"


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "digitpad.export", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("make_out, problem", [
    (lambda tmp: tmp / "m.pb", "unknown format '.pb'"),
    (lambda tmp: tmp / "a-file" / "m.onnx", "is a file, not a folder"),
    (lambda tmp: tmp / "folder.onnx", "is a folder"),
    (lambda tmp: tmp / "full", "holds files that are not a SavedModel"),
    (lambda tmp: tmp / "a-file", "a SavedModel is a folder"),
    (lambda tmp: Path("/proc/digitpad-export/m.tflite"), "cannot write in /proc"),
])
def test_a_bad_out_is_one_clear_line(tmp_path, make_out, problem):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "folder.onnx").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    done = _cli(Path(__file__).parents[2] / "models" / "default.keras", make_out(tmp_path))
    assert done.returncode == 1 and done.stdout == ""
    assert problem in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


def test_a_missing_model_is_one_clear_line(tmp_path):
    done = _cli(tmp_path / "nothing.keras", tmp_path / "m.onnx")
    assert done.returncode == 1 and "model file not found" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "m.onnx").exists()


def test_a_bad_out_fails_before_tensorflow_loads(tmp_path):
    code = ("import sys; from digitpad.export.cli import main; "
            f"main(['models/default.keras', {str(tmp_path / 'm.txt')!r}]); "
            "print('tensorflow' in sys.modules, 'onnx' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).parents[2])
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.heavy
@pytest.mark.parametrize("out", ["x.onnx", "x.tflite", "saved"])
def test_shipped_model_exports_equal_keras_on_mnist(tmp_path, mnist, mnist_folder, out):
    import keras
    shipped = Path(__file__).parents[2] / "models" / "default.keras"
    done = _cli(shipped, tmp_path / out, "--data", mnist_folder)
    assert done.returncode == 0, done.stderr
    assert "verified with" in done.stdout
    images = mnist.test.images[:1000].astype(np.float32) / 255
    expected = keras.saving.load_model(shipped).predict(images, verbose=0)
    fmt = export_target.resolve(tmp_path / out).format
    run, _ = runner(tmp_path / out, fmt)
    got = predict(run, images[..., None])
    assert np.abs(got - expected).max() <= 1e-4
    assert (got.argmax(1) == expected.argmax(1)).all()


def test_the_windows_side_of_exporting_loads_no_converter_or_runtime():
    # The window imports these; TensorFlow and the converters belong to the export process.
    code = ("import sys; import digitpad.export, digitpad.export.cli, digitpad.export.job, "
            "digitpad.export.target, digitpad.gui.export_dialog, digitpad.gui.export_session; "
            "print(' '.join(sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    heavy = {"tensorflow", "keras", "onnx", "onnxruntime", "tf2onnx", "ai_edge_litert"}
    assert not heavy & set(done.stdout.split())


def _layer_zoo(name):
    """Small models with the layers digitpad's ONNX writer handles, in awkward orders."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(5)
    return {
        "conv": lambda: keras.Sequential([
            keras.Input((28, 28, 1)), layers.Rescaling(0.5, offset=0.1),
            layers.Conv2D(4, 3, padding="same", activation="silu"), layers.AveragePooling2D(2),
            layers.LeakyReLU(0.1), layers.Conv2D(6, 3, strides=2, padding="same"),
            layers.Activation("relu6"), layers.BatchNormalization(), layers.Flatten(),
            layers.Dense(16, activation="tanh"), layers.BatchNormalization(),
            layers.Dense(10, activation="softmax")]),
        "dense": lambda: keras.Sequential([
            keras.Input((784,)), layers.Dense(32, activation="elu"), layers.ReLU(),
            layers.Dense(11, activation="sigmoid")]),  # not a softmax: the export adds one
        "pools": lambda: keras.Sequential([
            keras.Input((28, 28)), layers.Reshape((28, 28, 1)),
            layers.Conv2D(4, 5, activation="leaky_relu"),
            layers.MaxPooling2D(3, strides=2, padding="same"),
            layers.GlobalMaxPooling2D(keepdims=True), layers.Flatten(),
            layers.Dense(10), layers.Softmax()]),
    }[name]()


@pytest.mark.parametrize("name", ["conv", "dense", "pools"])
def test_the_onnx_writer_follows_keras_layer_by_layer(tmp_path, name):
    import keras
    import onnxruntime
    from digitpad.export.onnx_graph import write_onnx_direct

    model = _layer_zoo(name)
    _randomise_batch_norm(model)
    write_onnx_direct(model, tmp_path / "m.onnx", opset=17)
    images = _images()
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"),
                                           providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": images})[0]
    expected = model.predict(images.reshape((-1,) + tuple(model.inputs[0].shape[1:])),
                             verbose=0)
    if name == "dense":
        expected = keras.ops.softmax(expected)
    assert np.abs(got - np.asarray(expected)).max() <= 1e-5


def test_the_onnx_writer_names_a_layer_it_cannot_write(tmp_path):
    import keras
    from digitpad.export.onnx_graph import write_onnx_direct

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.LSTM(4, name="memory"),
                              keras.layers.Dense(10, activation="softmax")])
    with pytest.raises(ExportError, match="'memory' \\(LSTM\\)"):
        write_onnx_direct(model, tmp_path / "m.onnx", opset=17)
    assert not (tmp_path / "m.onnx").exists()
