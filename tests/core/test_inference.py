import numpy as np
import pytest

from digitpad.core.architectures import build_model, preset_config
from digitpad.core import inference
from digitpad.core.inference import Predictor


@pytest.fixture(scope="module")
def quick_model():
    return build_model(preset_config("quick"))


def test_predictor_matches_model_predict(quick_model):
    images = np.random.default_rng(0).random((1500, 28, 28), dtype=np.float32)
    expected = quick_model.predict(images, verbose=0)
    predictor = Predictor(quick_model)
    got = predictor.predict(images)
    assert got.shape == (1500, 10) and got.dtype == np.float32
    assert np.allclose(got, expected, atol=1e-5)
    assert np.allclose(predictor.predict_one(images[7]), expected[7], atol=1e-5)


def test_probabilities_sum_to_one(quick_model):
    probabilities = Predictor(quick_model).predict(np.zeros((4, 28, 28), np.float32))
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)


def test_logit_models_are_normalised():
    import keras
    logits = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                               keras.layers.Dense(10, bias_initializer="random_normal")])
    probabilities = Predictor(logits).predict(np.ones((2, 28, 28), np.float32))
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5) and (probabilities >= 0).all()


def test_logits_that_look_like_probabilities_still_get_a_softmax(tmp_path):
    """Softmax or not is decided by the model's last layer, never by its outputs' values."""
    import keras
    logits = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                               keras.layers.Dense(10, kernel_initializer="zeros")])
    bias = np.zeros(10, np.float32)
    bias[:2] = 0.5  # outputs >= 0 that sum to 1, yet logits
    logits.layers[-1].set_weights([np.zeros((784, 10), np.float32), bias])
    expected = np.exp(bias) / np.exp(bias).sum()
    logits.save(tmp_path / "logits.keras")
    for predictor in (Predictor(logits), Predictor.load(tmp_path / "logits.keras")):
        for count in (1, 200, 600):  # one image, the thread pool, the Keras graph
            probabilities = predictor.predict(np.zeros((count, 28, 28), np.float32))
            assert np.allclose(probabilities, expected, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_batch_norm_after_an_activated_layer_matches_keras(activation, tmp_path):
    """Conv2D(relu) -> BatchNormalization, the most common MNIST CNN, and the same for Dense:
    BN cannot fold into a layer with its own activation, so it runs as a step of its own."""
    import keras
    rng = np.random.default_rng(3)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation=activation),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(8, 3, strides=2, activation=activation),
        keras.layers.BatchNormalization(),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation=activation),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model = _randomise_batch_norm(model, rng)
    images = rng.random((40, 28, 28), dtype=np.float32)
    expected = np.asarray(model(images[..., None], training=False))
    model.save(tmp_path / "m.keras")
    for predictor in (Predictor(model), Predictor.load(tmp_path / "m.keras")):
        assert np.abs(predictor.predict(images) - expected).max() <= 1e-5


@pytest.mark.parametrize("bad", [np.zeros((28, 28)), np.zeros((2, 27, 28)), np.full((1, 28, 28), np.nan)])
def test_bad_batches_raise_value_error(quick_model, bad):
    with pytest.raises(ValueError):
        Predictor(quick_model).predict(bad)


def test_bad_single_image(quick_model):
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        Predictor(quick_model).predict_one(np.zeros((1, 28, 28)))


def test_empty_batch(quick_model):
    assert Predictor(quick_model).predict(np.zeros((0, 28, 28))).shape == (0, 10)


def _randomise_batch_norm(model, rng):
    """Non-trivial moving statistics, so that folding them into convolutions is tested."""
    import keras
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            *affine, mean, variance = layer.get_weights()  # gamma and beta may be absent
            layer.set_weights([rng.normal(0.5, 0.2, w.shape) for w in affine]
                              + [rng.normal(0, 0.2, mean.shape), rng.uniform(0.5, 2, variance.shape)])
    return model


