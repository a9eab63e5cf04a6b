"""The example of a user's own test suite (examples/test_suite_example) passes.

It runs as its README says, from the repository's root in a fresh process: the plugin
comes from the package's entry point, and this project's pytest settings apply
(unknown markers and warnings are errors).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "examples" / "test_suite_example"


def _tests_in_suite() -> int:
    return sum(
        len(re.findall(r"^def test_", path.read_text(encoding="utf-8"), re.MULTILINE))
        for path in SUITE.glob("test_*.py")
    )


def _run(*options: str, basetemp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "examples/test_suite_example", "-q", "-p",
            "no:cacheprovider", f"--basetemp={basetemp}", *options,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )  # fmt: skip


def test_the_example_suite_has_a_readme_and_several_test_files() -> None:
    assert (SUITE / "README.md").is_file()
    assert 2 <= len(list(SUITE.glob("test_*.py")))
    assert 8 <= _tests_in_suite()


def test_the_example_suite_passes_on_the_default_memory_store(tmp_path: Path) -> None:
    done = _run(basetemp=tmp_path)
    assert 0 == done.returncode, done.stdout + done.stderr
    assert f"{_tests_in_suite()} passed" in done.stdout


@pytest.mark.slow
def test_the_example_suite_passes_on_sqlite_too(tmp_path: Path) -> None:
    done = _run("--cw-store=sqlite", basetemp=tmp_path)
    assert 0 == done.returncode, done.stdout + done.stderr
    assert f"{_tests_in_suite()} passed" in done.stdout
