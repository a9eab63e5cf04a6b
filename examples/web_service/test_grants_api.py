"""The grant service's own tests: real HTTP requests through httpx's test client, on a
SQLite store of a temporary directory, a Program on a manual clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pendulum
import pytest
from fastapi.testclient import TestClient
from grants_api import create_app
from sweeper import sweep_once

from choice_workflow import ManualClock, Program
from choice_workflow.domain import application_to_data, employer_to_data
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = {"X-Actor-Id": "dol-intake", "X-Actor-Role": "department"}
DIRECTOR = {"X-Actor-Id": "director", "X-Actor-Role": "director"}


def employer(employer_id: str) -> dict[str, str]:
    return {
        "X-Actor-Id": f"user-{employer_id}",
        "X-Actor-Role": "employer",
        "X-Employer-Id": employer_id,
    }


@pytest.fixture(name="service")
def fixture_service(tmp_path: Path) -> Iterator[tuple[TestClient, Program, ManualClock]]:
    clock = ManualClock(START)
    store = SqlStore(f"sqlite:///{tmp_path / 'grants.sqlite'}")
    program = Program(store, clock=clock)
    with TestClient(create_app(program)) as client:
        yield client, program, clock
    store.dispose()


def _applied(client: TestClient, employer_id: str, grant_id: str, amount: str = "25000.00") -> None:
    data = employer_to_data(sample_employer(employer_id, at=START))
    assert 201 == client.post("/employers", json=data, headers=DEPARTMENT).status_code
    application = application_to_data(sample_application(employer_id, at=START, amount=amount))
    made = client.post("/applications", json={"grant_id": grant_id, "application": application},
                       headers=employer(employer_id))  # fmt: skip
    assert 201 == made.status_code, made.json()


def _approved(client: TestClient, grant_id: str) -> dict[str, Any]:
    approved = client.post(
        f"/grants/{grant_id}/approval", json={"amount": "25000.00"}, headers=DIRECTOR
    )
    assert 200 == approved.status_code, approved.json()
    notice = {"channel": "email", "confirmed_at": START.isoformat()}
    confirmed = client.post(f"/grants/{grant_id}/notice", json=notice, headers=DEPARTMENT)
    assert 200 == confirmed.status_code, confirmed.json()
    return dict(confirmed.json())


@pytest.fixture(name="open_cycle")
def fixture_open_cycle(service: tuple[TestClient, Program, ManualClock]) -> TestClient:
    client = service[0]
    opened = client.post(
        "/cycles", json={"number": 1, "appropriation": "100000.00"}, headers=DIRECTOR
    )
    assert 201 == opened.status_code, opened.json()
    assert "100000.00" == opened.json()["available"]
    return client


def test_a_grant_from_application_to_acceptance_over_http(open_cycle: TestClient) -> None:
    client = open_cycle
    _applied(client, "E-1", "G-1")
    assert "applied" == client.get("/grants/G-1", headers=employer("E-1")).json()["state"]
    queue = client.get("/cycles/1/queue", headers=DEPARTMENT).json()["queue"]
    assert ["G-1"] == [e["grant_id"] for e in queue]
    assert (
        200
        == client.post(
            "/grants/G-1/review", json={"notes": "complete"}, headers=DEPARTMENT
        ).status_code
    )
    notice = _approved(client, "G-1")
    assert pendulum.parse(notice["accept_by"]) == START.add(hours=48)
    accepted = client.post("/grants/G-1/acceptance", headers=employer("E-1"))
    assert ("accepted", "25000.00") == (accepted.json()["state"], accepted.json()["amount"])


def test_a_refusal_is_409_with_every_problem_its_cites_and_hints(open_cycle: TestClient) -> None:
    client = open_cycle
    _applied(client, "E-1", "G-1")
    refused = client.post("/grants/G-1/acceptance", headers=employer("E-1"))
    assert 409 == refused.status_code
    body = refused.json()
    assert "TransitionRefused" == body["error"]
    assert body["problems"]
    assert all(p["cites"] and p["hint"] for p in body["problems"])


def test_a_role_that_may_not_is_403_and_a_user_of_another_employer_too(
    open_cycle: TestClient,
) -> None:
    client = open_cycle
    _applied(client, "E-1", "G-1")
    refused = client.post(
        "/grants/G-1/approval", json={"amount": "25000.00"}, headers=employer("E-1")
    )
    assert (403, "NotPermitted") == (refused.status_code, refused.json()["error"])
    _approved(client, "G-1")
    _applied(client, "E-2", "G-2")
    other = client.post("/grants/G-1/acceptance", headers=employer("E-2"))
    assert 403 == other.status_code


@pytest.mark.parametrize(
    ("path", "body", "headers", "field"),
    [
        ("/applications", {"application": {"employer_id": "E-1"}}, employer("E-1"), "amount_requested"),
        ("/grants/G-1/approval", {"amount": "1e4"}, DIRECTOR, "amount"),
        ("/grants/G-1/approval", {"amount": 25000.5}, DIRECTOR, "amount"),
        ("/grants/G-1/notice", {"channel": "email", "confirmed_at": "2030-07-01T09:00:00"}, DEPARTMENT, "confirmed_at"),
        ("/grants/G-1/review", {}, {"X-Actor-Id": "x", "X-Actor-Role": "mayor"}, "X-Actor-Role"),
        ("/grants/G-1/review", {}, {"X-Actor-Role": "department"}, "X-Actor-Id"),
        ("/grants/G-1/wages", {"records": [{"employee_id": "P-1", "paid_on": "2031-02-30"}]}, employer("E-1"), "paid_on"),
    ],
    ids=["missing fields", "exponent money", "float money", "naive instant", "unknown role", "no actor", "bad wage"],
)  # fmt: skip
def test_bad_input_is_422_with_the_field_path(
    open_cycle: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], field: str
) -> None:
    _applied(open_cycle, "E-1", "G-1")
    refused = open_cycle.post(path, json=body, headers=headers)
    assert 422 == refused.status_code, refused.json()
    assert field in [p["field"] for p in refused.json()["problems"]]


def test_an_unknown_grant_is_404_and_a_body_that_is_not_an_object_422(
    open_cycle: TestClient,
) -> None:
    missing = open_cycle.get("/grants/G-NOPE", headers=DEPARTMENT)
    assert (404, "UnknownGrant") == (missing.status_code, missing.json()["error"])
    assert 422 == open_cycle.post("/employers", content=b"[1, 2]", headers=DEPARTMENT).status_code
    assert (
        422 == open_cycle.post("/employers", content=b"{not json", headers=DEPARTMENT).status_code
    )


def test_a_retried_request_is_recorded_once_and_a_reused_key_with_another_body_is_422(
    open_cycle: TestClient, service: tuple[TestClient, Program, ManualClock]
) -> None:
    client, program, _ = service
    _applied(client, "E-1", "G-1")
    key = {"Idempotency-Key": "approve-G-1-7f3a", **DIRECTOR}
    first = client.post("/grants/G-1/approval", json={"amount": "25000.00"}, headers=key)
    again = client.post("/grants/G-1/approval", json={"amount": "25000.00"}, headers=key)
    assert 200 == first.status_code == again.status_code
    assert first.json() == again.json()
    assert 1 == sum(e.type == "Approved" for e in program.events("G-1"))
    other = client.post("/grants/G-1/approval", json={"amount": "30000.00"}, headers=key)
    assert (422, "IdempotencyKeyReused") == (other.status_code, other.json()["error"])


def test_two_concurrent_acceptances_one_wins_the_other_is_409(open_cycle: TestClient) -> None:
    client = open_cycle
    _applied(client, "E-1", "G-1")
    _approved(client, "G-1")
    answers: list[int] = []
    start = threading.Barrier(2)

    def accept(n: int) -> None:
        start.wait(10)
        headers = {"Idempotency-Key": f"accept-{n}", **employer("E-1")}
        answers.append(client.post("/grants/G-1/acceptance", headers=headers).status_code)

    racers = [threading.Thread(target=accept, args=(n,)) for n in range(2)]
    for t in racers:
        t.start()
    for t in racers:
        t.join(60)
    assert [200, 409] == sorted(answers)


def test_grants_page_by_keyset_and_filter_by_state(open_cycle: TestClient) -> None:
    for n in range(1, 6):
        _applied(open_cycle, f"E-{n}", f"G-{n}", amount="10000.00")
    first = open_cycle.get("/grants", params={"limit": 2}, headers=DEPARTMENT).json()
    assert (["G-1", "G-2"], "G-2") == ([g["id"] for g in first["grants"]], first["next"])
    rest = open_cycle.get(
        "/grants", params={"limit": 10, "after": first["next"]}, headers=DEPARTMENT
    ).json()
    assert (["G-3", "G-4", "G-5"], None) == ([g["id"] for g in rest["grants"]], rest["next"])
    assert 5 == len(
        open_cycle.get("/grants", params={"state": "applied"}, headers=DEPARTMENT).json()["grants"]
    )
    assert (
        422
        == open_cycle.get("/grants", params={"state": "sleeping"}, headers=DEPARTMENT).status_code
    )
    assert 422 == open_cycle.get("/grants", params={"limit": 0}, headers=DEPARTMENT).status_code


def test_an_employers_user_reads_its_own_grants_only(open_cycle: TestClient) -> None:
    _applied(open_cycle, "E-1", "G-1")
    _applied(open_cycle, "E-2", "G-2")
    own = open_cycle.get("/grants", headers=employer("E-1")).json()["grants"]
    assert ["G-1"] == [g["id"] for g in own]
    assert (
        403
        == open_cycle.get(
            "/grants", params={"employer_id": "E-2"}, headers=employer("E-1")
        ).status_code
    )
    assert 403 == open_cycle.get("/grants/G-2", headers=employer("E-1")).status_code
    assert 403 == open_cycle.get("/cycles/1/queue", headers=employer("E-1")).status_code
    assert 422 == open_cycle.get("/grants/G-1").status_code  # nobody signed on


def test_the_sweeper_forfeits_a_lapsed_approval_and_the_queue_moves(
    open_cycle: TestClient, service: tuple[TestClient, Program, ManualClock]
) -> None:
    client, program, clock = service
    _applied(client, "E-1", "G-1")
    _approved(client, "G-1")
    clock.advance(hours=49)
    assert ["G-1"] == sweep_once(program)
    assert "forfeited" == client.get("/grants/G-1", headers=DEPARTMENT).json()["state"]
    assert [] == sweep_once(program)
