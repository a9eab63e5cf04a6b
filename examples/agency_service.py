"""An agency's service around a Program: configuration, request handlers, the nightly job.

The store is the PostgreSQL database named by the environment variable
``CHOICE_WORKFLOW_DB`` (a SQLAlchemy URL such as
``postgresql+psycopg://agency@db.example/grants``); without it, a temporary SQLite
file, and the script says so. One Program per process, shared by every request.

Run: ``CHOICE_WORKFLOW_DB=postgresql+psycopg://agency@db.example/grants python examples/agency_service.py``
or just ``python examples/agency_service.py``.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pendulum

from choice_workflow import (
    Actor,
    ChoiceWorkflowError,
    Grant,
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    TransitionRefused,
    UnknownEmployer,
    UnknownGrant,
)
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore
from choice_workflow.store.urls import mask_url

DEPARTMENT = Actor("dol-intake", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)
NIGHTLY = Actor("nightly-job", Role.SYSTEM)


@contextmanager
def open_store() -> Iterator[SqlStore]:
    """The store named by CHOICE_WORKFLOW_DB, else a temporary SQLite file."""
    url = os.environ.get("CHOICE_WORKFLOW_DB")
    if url:
        print(f"store: {mask_url(url)} (from CHOICE_WORKFLOW_DB)")
        store = SqlStore(url)  # brings the tables up to date (alembic, shipped)
        try:
            yield store
        finally:
            store.dispose()
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grants.sqlite"
        print(f"store: CHOICE_WORKFLOW_DB is not set; using a temporary SQLite file {path}")
        store = SqlStore(f"sqlite:///{path}")
        try:
            yield store
        finally:
            store.dispose()


@attrs.frozen
class Response:
    """What a web framework would send back: a status and a JSON body."""

    status: int
    body: dict[str, Any]


def _grant_body(grant: Grant) -> dict[str, Any]:
    return {
        "grant": grant.id,
        "state": grant.state.value,
        "amount": None if grant.amount is None else str(grant.amount),
        "accept_by": None if grant.accept_by is None else grant.accept_by.isoformat(),
    }


def _refusal(error: ChoiceWorkflowError) -> Response:
    """Every refusal carries the Act's cites, a reason and a hint: show all three."""
    status = 400
    if isinstance(error, NotPermitted):
        status = 403
    elif isinstance(error, UnknownGrant | UnknownEmployer):
        status = 404
    elif isinstance(error, TransitionRefused):
        status = 409
    elif isinstance(error, InvalidInput):
        status = 422
    return Response(
        status, {"reason": error.reason, "cites": list(error.cites), "hint": error.hint}
    )


class GrantService:
    """The request handlers of an agency's grant web application."""

    def __init__(self, program: Program) -> None:
        self.program = program

    def _run(self, command: Callable[[], Grant]) -> Response:
        try:
            return Response(200, _grant_body(command()))
        except ChoiceWorkflowError as error:
            return _refusal(error)

    def apply(self, user: Actor, grant_id: str, amount: str, request_id: str) -> Response:
        """POST /grants: an employer's user submits the application form (15(b))."""
        now = self.program.clock.now()
        assert user.employer_id is not None  # an employer's user always names it
        application = sample_application(user.employer_id, at=now, amount=amount)
        return self._run(
            lambda: self.program.apply(application, user, grant_id=grant_id, command_id=request_id)
        )

    def approve(self, user: Actor, grant_id: str, amount: str) -> Response:
        """POST /grants/{id}/approval: the Director approves an amount (15(a), 15(h))."""
        return self._run(lambda: self.program.approve(grant_id, amount, user))

    def confirm_notice(self, user: Actor, grant_id: str) -> Response:
        """POST /grants/{id}/notice: the mail room confirms the notice (15(i)); the
        48 hours of 15(j) start now."""
        now = self.program.clock.now()
        return self._run(
            lambda: self.program.confirm_notice(grant_id, user, channel="email", confirmed_at=now)
        )

    def acceptance_page(self, user: Actor, grant_id: str) -> Response:
        """GET /grants/{id}/acceptance: whether the Accept button is enabled, and why not."""
        try:
            problems = self.program.may_accept(grant_id, user)
            grant = self.program.grant(grant_id)
        except ChoiceWorkflowError as error:
            return _refusal(error)
        why_not = [f"{p.reason} [{', '.join(p.cites)}]" for p in problems]
        return Response(200, {**_grant_body(grant), "can_accept": not problems, "why_not": why_not})

    def accept(self, user: Actor, grant_id: str, request_id: str) -> Response:
        """POST /grants/{id}/acceptance: a retried request (same id) writes nothing twice."""
        return self._run(lambda: self.program.accept(grant_id, user, command_id=request_id))

    def nightly(self) -> dict[str, Any]:
        """The nightly job: forfeit lapsed approvals (15(j)), then seal and publish."""
        forfeited = [g.id for g in self.program.sweep(NIGHTLY)]
        return {"forfeited": forfeited, "root": self.program.seal(NIGHTLY)}


