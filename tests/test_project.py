"""Repository promises: CI runs README's test command, no third-party data is committed,
the architecture's import rules hold and ruff finds nothing."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_install_and_test_commands():
    install, tests = readme_commands()[:2]
    steps = install.split(" && ")
    assert steps[0].startswith("python3 -m venv") and steps[-1] == "digitpad"
    assert any(step.startswith("pip install") for step in steps)
    assert "[test]" in tests and "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_no_mnist_or_drawn_data_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout
    assert not re.search(r"idx[13]-ubyte|touch_strokes|hwd1000", tracked)


def test_the_import_contracts_of_architecture_md_are_kept():
    """pyproject.toml's import-linter contracts: every "never" in docs' architecture.md."""
    import sys
    code = "import sys; from importlinter.cli import lint_imports_command; " \
           "sys.exit(lint_imports_command())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_ruff_finds_nothing():
    import sys
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "digitpad",
                             "tests", "benchmarks", "scripts", "train_cli.py"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
