"""An approval does not judge again an application the Program judged complete at apply
or amend with the very same inputs; any change of them (another Program, an amended
application, a changed employer) means it is judged again, and verify always judges."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from choice_workflow import ManualClock, Program
from choice_workflow.audit import verify
from choice_workflow.domain import application as application_module
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import ACTORS, START, register_and_apply

DIRECTOR = ACTORS.director


@pytest.fixture(name="judged")
def fixture_judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The employer ids of every application judged (validate_application calls)."""
    seen: list[str] = []
    real = application_module.validate_application

    def counting(application: application_module.Application, **kwargs: object) -> object:
        seen.append(application.employer_id)
        return real(application, **kwargs)  # type: ignore[arg-type]  # the real signature

    monkeypatch.setattr(application_module, "validate_application", counting)
    return seen


def _program(tmp_path: Path) -> Program:
    program = Program(SqlStore(f"sqlite:///{tmp_path / 'g.sqlite'}"), clock=ManualClock(START))
    program.open_cycle(1, DIRECTOR, appropriation="1000000.00")
    return program


@pytest.mark.cite("15(b)")
def test_an_approval_does_not_judge_again_what_apply_judged(
    tmp_path: Path, judged: list[str]
) -> None:
    program = _program(tmp_path)
    register_and_apply(program, "E1")
    assert ["E1"] == judged
    program.approve("G-E1", "25000.00", DIRECTOR)
    assert ["E1"] == judged
    assert verify(program.store).ok
    assert ["E1"] * 3 == judged  # verify judges the application at apply and at approval


@pytest.mark.cite("15(b)")
def test_another_program_on_the_same_store_judges_at_approval(
    tmp_path: Path, judged: list[str]
) -> None:
    register_and_apply(_program(tmp_path), "E1")
    other = Program(SqlStore(f"sqlite:///{tmp_path / 'g.sqlite'}"), clock=ManualClock(START))
    other.approve("G-E1", "25000.00", DIRECTOR)
    assert ["E1", "E1"] == judged


@pytest.mark.cite("15(b)")
def test_a_changed_employer_is_judged_again(tmp_path: Path, judged: list[str]) -> None:
    program = _program(tmp_path)
    register_and_apply(program, "E1")
    employer = program.employer("E1")
    program.update_employer(attrs.evolve(employer, employee_count=1), ACTORS.department)
    problems = program.may_approve("G-E1", "25000.00", DIRECTOR)
    assert ["E1", "E1"] == judged
    program.approve("G-E1", "25000.00", DIRECTOR)
    assert ["E1", "E1", "E1"] == judged
    assert () == problems  # the judgement's warnings (15(b)(1) counts) do not refuse


@pytest.mark.cite("15(b)")
def test_an_amended_application_is_judged_at_amendment_not_again_at_approval(
    tmp_path: Path, judged: list[str]
) -> None:
    program = _program(tmp_path)
    register_and_apply(program, "E1")
    amended = attrs.evolve(program.application("G-E1"), amount_requested=Decimal("30000.00"))
    program.amend("G-E1", amended, ACTORS.employer("E1"), reason="revised budget")
    assert ["E1", "E1"] == judged
    program.approve("G-E1", "30000.00", DIRECTOR)
    assert ["E1", "E1"] == judged