@pytest.mark.parametrize("arch", ["linear", "mlp", "funnel", "dnn", "quick", "strong"])
def test_numpy_forward_pass_matches_keras_for_every_preset(arch, tmp_path):
    rng = np.random.default_rng(1)
    model = _randomise_batch_norm(build_model(preset_config(arch)), rng)
    images = rng.random((70, 28, 28), dtype=np.float32)
    outputs = np.asarray(model(images, training=False))
    # Digits' probabilities given a digit, and the not-a-digit class (0 for 10 outputs).
    expected = outputs[:, :10] / outputs[:, :10].sum(axis=1, keepdims=True)
    expected_not_a_digit = outputs[:, 10] if outputs.shape[1] == 11 else np.zeros(len(images))
    model.save(tmp_path / "m.keras")
    for predictor in (Predictor(model), Predictor.load(tmp_path / "m.keras")):
        probabilities, not_a_digit = predictor.predict_with_not_a_digit(images)
        assert np.allclose(probabilities, expected, atol=1e-5)
        assert np.allclose(not_a_digit, expected_not_a_digit, atol=1e-5)
        assert np.allclose(predictor.predict(images), expected, atol=1e-5)


def test_sets_spread_over_threads_keep_their_order_and_answers():
    rng = np.random.default_rng(5)
    model = _randomise_batch_norm(build_model(preset_config("quick")), rng)
    predictor = Predictor(model)
    # Between the two thresholds: the NumPy path, in parallel, ending on a partial batch.
    count = inference.PARALLEL_MIN_IMAGES + inference.BATCH_SIZE + 7
    assert count < inference.GRAPH_MIN_IMAGES
    images = rng.random((count, 28, 28), dtype=np.float32)
    one_by_one = np.stack([predictor.predict_one(image) for image in images])
    assert np.allclose(predictor.predict(images), one_by_one, atol=1e-5)
    assert inference._batch_executor is not None


def test_large_batches_run_through_the_keras_graph_with_the_same_answers(tmp_path):
    rng = np.random.default_rng(3)
    model = _randomise_batch_norm(build_model(preset_config("strong")), rng)
    model.save(tmp_path / "m.keras")
    images = rng.random((inference.GRAPH_MIN_IMAGES + 30, 28, 28), dtype=np.float32)
    for predictor in (Predictor(model), Predictor.load(tmp_path / "m.keras")):
        numpy_path = np.concatenate([predictor.predict(images[i:i + 100])
                                     for i in range(0, len(images), 100)])
        graph_path = predictor.predict(images)
        assert predictor._graph_model is not None  # the large batch took the graph
        assert graph_path.dtype == np.float32
        assert np.allclose(graph_path, numpy_path, atol=1e-5)


def test_large_batches_fall_back_to_numpy_when_keras_cannot_build_the_model(
        tmp_path, monkeypatch, caplog):
    model = build_model(preset_config("mlp"))
    model.save(tmp_path / "m.keras")
    images = np.random.default_rng(4).random((inference.GRAPH_MIN_IMAGES, 28, 28), np.float32)
    expected = np.asarray(model(images, training=False))

    def refuse(serialized, weights):
        raise ValueError("Could not deserialize class 'Exotic'")
    monkeypatch.setattr(inference, "keras_model", refuse)
    predictor = Predictor.load(tmp_path / "m.keras")
    with caplog.at_level("WARNING", logger=inference.__name__):
        assert np.allclose(predictor.predict(images), expected, atol=1e-5)
    assert "Keras cannot run the model (Could not deserialize class 'Exotic')" in caplog.text


