"""The one transition table: validated when built, and the single source of the diagram."""

from __future__ import annotations

import attrs
import pytest

from choice_workflow.cites import CITES
from choice_workflow.domain.actors import Role
from choice_workflow.domain.state import State
from choice_workflow.lifecycle import GRANT_LIFECYCLE, TableError, Transition, Wait
from choice_workflow.lifecycle.diagram import diagram, dot, mermaid
from choice_workflow.lifecycle.machine import shared_machine
from choice_workflow.lifecycle.table import TransitionTable
from scripts import lifecycle_doc


def _table(**changes: object) -> TransitionTable:
    fields: dict[str, object] = {
        "states": GRANT_LIFECYCLE.states,
        "initial": GRANT_LIFECYCLE.initial,
        "transitions": GRANT_LIFECYCLE.transitions,
        "waits": GRANT_LIFECYCLE.waits,
    }
    fields.update(changes)
    return TransitionTable(**fields)  # type: ignore[arg-type]  # the tests pass the right types


def test_the_canonical_states_are_those_of_the_design() -> None:
    expected = [
        "applied", "approved", "accepted", "transitioning", "evaluated", "closed",
        "denied", "withdrawn", "declined", "forfeited", "terminated",
    ]  # fmt: skip
    assert expected == [s.value for s in GRANT_LIFECYCLE.states]
    assert {"closed", "denied", "withdrawn", "declined", "forfeited", "terminated"} == {
        s.value for s in State if s.is_final
    }


def test_only_rows_that_keep_the_state_may_start_from_a_final_state() -> None:
    from_final = {
        t.trigger for t in GRANT_LIFECYCLE.transitions if any(s.is_final for s in t.sources)
    }
    assert {"correct", "place_hold", "release_hold", "record_repayment"} == from_final
    assert all(GRANT_LIFECYCLE.by_trigger[t].dest is None for t in from_final)
    leaving = tuple(
        attrs.evolve(t, dest=State.TERMINATED) if t.trigger == "record_repayment" else t
        for t in GRANT_LIFECYCLE.transitions
    )
    with pytest.raises(TableError, match="final state 'terminated' is left by 'record_repayment'"):
        _table(transitions=leaving)


def test_review_and_confirm_notice_keep_the_state() -> None:
    assert GRANT_LIFECYCLE.by_trigger["review"].dest is None
    assert GRANT_LIFECYCLE.by_trigger["confirm_notice"].dest is None


def test_every_row_cites_known_provisions_of_the_act() -> None:
    cited = {c for t in GRANT_LIFECYCLE.transitions for c in t.cites}
    cited |= {c for w in GRANT_LIFECYCLE.waits for c in w.cites}
    assert set() == cited - set(CITES)


def test_a_non_final_state_with_no_exit_is_refused_by_name() -> None:
    # evaluate, terminate and close_out leave from accepted only: transitioning keeps
    # just the rows that stay.
    moved = tuple(
        attrs.evolve(t, sources=frozenset({State.ACCEPTED}))
        if t.trigger in ("evaluate", "terminate", "close_out")
        else t
        for t in GRANT_LIFECYCLE.transitions
    )
    with pytest.raises(TableError, match="'transitioning' has no exit"):
        _table(transitions=moved)


def test_a_state_no_transition_reaches_is_refused_by_name() -> None:
    only_to_evaluated = tuple(
        attrs.evolve(t, dest=State.TERMINATED) if t.trigger == "evaluate" else t
        for t in GRANT_LIFECYCLE.transitions
    )
    with pytest.raises(TableError, match="'evaluated' is unreachable"):
        _table(transitions=only_to_evaluated)


def test_a_waiting_state_without_a_deadline_declaration_is_refused_by_name() -> None:
    waits = tuple(w for w in GRANT_LIFECYCLE.waits if w.state is not State.ACCEPTED)
    with pytest.raises(TableError, match="'accepted' declares neither a deadline"):
        _table(waits=waits)
    blank = (*waits, Wait(State.ACCEPTED))
    with pytest.raises(TableError, match="'accepted' declares neither"):
        _table(waits=blank)


def test_a_transition_to_an_unknown_state_is_refused_by_name() -> None:
    states = tuple(s for s in GRANT_LIFECYCLE.states if s is not State.DECLINED)
    with pytest.raises(TableError, match="unknown state 'declined'"):
        _table(states=states)


def test_a_final_state_with_an_exit_is_refused() -> None:
    rows = (
        *GRANT_LIFECYCLE.transitions,
        Transition(
            "reopen", frozenset({State.DENIED}), State.APPLIED, "Reopened",
            frozenset({Role.DIRECTOR}), ("15(b)",),
        ),
    )  # fmt: skip
    with pytest.raises(TableError, match="final state 'denied' is left by 'reopen'"):
        _table(transitions=rows)


def test_duplicate_triggers_and_roleless_rows_are_refused() -> None:
    accept = GRANT_LIFECYCLE.by_trigger["accept"]
    with pytest.raises(TableError, match="'accept' appears twice"):
        _table(transitions=(*GRANT_LIFECYCLE.transitions, attrs.evolve(accept, event_type="X")))
    roleless = tuple(
        attrs.evolve(t, roles=frozenset()) if t.trigger == "accept" else t
        for t in GRANT_LIFECYCLE.transitions
    )
    with pytest.raises(TableError, match="'accept' allows no role"):
        _table(transitions=roleless)


def test_the_machine_has_one_event_per_trigger_and_no_auto_transitions() -> None:
    machine = shared_machine().machine
    assert set(GRANT_LIFECYCLE.triggers) == set(machine.events)
    assert [] == machine.models


def test_the_mermaid_diagram_has_every_edge_with_its_cites() -> None:
    text = mermaid()
    assert text.startswith("stateDiagram-v2\n")
    for t in GRANT_LIFECYCLE.transitions:
        for source in t.sources:
            dest = source if t.dest is None else t.dest
            cites = ", ".join(t.cites).replace('"', "'")
            assert f"{source.value} --> {dest.value}: {t.trigger} [{cites}]" in text
    assert "note right of approved: deadline: accept_by" in text


def test_the_dot_diagram_is_a_digraph_with_every_edge() -> None:
    text = dot()
    assert text.startswith("digraph grant_lifecycle {")
    pairs = {
        (s, s if t.dest is None else t.dest) for t in GRANT_LIFECYCLE.transitions for s in t.sources
    }
    assert len(pairs) + 1 == text.count(" -> ")  # one edge per pair: a state's loops drawn once
    for t in GRANT_LIFECYCLE.transitions:
        for source in t.sources:
            dest = source if t.dest is None else t.dest
            label = f"{t.trigger} [{', '.join(t.cites)}]".replace('"', "'")
            edge = next(
                line for line in text.splitlines() if f" {source.value} -> {dest.value} [" in line
            )
            assert label in edge
    assert text == diagram("dot")


def test_docs_lifecycle_page_is_generated_from_the_table() -> None:
    assert 0 == lifecycle_doc.main(["--check"]), "docs/lifecycle.md is stale: run `make docs`"
