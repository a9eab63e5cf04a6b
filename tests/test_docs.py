"""Docs are tests: every ```python block of README.md and docs/ runs (and prints what the
```text block right after it shows, where there is one), and the demo too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from choice_workflow import demo

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```\n(?:\n```text\n(.*?)^```$)?", re.MULTILINE | re.DOTALL)


def _found() -> list[tuple[str, str, str | None]]:
    found = []
    for page in PAGES:
        for n, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8")), start=1):
            found.append((f"{page.relative_to(ROOT)}#{n}", match.group(1), match.group(2)))
    return found


def _blocks() -> list[tuple[str, str]]:
    return [(where, code) for where, code, _ in _found()]


def _outputs() -> dict[str, str]:
    return {where: shown for where, _, shown in _found() if shown is not None}


@pytest.mark.parametrize(("where", "code"), _blocks(), ids=[w for w, _ in _blocks()])
def test_every_python_block_of_the_docs_runs(where: str, code: str, tmp_path: Path) -> None:
    # Each page's blocks run in a fresh interpreter, as a reader would paste them.
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert 0 == done.returncode, f"{where} failed:\n{done.stderr}"
    shown = _outputs().get(where)
    if shown is not None:  # the output the page shows is what the block prints
        assert shown == done.stdout, f"{where} prints:\n{done.stdout}"


def test_the_readme_example_prints_accepted() -> None:
    blocks = dict(_blocks())
    code = blocks["README.md#1"]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert "accepted\n" == done.stdout


def test_the_demo_ends_with_zero_findings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert 0 == demo.main(["12", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith(" 0 findings")
    assert "16 grants" in out[0]  # 12 in cycle 1, a third as many in cycle 2
    assert (tmp_path / "choice_workflow.sqlite").exists()
    assert "plotly" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "log.jsonl").read_bytes().startswith(b'{"format":"choice_workflow-log"')


def test_the_demo_run_again_replaces_what_it_wrote_and_nothing_else(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mine = tmp_path / "notes.txt"
    mine.write_text("the agency's own file", encoding="utf-8")
    assert 0 == demo.main(["3", str(tmp_path)])
    first = (tmp_path / "log.jsonl").read_bytes().count(b"\n")
    packages = sorted(p.name for p in (tmp_path / "records").iterdir())
    assert 0 == demo.main(["3", str(tmp_path)])  # it used to refuse: the package existed
    assert capsys.readouterr().out.splitlines()[-1].endswith(" 0 findings")
    assert first == (tmp_path / "log.jsonl").read_bytes().count(b"\n")  # seeded: as many events
    assert packages == sorted(p.name for p in (tmp_path / "records").iterdir())
    assert "the agency's own file" == mine.read_text(encoding="utf-8")
    # A manifest that names anything but the demo's own outputs removes nothing else.
    manifest = tmp_path / ".choice_workflow-demo"
    manifest.write_text(manifest.read_text() + "notes.txt\n.\nrecords/..\n../x\n")
    assert 0 == demo.main(["3", str(tmp_path)])
    assert "the agency's own file" == mine.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--help"], "usage: python -m choice_workflow.demo"), (["many"], "not a whole number"),
     (["0"], "at least 1 employer")],
    ids=["help", "not a number", "zero"],
)  # fmt: skip
def test_the_demo_explains_its_arguments(args: list[str], words: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "choice_workflow.demo", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert words in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert (0 if args == ["--help"] else 2) == done.returncode


EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_script_runs(script: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert 0 == done.returncode, f"{script.name} failed:\n{done.stderr}"
    assert done.stdout.strip(), f"{script.name} printed nothing"