def test_common_keras_layers_beyond_the_presets(tmp_path):
    import keras
    rng = np.random.default_rng(2)
    inputs = keras.Input((784,))
    x = keras.layers.Rescaling(2.0, offset=-1.0)(inputs)
    x = keras.layers.Reshape((28, 28, 1))(x)
    x = keras.layers.BatchNormalization()(x)  # not after a convolution: its own step
    x = keras.layers.Conv2D(6, 3, strides=2, padding="valid", activation="tanh")(x)
    x = keras.layers.MaxPooling2D(padding="same")(x)
    x = keras.layers.Conv2D(8, 2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization(scale=False)(x)
    x = keras.layers.LeakyReLU(negative_slope=0.05)(x)
    x = keras.layers.AveragePooling2D(pool_size=2, strides=1)(x)
    x = keras.layers.Dense(12, activation="sigmoid")(x)  # on the last axis of a 4-D map
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    x = keras.layers.Dense(10)(x)
    outputs = keras.layers.Softmax()(x)
    model = _randomise_batch_norm(keras.Model(inputs, outputs), rng)
    images = rng.random((20, 28, 28), dtype=np.float32)
    expected = np.asarray(model(images.reshape(20, 784), training=False))
    model.save(tmp_path / "m.keras")
    for predictor in (Predictor(model), Predictor.load(tmp_path / "m.keras")):
        probabilities, not_a_digit = predictor.predict_with_not_a_digit(images)
        if expected.shape[1] == 11:  # the digits' share, given a digit; then the 11th class
            assert np.allclose(not_a_digit, expected[:, 10], atol=1e-5)
            expected = expected[:, :10] / expected[:, :10].sum(axis=1, keepdims=True)
        else:
            assert not not_a_digit.any()
        assert np.allclose(probabilities, expected, atol=1e-5)
        assert np.allclose(predictor.predict(images), expected, atol=1e-5)


def test_unsupported_layers_are_refused_by_name(tmp_path):
    import keras
    from digitpad.core.registry import ModelError
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.LSTM(8, name="memory"),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelError, match="'memory' of type LSTM"):
        Predictor.load(tmp_path / "m.keras")
    with pytest.raises(ModelError, match="LSTM"):
        Predictor(model)


def test_branching_models_are_refused(tmp_path):
    import keras
    from digitpad.core.registry import ModelError
    inputs = keras.Input((28, 28))
    flat = keras.layers.Flatten()(inputs)
    both = keras.layers.Add(name="merge")([keras.layers.Dense(16)(flat), keras.layers.Dense(16)(flat)])
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(both))
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelError, match="chains of layers only"):
        Predictor.load(tmp_path / "m.keras")


@pytest.mark.parametrize("input_shape, outputs", [((28, 28), 3), ((32, 32), 10)])
def test_models_that_are_not_digit_classifiers_are_refused(tmp_path, input_shape, outputs):
    import keras
    from digitpad.core.registry import ModelError
    model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(),
                              keras.layers.Dense(outputs, activation="softmax")])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelError, match="not a digit model"):
        Predictor.load(tmp_path / "m.keras")


