"""docs/traceability.md is generated from the cite markers and kept current."""

from __future__ import annotations

from pathlib import Path

from choice_workflow.cites import CITES
from scripts import traceability

ROOT = Path(__file__).resolve().parent.parent


def test_the_traceability_matrix_is_current() -> None:
    expected = traceability.render(traceability.collect(ROOT / "tests"))
    actual = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    assert expected == actual, "docs/traceability.md is stale: run `make traceability`"


def test_every_cite_marker_names_a_cite_of_the_act() -> None:
    unknown = set(traceability.collect(ROOT / "tests")) - set(CITES)
    assert set() == unknown


def test_the_collector_reads_decorators_classes_and_params(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text(
        "import pytest\n"
        "pytestmark = pytest.mark.cite('99')\n"
        "@pytest.mark.cite('15(j)', '15(i)')\n"
        "def test_a(): pass\n"
        "@pytest.mark.cite('15(h)')\n"
        "class TestB:\n"
        "    @pytest.mark.parametrize('x', [pytest.param(1, marks=pytest.mark.cite('15(g)'))])\n"
        "    def test_c(self, x): pass\n"
        "def helper(): pytest.mark.cite('30')\n",
        encoding="utf-8",
    )
    old_root = traceability.ROOT
    traceability.ROOT = tmp_path
    try:
        found = traceability.collect(tests)
    finally:
        traceability.ROOT = old_root
    expected = {
        "99": {"tests/test_x.py::test_a", "tests/test_x.py::TestB::test_c"},
        "15(j)": {"tests/test_x.py::test_a"},
        "15(i)": {"tests/test_x.py::test_a"},
        "15(h)": {"tests/test_x.py::TestB::test_c"},
        "15(g)": {"tests/test_x.py::TestB::test_c"},
    }
    assert expected == dict(found)
