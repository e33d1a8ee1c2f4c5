import keras
import numpy as np

from digitpad.core.fused_batch_norm import fused_batch_norm


def _model(seed=1):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 2))
    x = keras.layers.Conv2D(4, 3, use_bias=False)(inputs)
    x = keras.layers.BatchNormalization(momentum=0.8)(x)
    x = keras.layers.ReLU()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    return model


def _fit(model):
    rng = np.random.default_rng(0)
    images = (rng.normal(size=(32, 6, 6, 2)) * 2 + 0.5).astype(np.float32)
    labels = rng.integers(0, 3, 32)
    model.fit(images, labels, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return images


def test_training_on_the_fused_kernel_matches_keras_batch_norm():
    keras_model, fused_model = _model(), _model()
    images = _fit(keras_model)
    with fused_batch_norm(fused_model):
        _fit(fused_model)
    # Weights, gamma/beta and the moving statistics all follow the same path.
    for expected, got in zip(keras_model.get_weights(), fused_model.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused_model.predict(images, verbose=0),
                               keras_model.predict(images, verbose=0), atol=1e-6)


def test_the_layers_are_keras_own_again_after_the_block(tmp_path):
    model = _model()
    batch_norm = model.layers[2]
    with fused_batch_norm(model):
        assert "call" in vars(batch_norm)  # the fused call is in place while training
        _fit(model)
    assert "call" not in vars(batch_norm)
    assert type(batch_norm) is keras.layers.BatchNormalization
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded.layers[2]) is keras.layers.BatchNormalization


def test_layers_the_kernel_cannot_compute_exactly_keep_keras_call():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    dense_norm = keras.layers.BatchNormalization(center=False)
    model = keras.Model(inputs, dense_norm(keras.layers.Dense(4)(inputs)))
    with fused_batch_norm(model):
        assert "call" not in vars(dense_norm)