def test_corrupt_archives_are_refused(tmp_path):
    import zipfile
    from digitpad.core.registry import ModelError
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{not json")
    with pytest.raises(ModelError, match="not a readable Keras model"):
        Predictor.load(path)
    path.write_bytes(b"garbage")
    with pytest.raises(ModelError, match="not a Keras model file"):
        Predictor.load(path)
    with pytest.raises(ModelError, match="not found"):
        Predictor.load(tmp_path / "missing.keras")


def test_reading_a_model_file_and_predicting_needs_no_tensorflow():
    import subprocess
    import sys
    code = ("import sys, numpy as np\n"
            "from digitpad.core.inference import Predictor, GRAPH_MIN_IMAGES\n"
            "from digitpad.core.registry import default_model_path\n"
            "predictor = Predictor.load(default_model_path())\n"
            "p = predictor.predict_one(np.zeros((28, 28)))\n"
            "assert p.shape == (10,), p.shape\n"
            "assert predictor.predict(np.zeros((GRAPH_MIN_IMAGES, 28, 28))).shape[0] == GRAPH_MIN_IMAGES\n"
            "loaded = {'tensorflow', 'keras'} & set(sys.modules)\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_objects_that_are_not_keras_models_are_refused():
    from digitpad.core.registry import ModelError
    with pytest.raises(ModelError, match="not a Keras Sequential or functional model"):
        Predictor(object())


def _rewrite_weights(source, target, change) -> None:
    """Copy the ``.keras`` archive ``source`` to ``target``, ``change(h5)`` applied to its
    weights file."""
    import io
    import zipfile

    import h5py
    with zipfile.ZipFile(source) as original:
        entries = {name: original.read(name) for name in original.namelist()}
    buffer = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buffer, "r+") as h5:
        change(h5)
    entries["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)


def test_weights_declaring_shapes_the_config_does_not_imply_are_refused_unread(tmp_path):
    """A 30 kB file declaring a 100000 x 100000 matrix (37 GB) costs no memory."""
    import tracemalloc

    from digitpad.core.registry import ModelError
    build_model(preset_config("linear")).save(tmp_path / "linear.keras")

    def huge_kernel(h5):
        variables = h5["layers/dense/vars"]
        del variables["0"]
        variables.create_dataset("0", shape=(100_000, 100_000), dtype="float32",
                                 chunks=(1000, 1000), compression="gzip")
    path = tmp_path / "huge.keras"
    _rewrite_weights(tmp_path / "linear.keras", path, huge_kernel)
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    with pytest.raises(ModelError, match=r"huge.keras.*\(100000, 100000\).*\(784, 10\)"):
        Predictor.load(path)
    assert tracemalloc.get_traced_memory()[1] < 10 << 20
    tracemalloc.stop()


def test_configs_implying_more_than_a_digit_model_are_refused_before_reading(tmp_path):
    import json
    import zipfile

    from digitpad.core.registry import ModelError
    build_model(preset_config("linear")).save(tmp_path / "linear.keras")
    with zipfile.ZipFile(tmp_path / "linear.keras") as original:
        entries = {name: original.read(name) for name in original.namelist()}
    config = json.loads(entries["config.json"])
    config["config"]["layers"][-1]["config"]["units"] = 30_000_000  # 94 GB of weights
    entries["config.json"] = json.dumps(config)
    with zipfile.ZipFile(tmp_path / "wide.keras", "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    with pytest.raises(ModelError, match="wide.keras.*parameters"):
        Predictor.load(tmp_path / "wide.keras")


@pytest.mark.parametrize("value", [np.nan, np.inf, 3e38])  # 2 x 3e38 overflows float32
def test_models_whose_weights_give_no_probabilities_are_refused_by_every_loader(tmp_path, value):
    from digitpad.core.registry import ModelError, load_model
    model = build_model(preset_config("linear"))
    kernel, bias = model.layers[-1].get_weights()
    kernel[3:5, 4] = value
    model.layers[-1].set_weights([kernel, bias])
    model.save(tmp_path / "broken.keras")
    for load in (Predictor.load, load_model):
        with pytest.raises(ModelError, match="broken.keras.*(NaN|not finite)"):
            load(tmp_path / "broken.keras")
    with pytest.raises(ModelError, match="NaN|not finite"):
        Predictor(model)


@pytest.mark.parametrize("image", [np.full((28, 28), 255.0), np.full((28, 28), -0.5),
                                   np.full((28, 28), np.nan), np.full((28, 28), np.inf)])
def test_inputs_outside_the_unit_range_are_refused(quick_model, image):
    predictor = Predictor(quick_model)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        predictor.predict_one(image)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        predictor.predict(np.stack([np.zeros((28, 28)), image]))


def test_inputs_a_rounding_error_outside_the_unit_range_are_accepted(quick_model):
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:15] = 1 + 1e-5
    image[0, 0] = -1e-5
    assert Predictor(quick_model).predict_one(image).shape == (10,)
