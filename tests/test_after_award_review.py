"""Edge cases of the after-award steps: a grant's end is its step into a final state, a
migrated database stays consistent with the replay, repayments carry plausible dates,
the notice channels change only through audited contact changes, and contact changes
are retried after a lost race."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from choice_workflow import (
    ConcurrencyConflict,
    InvalidInput,
    ManualClock,
    Program,
    TransitionRefused,
)
from choice_workflow.audit import verify
from choice_workflow.lifecycle.corrections import Cause
from choice_workflow.service.unit_of_work import UnitOfWork
from choice_workflow.store import sql as sql_store
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import (
    ACTORS,
    START,
    approve_and_accept,
    register_and_apply,
)

GRANT = "G-E1"


def _terminated(store: SqlStore | None = None) -> Program:
    program = Program(store, clock=ManualClock(START))
    program.open_cycle(1, ACTORS.director, appropriation="1000000.00")
    register_and_apply(program, "E1")
    approve_and_accept(program, GRANT)
    program.disburse(GRANT, ACTORS.department)
    program.terminate(
        GRANT, ACTORS.director, reason="counts not accurate", cause=Cause.FALSE_ASSURANCE,
        repay="500.00",
    )  # fmt: skip
    return program


def _clock(program: Program) -> ManualClock:
    clock = program.clock
    assert isinstance(clock, ManualClock)
    return clock


@pytest.mark.cite("2 CFR 200.334")
def test_a_hold_or_a_repayment_later_keeps_the_grants_end_and_retention() -> None:
    program = _terminated()
    ended = program.grant(GRANT)
    assert ended.ended_at is not None
    assert ended.retain_until is not None
    _clock(program).advance(dt.timedelta(days=400))
    program.place_hold(GRANT, ACTORS.director, reason="litigation")
    program.record_repayment(GRANT, "100.00", ACTORS.department)
    later = program.grant(GRANT)
    assert (ended.ended_us, ended.retain_until_us) == (later.ended_us, later.retain_until_us)


@pytest.mark.cite("15(a)")
def test_a_repayment_is_not_dated_before_the_termination_or_in_the_future() -> None:
    program = _terminated()
    ended = program.grant(GRANT).ended_at
    assert ended is not None
    for when in (ended - dt.timedelta(days=1), _clock(program).now() + dt.timedelta(days=1)):
        with pytest.raises(TransitionRefused) as refused:
            program.record_repayment(GRANT, "10.00", ACTORS.department, received_at=when)
        assert ["received_at"] == [p.field for p in refused.value.problems]
    program.record_repayment(GRANT, "10.00", ACTORS.department, received_at=ended)
    assert Decimal("10.00") == program.grant(GRANT).repaid
    assert verify(program.store).ok


@pytest.mark.cite("15(i)")
def test_the_notice_channels_change_only_with_change_contact() -> None:
    program = _terminated()
    employer = program.employer("E1")
    with pytest.raises(InvalidInput, match="change_contact"):
        program.update_employer(attrs.evolve(employer, email="x@y.example"), ACTORS.department)
    assert employer == program.employer("E1")
    program.update_employer(attrs.evolve(employer, employee_count=70), ACTORS.department)
    assert 70 == program.employer("E1").employee_count


@pytest.mark.cite("15(i)")
def test_a_contact_change_that_loses_a_race_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = _terminated(SqlStore(f"sqlite:///{tmp_path / 'r.sqlite'}"))
    real = UnitOfWork._once
    lost: list[int] = []

    def once(self: UnitOfWork, *args: Any) -> Any:
        if not lost:
            lost.append(1)
            raise ConcurrencyConflict(reason="another writer appended to employer:E1 first")
        return real(self, *args)

    monkeypatch.setattr(UnitOfWork, "_once", once)
    program.change_contact("E1", ACTORS.department, email="new@e1.example", reason="moved")
    assert "new@e1.example" == program.employer("E1").email
    assert 1 == program.conflicts


@pytest.mark.cite("15(f)")
def test_migration_0004_leaves_evaluated_grants_without_an_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    engine = sql_store.create_engine(url)
    with engine.begin() as conn:
        cfg = Config(attributes={"connection": conn, "prefix": "", "schema": None})
        cfg.set_main_option(
            "script_location", str(Path(sql_store.__file__).with_name("migrations"))
        )
        command.upgrade(cfg, "0003")
        grants = sa.table(
            "grants", *(sa.column(c) for c in ("id", "employer_id", "state", "version",
            "cycle", "amount_requested", "applied_us", "ended_us")),
        )  # fmt: skip
        conn.execute(
            grants.insert().values(
                id="G1",
                employer_id="E1",
                state="evaluated",
                version=6,
                cycle=1,
                amount_requested="25000.00",
                applied_us=1,
                ended_us=99,
            )
        )
        command.upgrade(cfg, "head")
        row = conn.execute(sa.select(grants.c.ended_us, grants.c.state)).one()
    engine.dispose()
    assert (None, "evaluated") == tuple(row)
