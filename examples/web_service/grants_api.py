"""An agency's grant service over HTTP: FastAPI, one Program per process, JSON in and
out, and every refusal with its reason, hint and the Act's cites.

Run it (``pip install fastapi uvicorn``)::

    CHOICE_WORKFLOW_DB=postgresql+psycopg://agency@db.example/grants \\
        uvicorn grants_api:app --app-dir examples/web_service

Who acts comes from the agency's sign-on. Here a gateway in front of the service is
assumed to have checked the user and to pass ``X-Actor-Id``, ``X-Actor-Role`` and, for
an employer's user, ``X-Employer-Id``; never trust these headers from the internet.

An ``Idempotency-Key`` header becomes the command's id: a retried request (a timeout, a
double click) is recorded once and answers as the first did; the same key with another
body is refused (422). The sweep of lapsed approvals runs as its own process
(``sweeper.py``), never inside a request.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from choice_workflow import (
    Actor,
    ChoiceWorkflowError,
    ConcurrencyConflict,
    ConnectionLost,
    Grant,
    IdempotencyKeyReused,
    InvalidInput,
    NotPermitted,
    Problem,
    Program,
    Role,
    State,
    StoreError,
    TransitionRefused,
    UnknownEmployer,
    UnknownGrant,
)
from choice_workflow.domain import (
    application_from_data,
    employer_from_data,
    employer_to_data,
    parse_wage_record,
)
from choice_workflow.store.sql import SqlStore

STATUS: tuple[tuple[type[ChoiceWorkflowError], int], ...] = (
    (InvalidInput, 422),
    (IdempotencyKeyReused, 422),
    (NotPermitted, 403),
    (UnknownGrant, 404),
    (UnknownEmployer, 404),
    (TransitionRefused, 409),
    (ConcurrencyConflict, 409),
    (ConnectionLost, 503),
    (StoreError, 503),
)
"""The HTTP status of each of the library's errors, the first that matches; any other
``ChoiceWorkflowError`` is 400."""


def _problem(p: Problem) -> dict[str, Any]:
    return {"field": p.field, "reason": p.reason, "hint": p.hint, "cites": list(p.cites),
            "severity": p.severity.value}  # fmt: skip


def error_response(error: ChoiceWorkflowError) -> JSONResponse:
    """The error's status and body: its type, reason, hint, cites and, for refusals and
    bad input, every problem with its field. Retryable errors say when (Retry-After)."""
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
    body: dict[str, Any] = {
        "error": type(error).__name__, "reason": error.reason, "hint": error.hint,
        "cites": list(error.cites),
    }  # fmt: skip
    problems = getattr(error, "problems", ())
    if problems:
        body["problems"] = [_problem(p) for p in problems]
    retry = getattr(error, "retryable", False)
    return JSONResponse(body, status_code=status, headers={"Retry-After": "1"} if retry else None)


def _grant(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.id, "employer_id": grant.employer_id, "state": grant.state.value,
        "cycle": grant.cycle, "amount_requested": str(grant.amount_requested),
        "amount": None if grant.amount is None else str(grant.amount),
        "accept_by": None if grant.accept_by is None else grant.accept_by.isoformat(),
        "version": grant.version,
    }  # fmt: skip


def _bad(field: str, reason: str, hint: str) -> InvalidInput:
    return InvalidInput(problems=[Problem((), reason, hint, field)])


def actor_of(request: Request) -> Actor:
    """The acting user, from the gateway's headers (a missing or unknown role is 422)."""
    who, role = request.headers.get("X-Actor-Id"), request.headers.get("X-Actor-Role", "")
    if not who:
        raise _bad("X-Actor-Id", "no X-Actor-Id header", "The gateway names the signed-on user.")
    try:
        kind = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise _bad("X-Actor-Role", f"{role!r} is not a role", f"Use one of {roles}.") from None
    return Actor(who, kind, employer_id=request.headers.get("X-Employer-Id"))


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise _bad("body", "the body is not JSON", "Send a JSON object.") from None
    if not isinstance(data, dict):
        raise _bad("body", "the body is not a JSON object", "Send a JSON object.")
    return data