def _show(label: str, response: Response) -> None:
    print(f"{label:<44} -> {response.status} {json.dumps(response.body, sort_keys=True)}")


def _ensure_cycle_one(program: Program, needed: Decimal) -> None:
    """Open cycle 1, or raise its appropriation, so that ``needed`` more can be approved
    (the database may hold earlier runs of this script)."""
    try:
        cycle = program.cycle(1)
    except InvalidInput:
        program.open_cycle(1, DIRECTOR, appropriation=needed)
        return
    if cycle.available < needed:
        program.set_appropriation(1, cycle.appropriation + needed - cycle.available, DIRECTOR)


def main() -> int:
    """Serve a few requests for two employers, one of whom answers too late."""
    # Grants start on July 1, 2030 (15(a)): a manual clock pretends it is that morning
    # and lets the script skip two days. A production service leaves clock= out and
    # runs on the machine's clock.
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    run = uuid.uuid4().hex[:6]  # fresh ids, so the script can run again on one database
    with open_store() as store:
        program = Program(store, clock=clock)
        service = GrantService(program)
        users = {}
        for n in (1, 2):
            employer_id = f"E{n}-{run}"
            program.register_employer(sample_employer(employer_id, at=clock.now()), DEPARTMENT)
            users[n] = Actor(f"{employer_id}-user", Role.EMPLOYER, employer_id=employer_id)
        _ensure_cycle_one(program, Decimal("45000.00"))
        g1, g2 = f"G1-{run}", f"G2-{run}"

        _show("POST /grants (E1)", service.apply(users[1], g1, "30000.00", f"req-{run}-1"))
        _show("POST /grants (E1, retried)", service.apply(users[1], g1, "30000.00", f"req-{run}-1"))
        _show("POST /grants (E2)", service.apply(users[2], g2, "15000.00", f"req-{run}-2"))
        _show("POST /grants/G1/approval (E1's user)", service.approve(users[1], g1, "30000.00"))
        _show("POST /grants/G1/approval (over $50,000)", service.approve(DIRECTOR, g1, "60000.00"))
        for grant_id in (g1, g2):
            amount = str(program.grant(grant_id).amount_requested)
            _show(
                f"POST /grants/{grant_id[:2]}/approval", service.approve(DIRECTOR, grant_id, amount)
            )
            _show(
                f"POST /grants/{grant_id[:2]}/notice", service.confirm_notice(DEPARTMENT, grant_id)
            )

        clock.advance(hours=30)
        _show(
            "POST /grants/G1/acceptance (E2's user)", service.accept(users[2], g1, f"acc-{run}-0")
        )
        _show("POST /grants/G1/acceptance", service.accept(users[1], g1, f"acc-{run}-1"))
        clock.advance(hours=18, microseconds=1)  # 48 hours and a microsecond after the notice
        _show("GET /grants/G2/acceptance", service.acceptance_page(users[2], g2))
        _show("POST /grants/G2/acceptance", service.accept(users[2], g2, f"acc-{run}-2"))

        result = service.nightly()
        print(f"nightly: forfeited {result['forfeited']}; sealed, publish root {result['root']}")
        print(f"cycle 1: ${program.cycle(1).available:,.2f} available for the next applicants")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
