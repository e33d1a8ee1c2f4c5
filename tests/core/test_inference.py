import numpy as np
import pytest

from digitpad.core.architectures import build_model, preset_config
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


@pytest.mark.parametrize("bad", [np.zeros((28, 28)), np.zeros((2, 27, 28)), np.full((1, 28, 28), np.nan)])
def test_bad_batches_raise_value_error(quick_model, bad):
    with pytest.raises(ValueError):
        Predictor(quick_model).predict(bad)


def test_bad_single_image(quick_model):
    with pytest.raises(ValueError, match=r"\(28, 28\)"):
        Predictor(quick_model).predict_one(np.zeros((1, 28, 28)))


def test_empty_batch(quick_model):
    assert Predictor(quick_model).predict(np.zeros((0, 28, 28))).shape == (0, 10)