def create_app(program: Program) -> FastAPI:
    """The service around ``program`` (one per process, shared by every request)."""
    app = FastAPI(title="Employment Choice for All Act: grants", version="1")
    app.state.program = program
    app.add_exception_handler(ChoiceWorkflowError, lambda _r, e: error_response(e))

    def key(request: Request) -> str | None:
        return request.headers.get("Idempotency-Key")

    @app.post("/employers", status_code=201)
    async def register_employer(request: Request) -> dict[str, Any]:
        employer = employer_from_data(await _body(request))
        done = await run_in_threadpool(
            program.register_employer, employer, actor_of(request), command_id=key(request)
        )
        return employer_to_data(done)

    @app.post("/cycles", status_code=201)
    async def open_cycle(request: Request) -> dict[str, Any]:
        body = await _body(request)
        number: Any = body.get("number")
        appropriation: Any = body.get("appropriation")
        cycle = await run_in_threadpool(
            program.open_cycle, number, actor_of(request), appropriation=appropriation,
            command_id=key(request),
        )  # fmt: skip
        return {"number": cycle.number, "opens_at": cycle.opens_at.isoformat(),
                "appropriation": str(cycle.appropriation), "available": str(cycle.available)}  # fmt: skip

    @app.post("/applications", status_code=201)
    async def apply(request: Request) -> dict[str, Any]:
        body = await _body(request)
        application = application_from_data(body.get("application"))
        grant = await run_in_threadpool(
            program.apply, application, actor_of(request), grant_id=body.get("grant_id"),
            cycle=body.get("cycle", 1), command_id=key(request),
        )  # fmt: skip
        return _grant(grant)

    def command(path: str, run: Callable[[str, Actor, dict[str, Any], str | None], Grant]) -> None:
        async def endpoint(grant_id: str, request: Request) -> dict[str, Any]:
            body = await _body(request) if await request.body() else {}
            # The library blocks (a database transaction): off the event loop, in a thread.
            done = await run_in_threadpool(run, grant_id, actor_of(request), body, key(request))
            return _grant(done)

        app.post(f"/grants/{{grant_id}}/{path}", name=path)(endpoint)

    command(
        "review",
        lambda g, a, b, k: program.review(g, a, notes=str(b.get("notes", "")), command_id=k),
    )
    command("approval", lambda g, a, b, k: program.approve(g, b.get("amount"), a, command_id=k))  # type: ignore[arg-type]
    command("notice", lambda g, a, b, k: program.confirm_notice(
        g, a, channel=b.get("channel"), confirmed_at=_instant(b.get("confirmed_at")), command_id=k))  # type: ignore[arg-type]  # fmt: skip
    command("acceptance", lambda g, a, b, k: program.accept(g, a, command_id=k))
    command("assistance", lambda g, a, b, k: program.record_technical_assistance(
        g, a, description=str(b.get("description", "")), command_id=k))  # fmt: skip
    command("wages", lambda g, a, b, k: program.record_wages(
        g, a, [parse_wage_record(r) for r in _records(b)], final=bool(b.get("final")), command_id=k))  # fmt: skip

    @app.get("/grants/{grant_id}")
    def grant(grant_id: str, request: Request) -> dict[str, Any]:
        found = program.grant(grant_id)
        _may_read(actor_of(request), found.employer_id, "read")
        return _grant(found)

    @app.get("/grants")
    def grants(
        request: Request, state: str | None = None, employer_id: str | None = None,
        cycle: int | None = None, after: str | None = None, limit: int = 100,
    ) -> dict[str, Any]:  # fmt: skip
        reader = actor_of(request)
        if reader.role is Role.EMPLOYER:  # an employer's user lists its own grants only
            _may_read(reader, employer_id or reader.employer_id, "list")
            employer_id = reader.employer_id
        try:
            wanted = None if state is None else State(state)
        except ValueError:
            raise _bad("state", f"{state!r} is not a state", f"Use one of {', '.join(s.value for s in State)}.") from None  # fmt: skip
        page = program.grants(
            wanted, employer_id=employer_id, cycle=cycle, after=after, limit=limit
        )
        return {
            "grants": [_grant(g) for g in page],
            "next": page[-1].id if len(page) == limit else None,
        }

    @app.get("/cycles/{number}/queue")
    def queue(number: int, request: Request) -> dict[str, Any]:
        _may_read(actor_of(request), None, "read the queue")  # other applicants: staff only
        return {
            "cycle": number,
            "queue": [{"grant_id": e.grant_id, **e.to_data()} for e in program.queue(number)],
        }

    return app


def _instant(value: object) -> Any:
    """An ISO 8601 instant as sent; one without its offset reaches the Program, which
    refuses it (a naive time is never guessed)."""
    if not isinstance(value, str):
        raise _bad("confirmed_at", f"expected an ISO instant, got {value!r}", "Send confirmed_at as 2030-07-01T09:00:00-05:00.")  # fmt: skip
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise _bad(
            "confirmed_at", f"{value!r} is not an ISO instant", "Send it with its UTC offset."
        ) from None


def _may_read(reader: Actor, employer_id: str | None, what: str) -> None:
    """The Department's staff read everything; an employer's user only its own
    employer's grants (NotPermitted: 403)."""
    if reader.role is Role.EMPLOYER and (employer_id is None or employer_id != reader.employer_id):
        raise NotPermitted(
            command=what, actor=reader.id, role=reader.role.value,
            reason="an employer's user reads its own employer's grants only",
            hint="Sign on as the Department's staff to read other employers' records.",
        )  # fmt: skip


def _records(body: dict[str, Any]) -> list[object]:
    records = body.get("records")
    if not isinstance(records, list) or not records:
        raise _bad("records", "no wage records", "Send records: a list of wage records.")
    return records


def _program_from_environment() -> Program:
    url = os.environ.get("CHOICE_WORKFLOW_DB")
    if not url:
        raise SystemExit("Set CHOICE_WORKFLOW_DB to the store's URL (sqlite:///grants.sqlite, postgresql+psycopg://...).")  # fmt: skip
    return Program(SqlStore(url))


if os.environ.get("CHOICE_WORKFLOW_DB"):
    app = create_app(_program_from_environment())
    """The ASGI app uvicorn serves (the program of CHOICE_WORKFLOW_DB, on the system clock)."""
