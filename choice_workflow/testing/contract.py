"""The store contract: one suite every backend must pass (memory, SQLite, PostgreSQL).

Subclass :class:`StoreContract` in a test module and provide a ``store`` fixture that
returns a fresh, empty store for each test::

    class TestMyStore(StoreContract):
        @pytest.fixture(name="store")
        def fixture_store(self) -> Store:
            return MyStore()
"""

from __future__ import annotations

import pendulum
import pytest

from choice_workflow.domain.actors import Actor, Role
from choice_workflow.domain.state import State
from choice_workflow.errors import ConcurrencyConflict, InvalidInput
from choice_workflow.events import Event
from choice_workflow.events.chain import GENESIS, link, merkle_root
from choice_workflow.projections.grants import fold as fold_grant
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.service.program import Program
from choice_workflow.store.base import Store
from choice_workflow.time.clock import ManualClock
from choice_workflow.time.instants import to_us

START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = Actor("dol", Role.DEPARTMENT)
DIRECTOR = Actor("director", Role.DIRECTOR)


def _event(stream: str, version: int, command: str, kind: str = "Note") -> Event:
    now = START.in_timezone("UTC")
    return Event(kind, stream, version, now, now, "tester", "system", command, {"n": version})


def _program(store: Store, employers: int = 2) -> tuple[Program, ManualClock]:
    clock = ManualClock(START)
    program = Program(store, clock=clock)
    for n in range(1, employers + 1):
        program.register_employer(sample_employer(f"E{n}", at=clock.now()), DEPARTMENT)
    program.open_cycle(1, DIRECTOR, appropriation="1000000.00")
    return program, clock


def _employer(n: int) -> Actor:
    return Actor(f"e{n}", Role.EMPLOYER, employer_id=f"E{n}")


