"""Every error's text is one format, ``<reason>. <hint> [cites]``, and a cite is carried
only where a clause decides the matter: no effective date (99) for a role or an
actor, no record retention (2 CFR 200.334) for a directory that exists, and a Rules
mismatch names the settings that differ."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import attrs
import pendulum
import pytest

from choice_workflow import (
    Actor,
    InvalidInput,
    ManualClock,
    PackageRefused,
    Program,
    Role,
    Rules,
    RulesMismatch,
)
from choice_workflow.audit.records import export_grant
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.memory import MemoryStore

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")


@pytest.mark.parametrize(
    "make",
    [
        lambda: Actor("", Role.DEPARTMENT),
        lambda: Actor("x", "mayor"),  # type: ignore[arg-type]
        lambda: Actor("x", Role.EMPLOYER),
    ],
    ids=["no id", "unknown role", "employer without employer"],
)
def test_an_actor_that_cannot_be_is_refused_without_a_cite_of_the_act(make: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        make()  # type: ignore[operator]
    assert () == refused.value.cites
    assert all(() == p.cites for p in refused.value.problems)
    assert not str(refused.value).endswith("]")


def test_a_rules_mismatch_names_each_setting_that_differs_with_both_values() -> None:
    store = MemoryStore()
    Program(store, clock=ManualClock(START))
    given = attrs.evolve(
        Rules(), min_award=Decimal("5000.00"), acceptance_window=dt.timedelta(hours=72)
    )
    with pytest.raises(RulesMismatch) as refused:
        Program(store, rules=given, clock=ManualClock(START))
    reason = refused.value.reason
    assert "min_award is 10000.00 in the log, 5000.00 given" in reason
    assert "acceptance_window is 2 days, 0:00:00 in the log, 3 days, 0:00:00 given" in reason
    assert () == refused.value.cites
    assert "grant_period_years" not in reason  # only what differs


def test_a_records_package_into_a_directory_that_is_not_empty_cites_nothing(tmp_path: Path) -> None:
    clock = ManualClock(START)
    program = Program(clock=clock)
    program.register_employer(sample_employer("E-1", at=START), Actor("dol", Role.DEPARTMENT))
    program.open_cycle(1, Actor("dir", Role.DIRECTOR), appropriation="100000.00")
    program.apply(
        sample_application("E-1", at=START),
        Actor("u", Role.EMPLOYER, employer_id="E-1"),
        grant_id="G-1",
    )
    (tmp_path / "kept.txt").write_text("earlier work")
    with pytest.raises(PackageRefused) as refused:
        export_grant(program, "G-1", tmp_path)
    assert () == refused.value.cites
    assert str(refused.value) == f"{refused.value.reason}. {refused.value.hint}"


WHERE_CITED = {
    "99": {
        "rules.py": "the Rules in force from the effective date",
        "commands/program.py": "the program's start records those Rules",
        "audit/integrity.py": "a log's program start and its Rules",
        "audit/verify.py": "a log's program start and its Rules",
        "reports/source.py": "the reports' Rules, from the log",
        "time/calendar.py": "the Act's calendar from its effective date",
        "time/instants.py": "an instant of the Act's calendar (the default cite)",
        "domain/wages.py": "the floor's schedule from the effective date",
    },
    "2 CFR 200.334": {
        "rules.py": "the retention period",
        "lifecycle/guards_award.py": "holds and archiving of a grant's records",
    },
}
"""Where the Act's effective date (99) and record retention (2 CFR 200.334) may be cited,
each with what it decides there; an error about anything else carries neither."""


def test_the_effective_date_and_retention_are_cited_only_where_they_decide() -> None:
    import ast

    from tests.test_errors import PACKAGE, CiteCollector, cite_positions

    paths = sorted(PACKAGE.rglob("*.py"))
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in paths]
    positions = cite_positions(trees)
    found: dict[str, set[str]] = {}
    for path, tree in zip(paths, trees, strict=True):
        for _, cite in CiteCollector(tree, positions):
            found.setdefault(cite, set()).add(path.relative_to(PACKAGE).as_posix())
    for cite, allowed in WHERE_CITED.items():
        assert found.get(cite, set()) <= set(allowed), cite
        assert found.get(cite)  # the scan sees them, or it proves nothing
    assert "domain/actors.py" not in found["99"]
    assert "audit/records.py" not in found.get("2 CFR 200.334", set())


ERROR_CITES = {
    "RulesMismatch": {"15(d)"},  # the county table the Rules name (15(d)'s areas)
    "ScenarioError": {"15(j)"},  # a deadline asked of a grant that has none yet
}
"""The errors the package raises with cites of their own (not a Problem's), and the cites
each may carry; every other error about the library's own use (a store, a file, a
clock, a key, a package) carries none."""


def test_an_error_carries_a_cite_of_its_own_only_where_the_table_allows() -> None:
    import ast

    import choice_workflow.errors as errors
    from tests.test_errors import PACKAGE

    kinds = {
        n
        for n, v in vars(errors).items()
        if isinstance(v, type) and issubclass(v, errors.ChoiceWorkflowError)
    }
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {  # the module's own NAME = ("15(d)",) constants
            t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)
        }  # fmt: skip
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            for keyword in node.keywords:
                if name in kinds and keyword.arg == "cites":
                    given = keyword.value
                    if isinstance(given, ast.Name):
                        given = constants.get(given.id, given)
                    value = ast.literal_eval(given) if isinstance(given, ast.Tuple) else ("?",)
                    found.setdefault(name, set()).update(value)
    assert set(found) <= set(ERROR_CITES), found
    for name, cites in found.items():
        assert cites <= ERROR_CITES[name], (name, cites)
