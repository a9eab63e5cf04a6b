"""The web service example (examples/web_service): its own tests pass as its README runs
them, and on PostgreSQL a request that keeps losing its race is 409 with Retry-After and
a lost connection 503, through real HTTP requests of the test client."""

from __future__ import annotations

import importlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pendulum
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from choice_workflow import ManualClock, Program
from choice_workflow.domain import application_to_data, employer_to_data
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.service.unit_of_work import RETRIES
from choice_workflow.store import _faults
from choice_workflow.store.sql import SqlStore

ROOT = Path(__file__).resolve().parent.parent
SERVICE = ROOT / "examples" / "web_service"
START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = {"X-Actor-Id": "dol-intake", "X-Actor-Role": "department"}
DIRECTOR = {"X-Actor-Id": "director", "X-Actor-Role": "director"}
RACERS = RETRIES + 4
"""More racers on one grant than a command's tries: the last ones run out of them."""
EMPLOYER = {"X-Actor-Id": "user-E-1", "X-Actor-Role": "employer", "X-Employer-Id": "E-1"}


def test_the_web_service_examples_own_tests_pass(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(SERVICE), "-q", "-p", "no:cacheprovider",
         f"--basetemp={tmp_path}"],
        capture_output=True, text=True, cwd=ROOT, timeout=600, check=False,
    )  # fmt: skip
    assert 0 == done.returncode, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    assert "skipped" not in done.stdout


def _api() -> ModuleType:
    sys.path.insert(0, str(SERVICE))
    try:
        return importlib.import_module("grants_api")
    finally:
        sys.path.remove(str(SERVICE))


@pytest.fixture(name="accepted_on_postgresql")
def fixture_accepted_on_postgresql(
    pg_server: object, request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, str]]:
    url = request.getfixturevalue("pg_server").create_database(
        f"web_{len(request.node.name)}_{abs(hash(request.node.name)) % 10**6}"
    )
    store = SqlStore(url)
    program = Program(store, clock=ManualClock(START))
    with TestClient(_api().create_app(program)) as client:
        client.post(
            "/employers",
            json=employer_to_data(sample_employer("E-1", at=START)),
            headers=DEPARTMENT,
        )
        client.post("/cycles", json={"number": 1, "appropriation": "100000.00"}, headers=DIRECTOR)
        application = application_to_data(sample_application("E-1", at=START))
        client.post(
            "/applications", json={"grant_id": "G-1", "application": application}, headers=EMPLOYER
        )
        client.post("/grants/G-1/approval", json={"amount": "25000.00"}, headers=DIRECTOR)
        client.post("/grants/G-1/notice", json={"channel": "email", "confirmed_at": START.isoformat()}, headers=DEPARTMENT)  # fmt: skip
        assert "accepted" == client.post("/grants/G-1/acceptance", headers=EMPLOYER).json()["state"]
        yield client, url
    store.dispose()


@pytest.mark.postgres
def test_requests_that_keep_losing_their_race_are_409_with_retry_after(
    accepted_on_postgresql: tuple[TestClient, str],
) -> None:
    client, _ = accepted_on_postgresql
    answers: list[tuple[int, str | None, str]] = []
    start = threading.Barrier(RACERS)

    def assist(n: int) -> None:
        start.wait(30)
        done = client.post("/grants/G-1/assistance", json={"description": f"visit {n}"},
                           headers={"Idempotency-Key": f"assist-{n}", **DEPARTMENT})  # fmt: skip
        answers.append(
            (done.status_code, done.headers.get("Retry-After"), done.json().get("error", ""))
        )

    _faults.set_pauses("after_read:0.4")  # every racer reads before any writes, each round
    try:
        racers = [threading.Thread(target=assist, args=(n,)) for n in range(RACERS)]
        for t in racers:
            t.start()
        for t in racers:
            t.join(120)
    finally:
        _faults.set_pauses("")
    lost = [a for a in answers if a[0] == 409]
    assert lost, answers  # more racers on one grant than tries each: some run out
    assert all(a == (409, "1", "ConcurrencyConflict") for a in lost)
    won = [a for a in answers if a[0] == 200]
    assert won
    assert RACERS == len(won) + len(lost)
    recorded = client.get("/grants/G-1", headers=DEPARTMENT).json()["version"]
    assert recorded >= len(won)


@pytest.mark.postgres
def test_a_lost_connection_is_503_with_retry_after_and_no_sql(
    accepted_on_postgresql: tuple[TestClient, str],
) -> None:
    client, url = accepted_on_postgresql
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))  # fmt: skip
    engine.dispose()
    lost = client.get("/grants", params={"employer_id": "E-1"}, headers=DEPARTMENT)
    assert (503, "1", "ConnectionLost") == (
        lost.status_code,
        lost.headers.get("Retry-After"),
        lost.json()["error"],
    )
    assert "SELECT" not in lost.text
    assert (
        200 == client.get("/grants", params={"employer_id": "E-1"}, headers=DEPARTMENT).status_code
    )