class StoreContract:
    """What every store must do. Each test gets a fresh ``store`` from the fixture."""

    def test_events_append_and_read_back_in_stream_order(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.append([_event("s1", 1, "c1"), _event("s1", 2, "c1"), _event("s2", 1, "c1")])
        with store.transaction() as tx:
            assert [1, 2] == [e.version for e in tx.stream("s1")]
            assert 2 == tx.stream_version("s1")
            assert 0 == tx.stream_version("nothing")
            assert 3 == len(tx.command_events("c1") or ())
            assert tx.command_events("c2") is None

    def test_a_stale_version_is_a_conflict_and_writes_nothing(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.append([_event("s1", 1, "c1")])
        with pytest.raises(ConcurrencyConflict), store.transaction() as tx:
            tx.append([_event("s1", 1, "c2")])
        with pytest.raises(ConcurrencyConflict), store.transaction() as tx:
            tx.append([_event("s9", 1, "c3"), _event("s1", 3, "c3")])
        with store.transaction() as tx:
            assert [] == tx.stream("s9")
            assert 1 == tx.stream_version("s1")

    def test_a_failed_unit_of_work_leaves_no_trace(self, store: Store) -> None:
        def crash() -> None:
            with store.transaction() as tx:
                tx.append([_event("s1", 1, "c1")])
                raise RuntimeError("crash between statements")

        with pytest.raises(RuntimeError):
            crash()
        assert [] == list(store.stored_events())

    def test_stored_events_form_a_hash_chain_per_stream(self, store: Store) -> None:
        with store.transaction() as tx:
            tx.append([_event("a", 1, "c1"), _event("b", 1, "c1")])
        with store.transaction() as tx:
            tx.append([_event("a", 2, "c2")])
        stored = list(store.stored_events())
        assert [1, 2, 3] == [s.position for s in stored]
        heads: dict[str, str] = {}
        for s in stored:
            assert heads.get(s.event.stream_id, GENESIS) == s.prev_hash
            assert link(s.prev_hash, s.record) == s.hash
            assert s.event.canonical_bytes() == s.record
            heads[s.event.stream_id] = s.hash
        assert [s.position for s in stored[1:]] == [
            s.position for s in store.stored_events(after=1)
        ]

    def test_a_whole_lifecycle_runs_on_the_store(self, store: Store) -> None:
        program, clock = _program(store)
        program.apply(sample_application("E1", at=clock.now()), _employer(1), grant_id="G1")
        program.approve("G1", "30000.00", DIRECTOR)
        program.confirm_notice("G1", DEPARTMENT, channel="email", confirmed_at=clock.now())
        program.accept("G1", _employer(1))
        program.begin_transition("G1", _employer(1), started_at=clock.now())
        clock.advance(days=1000)
        grant = program.evaluate("G1", Actor("ev", Role.EVALUATOR), evaluation={"wages": "up"})
        assert State.EVALUATED == grant.state
        assert grant == program.grant("G1")
        assert grant == fold_grant(program.events("G1"))
        assert sample_application("E1", at=START) == program.application("G1")
        assert sample_employer("E1", at=START) == program.employer("E1")

    def test_queries_filter_and_order_grants(self, store: Store) -> None:
        program, clock = _program(store, employers=3)
        for n in (3, 1, 2):
            program.apply(
                sample_application(f"E{n}", at=clock.now()), _employer(n), grant_id=f"G{n}"
            )
        for n in (2, 1):
            program.approve(f"G{n}", "20000.00", DIRECTOR)
            program.confirm_notice(f"G{n}", DEPARTMENT, channel="email", confirmed_at=clock.now())
            clock.advance(hours=1)
        assert ["G1", "G2", "G3"] == [g.id for g in program.grants()]
        assert ["G1", "G2"] == [g.id for g in program.grants(State.APPROVED)]
        due = program.deadlines_due(clock.now().add(days=3))
        assert ["G2", "G1"] == [g.id for g, _ in due]
        with store.transaction() as tx:
            assert ["G3"] == [g.id for g in tx.grants_of_employer("E3")]
            claimed = tx.claim_due(to_us(clock.now().add(days=3)), frozenset({"G2"}))
            assert claimed is not None
            assert "G1" == claimed.id

    def test_a_retried_command_id_writes_nothing(self, store: Store) -> None:
        program, clock = _program(store)
        program.apply(
            sample_application("E1", at=clock.now()),
            _employer(1),
            grant_id="G1",
            command_id="apply-1",
        )
        again = program.apply(
            sample_application("E1", at=clock.now()),
            _employer(1),
            grant_id="G1",
            command_id="apply-1",
        )
        assert 1 == again.version
        assert 1 == len(program.events("G1"))

    def test_the_sweep_forfeits_each_lapsed_approval_once(self, store: Store) -> None:
        program, clock = _program(store)
        for n in (1, 2):
            program.apply(
                sample_application(f"E{n}", at=clock.now()), _employer(n), grant_id=f"G{n}"
            )
            program.approve(f"G{n}", "20000.00", DIRECTOR)
            program.confirm_notice(f"G{n}", DEPARTMENT, channel="email", confirmed_at=clock.now())
        program.accept("G2", _employer(2))
        clock.advance(hours=48, microseconds=1)
        assert ["G1"] == [g.id for g in program.sweep()]
        assert [] == program.sweep()
        assert State.FORFEITED == program.grant("G1").state

    def test_a_program_reopened_on_the_store_keeps_its_rules_and_grants(self, store: Store) -> None:
        program, clock = _program(store)
        program.apply(sample_application("E1", at=clock.now()), _employer(1), grant_id="G1")
        reopened = Program(store, clock=clock)
        assert program.rules == reopened.rules
        assert program.grant("G1") == reopened.grant("G1")
        assert 1 == sum(e.type == "ProgramStarted" for e in store.all_events())

    def test_the_tree_covers_the_log_in_position_order_and_answers_proofs(
        self, store: Store
    ) -> None:
        program, clock = _program(store, employers=3)
        records = [s.record for s in store.stored_events()]
        head = program.tree_head()
        assert (len(records), merkle_root(records)) == (head.size, head.root)
        for n in (1, 2):
            program.apply(
                sample_application(f"E{n}", at=clock.now()), _employer(n), grant_id=f"G{n}"
            )
        stored = list(store.stored_events())
        later = program.tree_head()
        assert (len(stored), merkle_root([s.record for s in stored])) == (later.size, later.root)
        assert later.root == program.tree_head().root  # growing it twice adds nothing
        assert head.root == program.tree_head(head.size).root  # an older size, as it was
        for s in stored:
            proof = program.prove_inclusion(s.position)
            assert proof.problem(s.record, later.root) is None
        assert program.prove_consistency(head.size).problem(head.root, later.root) is None
        with pytest.raises(InvalidInput):
            program.prove_inclusion(stored[-1].position + 1000)
