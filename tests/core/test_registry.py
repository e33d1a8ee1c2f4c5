import zipfile

import keras
import numpy as np
import pytest

from digitpad.core.architectures import preset_config, build_model
from digitpad.core.registry import (ModelError, card_path, list_models,
                                    load_card, load_model, save_model)


@pytest.fixture
def tiny_model():
    return build_model(preset_config("linear"))


def test_save_and_load_round_trip_with_card(tmp_path, tiny_model):
    path = save_model(tiny_model, tmp_path / "m.keras", {"test_accuracy": np.float32(0.9)})
    loaded = load_model(path)
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert np.allclose(loaded(x), tiny_model(x), atol=1e-6)
    card = load_card(path)
    assert card["name"] == "m" and card["file"] == "m.keras" and card["saved"]
    assert card["test_accuracy"] == pytest.approx(0.9)
    assert [p.name for p, _ in list_models(tmp_path)] == ["m.keras"]


def test_a_failed_save_keeps_the_previous_model_and_leaves_no_temp_file(tmp_path, tiny_model):
    path = save_model(tiny_model, tmp_path / "m.keras", {"version": 1})
    before = path.read_bytes()

    class CrashesMidSave:
        def save(self, target):
            with open(target, "wb") as f:
                f.write(b"half a model")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_model(CrashesMidSave(), path, {"version": 2})
    assert path.read_bytes() == before
    assert load_card(path)["version"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.keras"]


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated zip"])
def test_corrupt_files_raise_model_error_naming_the_file(tmp_path, content):
    path = tmp_path / "broken.keras"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="broken.keras"):
        load_model(path)


def test_zip_that_is_not_a_keras_model(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelError, match="cannot load the model"):
        load_model(path)


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nope.keras")
    (tmp_path / "weights.h5").write_bytes(b"x")
    with pytest.raises(ModelError, match="not a Keras model file"):
        load_model(tmp_path / "weights.h5")


def test_a_model_from_somewhere_else_is_refused(tmp_path):
    foreign = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                                keras.layers.Dense(100)])
    foreign.save(tmp_path / "cifar.keras")
    with pytest.raises(ModelError, match="not a digit model"):
        load_model(tmp_path / "cifar.keras")
    wrong_outputs = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                      keras.layers.Dense(5)])
    wrong_outputs.save(tmp_path / "five.keras")
    with pytest.raises(ModelError, match="outputs"):
        load_model(tmp_path / "five.keras")


def test_lambda_layers_are_refused_by_safe_mode(tmp_path):
    risky = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(10)])
    risky.save(tmp_path / "lambda.keras")
    with pytest.raises(ModelError, match="lambda.keras"):
        load_model(tmp_path / "lambda.keras")


def test_card_is_optional_and_corrupt_cards_read_as_empty(tmp_path, tiny_model):
    path = save_model(tiny_model, tmp_path / "m.keras", {})
    card_path(path).write_text("{not json")
    assert load_card(path) == {}
    card_path(path).unlink()
    assert load_card(path) == {}

