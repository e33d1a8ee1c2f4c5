import subprocess
import sys

from digitpad.core.architectures import BUILDERS
from digitpad.core.config import preset_config
from digitpad.core.presets import PRESETS


def test_every_preset_has_a_builder_and_every_builder_a_preset():
    assert list(BUILDERS) == list(PRESETS)


def test_preset_config_applies_the_defaults_and_the_overrides():
    config = preset_config("funnel", epochs=2)
    assert config.arch == "funnel" and config.epochs == 2
    assert config.optimizer == PRESETS["funnel"].defaults["optimizer"]


def test_presets_and_configs_load_without_keras():
    code = ("import sys, digitpad.core.config, digitpad.core.presets\n"
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
