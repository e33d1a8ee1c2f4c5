import subprocess
import sys

import numpy as np
import pytest

from digitpad.core.backprop import Network
from digitpad.core.explain import contrast, saliency
from digitpad.core.inference import Predictor
from digitpad.core.registry import default_model_path

REGION = (slice(4, 12), slice(16, 24))  # rows, columns the synthetic model looks at


@pytest.fixture(scope="module")
def shipped():
    return Predictor.load(default_model_path())


def _drawing(seed=0) -> np.ndarray:
    """Strokes in every part of the image, so that the map has ink to choose from."""
    rng = np.random.default_rng(seed)
    image = np.zeros((28, 28), np.float32)
    image[6:22, 6:8] = image[6:8, 6:22] = image[20:22, 8:24] = image[6:10, 18:22] = 1
    return np.clip(image * rng.uniform(0.6, 1.0, image.shape), 0, 1).astype(np.float32)


def _region_model(rng):
    """A conv net whose digit 7 depends only on REGION's pixels: its last layer reads the
    convolutions' outputs there and nowhere else."""
    import keras
    model = keras.Sequential([
        keras.Input((28, 28)), keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False),
        keras.layers.BatchNormalization(), keras.layers.LeakyReLU(0.1),
        keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    for layer in model.layers[:-1]:
        layer.set_weights([rng.normal(0.5, 0.3, w.shape).astype(np.float32)
                           for w in layer.get_weights()])
    kernel = np.zeros((14 * 14 * 4, 10), np.float32)
    mask = np.zeros((14, 14, 4), bool)
    mask[REGION[0].start // 2 + 1:REGION[0].stop // 2 - 1,
         REGION[1].start // 2 + 1:REGION[1].stop // 2 - 1] = True
    kernel[mask.ravel(), 7] = rng.uniform(0.05, 0.2, mask.sum())
    model.layers[-1].set_weights([kernel, np.zeros(10, np.float32)])
    return model


def test_the_map_puts_its_mass_where_the_answer_depends():
    predictor = Predictor(_region_model(np.random.default_rng(1)))
    image = _drawing()
    assert predictor.predict_one(image).argmax() == 7
    heat = saliency(predictor, image, 7)
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    inside = np.abs(heat[REGION]).sum()
    assert inside > 0 and inside / np.abs(heat).sum() > 0.95
    assert heat[REGION].sum() > 0  # the region's ink supports 7
    assert (heat[image == 0] == 0).all()  # no ink, no credit


def test_the_backward_pass_matches_finite_differences(shipped):
    image = _drawing(3).astype(np.float64)
    net = Network(shipped._input_shape, shipped._layers)
    outputs, saved = net.trace(image[None])
    grad_logits = np.zeros_like(outputs[-1])
    grad_logits[0, 4], grad_logits[0, 9] = 1, -1
    gradient = net.input_gradient(saved, grad_logits)[0]
    step = 1e-5  # small enough to cross no ReLU kink
    for y, x in [(6, 10), (14, 7), (21, 15), (8, 20), (13, 13)]:
        moved = [image.copy(), image.copy()]
        moved[0][y, x] += step
        moved[1][y, x] -= step
        up, down = (net.logits(m[None])[0] for m in moved)
        numeric = ((up[4] - up[9]) - (down[4] - down[9])) / (2 * step)
        assert numeric == pytest.approx(gradient[y, x], rel=1e-4, abs=1e-6)


def test_the_network_agrees_with_the_predictor(shipped):
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    logits = Network(shipped._input_shape, shipped._layers).logits(images)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert np.allclose(exp / exp.sum(axis=1, keepdims=True), shipped._scores(images), atol=1e-5)


def test_randomised_weights_change_the_map(shipped):
    """Adebayo et al.'s sanity check: a map that survives randomised weights explains the
    input, not the model."""
    image = _drawing(5)
    randomised = Predictor.load(default_model_path())
    rng = np.random.default_rng(0)
    randomised._layers = [(layer, [rng.normal(0, np.std(w) + 1e-3, w.shape).astype(np.float32)
                                   if w.ndim > 1 else w for w in weights])
                          for layer, weights in randomised._layers]
    trained, random = saliency(shipped, image, 0), saliency(randomised, image, 0)
    ink = image > 0
    ranks = [np.argsort(np.argsort(m[ink])) for m in (trained, random)]
    assert abs(np.corrcoef(*ranks)[0, 1]) < 0.5
    ink_ranks = np.argsort(np.argsort(image[ink]))
    assert abs(np.corrcoef(ranks[0], ink_ranks)[0, 1]) < 0.5  # not just the ink either


def test_contrast_is_the_difference_of_two_scores(shipped):
    image = _drawing(2)
    ab, ba = contrast(shipped, image, 4, 9), contrast(shipped, image, 9, 4)
    assert np.allclose(ab, -ba, atol=1e-6) and np.abs(ab).max() > 0
    with pytest.raises(ValueError, match="two different digits"):
        contrast(shipped, image, 4, 4)


@pytest.mark.parametrize("digit", [-1, 10, 2.0, True, "3"])
def test_a_bad_digit_is_refused(shipped, digit):
    with pytest.raises(ValueError, match="0 to 9"):
        saliency(shipped, _drawing(), digit)


@pytest.mark.parametrize("image", [np.zeros((28, 27)), np.full((28, 28), 255.0),
                                   np.full((28, 28), np.nan)])
def test_a_bad_image_is_refused(shipped, image):
    with pytest.raises(ValueError):
        saliency(shipped, image, 1)


def test_a_blank_image_has_an_empty_map(shipped):
    assert not saliency(shipped, np.zeros((28, 28), np.float32), 5).any()


def test_explaining_never_imports_tensorflow():
    code = ("import numpy as np, sys\n"
            "from digitpad.core.explain import saliency, contrast\n"
            "from digitpad.core.inference import Predictor\n"
            "from digitpad.core.registry import default_model_path\n"
            "p = Predictor.load(default_model_path())\n"
            "image = np.zeros((28, 28), np.float32); image[5:20, 12:15] = 1\n"
            "saliency(p, image, 1); contrast(p, image, 1, 7)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tensorflow', 'keras')))\n")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert output.returncode == 0, output.stderr[-2000:]
    assert output.stdout.strip() == "[]"
