"""A trained model whose folder refuses it is kept, not lost; a card that cannot be written
beside a saved model is a note on a finished run. Drives the training process's saving of
a run's model (``training_process._save``) with a real Keras model."""

import json
import shutil

import numpy as np
import pytest

from digitpad import training_process
from digitpad.core.architectures import build_model, preset_config
from digitpad.core.inference import Predictor
from digitpad.core.registry import card_path, load_card, reserve_model_path, save_copy


@pytest.fixture
def model():
    return build_model(preset_config("linear"))


def test_a_model_its_folder_refuses_after_training_is_kept_and_can_be_saved_elsewhere(
        tmp_path, model):
    out = reserve_model_path(tmp_path / "models", "linear-20261204-224251")
    # The folder could take the model when the run started; now it is gone, a file in its
    # place (a read-only or full folder fails the same way, and root ignores modes).
    shutil.rmtree(out.parent)
    out.parent.write_text("no longer a folder")
    saved = training_process._save(model, out, {"test_accuracy": 0.9})
    kept = saved["unsaved"]
    try:
        assert saved["path"] is None and str(out) in saved["note"]
        assert kept.name == out.name and kept.parent != out.parent
        image = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
        assert np.allclose(Predictor.load(kept).predict(image), model(image), atol=1e-6)
        # "Save as…": the kept model where the user chooses, its card renamed for it.
        card = save_copy(kept, tmp_path / "chosen.keras")
        assert (card["name"], card["file"], card["test_accuracy"]) == (
            "chosen", "chosen.keras", 0.9)
        assert load_card(tmp_path / "chosen.keras") == card
        assert json.loads(card_path(tmp_path / "chosen.keras").read_text()) == card
        assert np.allclose(Predictor.load(tmp_path / "chosen.keras").predict(image),
                           model(image), atol=1e-6)
    finally:
        shutil.rmtree(kept.parent)


def test_a_card_that_cannot_be_written_beside_the_model_is_a_note_not_a_failure(
        tmp_path, model):
    out = tmp_path / "m.keras"
    card_path(out).mkdir()  # the card's place is taken: the copy beside cannot be written
    saved = training_process._save(model, out, {"test_accuracy": 0.9})
    assert saved["path"] == out and "unsaved" not in saved
    assert "m.json" in saved["note"] and "saved with its card inside" in saved["note"]
    assert load_card(out)["test_accuracy"] == 0.9 == saved["card"]["test_accuracy"]
