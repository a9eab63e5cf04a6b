"""The command registry: validated when it is built, the one picture of every command,
and open to a new command that is one entry and its handler (DESIGN.md "The command
layer")."""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow import (
    Actor,
    ChoiceWorkflowError,
    ManualClock,
    NotPermitted,
    Program,
    Role,
    State,
    TransitionRefused,
)
from choice_workflow.audit import Item, Kind, verify
from choice_workflow.commands import REGISTRY, CommandSpec, Emit, Target
from choice_workflow.commands.employers import employer_stream
from choice_workflow.commands.spec import View
from choice_workflow.domain.grant import Grant
from choice_workflow.errors import Problem, TableError
from choice_workflow.events import EventType
from choice_workflow.lifecycle.compiled import step
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.machine import LifecycleMachine
from choice_workflow.lifecycle.table import GRANT_LIFECYCLE, TransitionTable
from choice_workflow.projections.cycles import CYCLE_EVENTS
from choice_workflow.projections.employers import EMPLOYER_EVENTS
from choice_workflow.projections.state import ProjectionState
from choice_workflow.rules import Rules
from choice_workflow.samples import sample_employer
from choice_workflow.store import MemoryStore, Store
from scripts import commands_doc

ROOT = Path(__file__).resolve().parent.parent
START = pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago")
DEPARTMENT = Actor("dol-1", Role.DEPARTMENT)
EVERYONE = {
    "department": DEPARTMENT,
    "director": Actor("director-1", Role.DIRECTOR),
    "evaluator": Actor("evaluator-1", Role.EVALUATOR),
    "auditor": Actor("auditor-1", Role.AUDITOR),
    "system": Actor.system(),
    "employer": Actor("e1-user", Role.EMPLOYER, employer_id="E1"),
}


# -- the registry as it is built ------------------------------------------------------


def test_every_event_type_has_one_writer_and_every_grant_row_one_command() -> None:
    types = {v for k, v in vars(EventType).items() if k.isupper()}
    assert types == set(REGISTRY.by_event_type)
    assert set(GRANT_LIFECYCLE.triggers) == {s.name for s in REGISTRY if s.transition is not None}
    assert len(REGISTRY) == len({s.command for s in REGISTRY})


def test_every_command_has_roles_and_cites_or_says_why_it_has_none() -> None:
    for spec in REGISTRY:
        assert spec.roles, spec.name
        assert spec.cites or spec.no_cite, spec.name


def test_every_event_type_has_the_projection_its_command_declares() -> None:
    for spec in REGISTRY:
        expected = (
            "grants" if spec.event_type in GRANT_LIFECYCLE.by_event_type
            else "employers" if spec.event_type in EMPLOYER_EVENTS
            else "cycles" if spec.event_type in CYCLE_EVENTS
            else "none"
        )  # fmt: skip
        assert expected == spec.projection, spec.name


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: attrs.evolve(s, event_type=EventType.APPLIED), "more than one writer"),
        (lambda s: attrs.evolve(s, roles=frozenset()), "allows no role"),
        (lambda s: attrs.evolve(s, cites=(), no_cite=""), "no cites"),
        (lambda s: attrs.evolve(s, projection="ledgers"), "projects into 'ledgers'"),
        (lambda s: attrs.evolve(s, event_type="Unheard"), "has no payload class"),
        (
            lambda s: attrs.evolve(s, transition=GRANT_LIFECYCLE.by_trigger["review"]),
            "only they, have a row",
        ),
    ],
)
def test_a_registry_that_cannot_be_right_fails_when_it_is_built(change: Any, words: str) -> None:
    seal = REGISTRY.by_name["seal"]
    others = [s for s in REGISTRY if s is not seal]
    with pytest.raises(TableError, match=words):
        type(REGISTRY)([*others, change(seal)])


def test_a_grant_row_without_its_command_fails_when_the_registry_is_built() -> None:
    with pytest.raises(TableError, match="trigger 'review' of the transition table has no command"):
        type(REGISTRY)([s for s in REGISTRY if s.name != "review"])


def test_the_commands_page_is_current() -> None:
    assert 0 == commands_doc.main(["--check"]), "docs/commands.md is stale: run `make traceability`"


# -- a new command is one entry and its handler ----------------------------------------


@attrs.frozen
class RecordSiteVisit:
    """A toy command: the Department notes a visit to an employer's site."""

    name: ClassVar[str] = "record_site_visit"
    employer_id: str
    note: str


def _visit(
    command: RecordSiteVisit, employer: Any, context: Context, rules: Rules, now: Any
) -> Emit:
    if employer is None:
        raise TransitionRefused(
            command="record_site_visit",
            grant_id=command.employer_id,
            problems=[Problem(("90",), "no such employer", "Register it first.")],
        )
    if not command.note.strip():
        raise TransitionRefused(
            command="record_site_visit",
            grant_id=command.employer_id,
            problems=[Problem(("90",), "a visit states what was seen", "Pass a note.")],
        )
    return Emit({"note": command.note})


@attrs.frozen
class SiteVisitPayload:
    """The toy command's payload: its note."""

    note: str


SITE_VISIT = CommandSpec(
    name="record_site_visit", command=RecordSiteVisit, event_type="SiteVisitRecorded",
    target=Target.EMPLOYER, roles=frozenset({Role.DEPARTMENT}), cites=("90",),
    stream=lambda c: employer_stream(c.employer_id),
    state=lambda view, c: view.employer(c.employer_id), decide=_visit,
    recover=lambda e, v: RecordSiteVisit(e.stream_id.removeprefix("employer:"), e.payload["note"]),
    result=lambda events, after: events[-1].version, payload=SiteVisitPayload,
    description="The Department notes a visit to an employer's site (Section 90).",
)  # fmt: skip
TOY = REGISTRY.adding(SITE_VISIT)


@pytest.fixture(name="store")
def fixture_store(every_store: Store) -> Store:
    return every_store


def test_a_toy_command_runs_through_the_program_the_permissions_verify_and_the_docs(
    store: Store,
) -> None:
    program = Program(store, clock=ManualClock(START), registry=TOY)
    program.register_employer(sample_employer("E1", at=START), DEPARTMENT)
    # The Program runs it, idempotently.
    assert 2 == program.run(RecordSiteVisit("E1", "the floor plan"), DEPARTMENT, command_id="v1")
    assert 2 == program.run(RecordSiteVisit("E1", "the floor plan"), DEPARTMENT, command_id="v1")
    with pytest.raises(TransitionRefused, match="states what was seen"):
        program.run(RecordSiteVisit("E1", " "), DEPARTMENT)
    assert () == program.may(RecordSiteVisit("E1", "again"), DEPARTMENT)
    # The permission matrix: every other role is refused, and the attempt logged.
    for name, actor in EVERYONE.items():
        if actor.role in SITE_VISIT.roles:
            continue
        logged = len(program.events("security"))
        with pytest.raises(NotPermitted):
            program.run(RecordSiteVisit("E1", f"by {name}"), actor)
        assert logged + 1 == len(program.events("security"))
    # verify judges it like any other command, and finds a forged one.
    assert () == verify(store, registry=TOY).findings
    assert [Kind.ILLEGAL_TRANSITION] == [
        f.kind for f in verify(store).findings
    ]  # unknown to the library's own
    # The commands page lists it.
    assert (
        "| `record_site_visit` | `SiteVisitRecorded` | `employer:ID` | department | 90 |"
        in commands_doc.render(TOY)
    )


def test_verify_finds_a_toy_command_by_a_role_that_may_not_run_it() -> None:
    program = Program(clock=ManualClock(START), registry=TOY)
    program.register_employer(sample_employer("E1", at=START), DEPARTMENT)
    program.run(RecordSiteVisit("E1", "the floor plan"), DEPARTMENT)
    stored = list(program.store.stored_events())
    forged = [
        attrs.evolve(s.event, actor_id="e1-user", actor_role="employer")
        if s.event.type == "SiteVisitRecorded"
        else s.event
        for s in stored
    ]
    forged_store = MemoryStore()
    with forged_store.transaction() as tx:
        tx.append(forged)
    items = [Item(s.position, s.record, s.prev_hash, s.hash) for s in forged_store.stored_events()]
    assert [(Kind.NOT_PERMITTED, ("90",))] == [
        (f.kind, f.cites) for f in verify(items, registry=TOY).findings
    ]


# -- the compiled table and the transitions Machine agree -------------------------------


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return ("moved", run())
    except TransitionRefused as refused:
        return ("refused", tuple(p.reason for p in refused.problems))


@given(
    state=st.sampled_from([None, *State]),
    trigger=st.sampled_from(GRANT_LIFECYCLE.triggers),
    verdicts=st.lists(st.booleans(), min_size=0, max_size=4),
)
def test_the_machine_and_the_compiled_table_agree_on_every_state_trigger_and_guard(
    state: State | None, trigger: str, verdicts: list[bool]
) -> None:
    def guard(ok: bool, n: int) -> Any:
        def check(*args: Any) -> Iterator[Problem]:
            if not ok:
                yield Problem(("15(j)",), f"guard {n} refuses", "")

        return check

    row = attrs.evolve(
        GRANT_LIFECYCLE.by_trigger[trigger],
        guards=tuple(guard(ok, n) for n, ok in enumerate(verdicts)),
    )
    table = TransitionTable(
        states=GRANT_LIFECYCLE.states, initial=GRANT_LIFECYCLE.initial,
        transitions=tuple(row if t.trigger == trigger else t for t in GRANT_LIFECYCLE.transitions),
        waits=GRANT_LIFECYCLE.waits,
    )  # fmt: skip
    machine = LifecycleMachine(table)
    grant = None if state is None else Grant("G1", "E1", state, 1, 1, 0, 0)  # type: ignore[arg-type]  # a probe
    args = (row, grant, object(), Context(), Rules.illinois(), START)
    assert _outcome(lambda: step(*args)) == _outcome(lambda: machine.step(*args))


# -- the layers and the size of modules ------------------------------------------------

LONG_MODULES = {
    "choice_workflow/rules.py": "every number and reading of the Act, one setting after another",
}
"""Modules over 500 lines, with the reason they stay whole."""


def test_no_module_is_over_500_lines_but_those_listed_with_their_reason() -> None:
    long = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (ROOT / "choice_workflow").rglob("*.py")
        if "migrations" not in p.parts
    }
    assert set(LONG_MODULES) >= {p for p, n in long.items() if n > 500}, {
        p: n for p, n in long.items() if n > 500
    }


def test_the_docs_import_only_public_names() -> None:
    """Every name a code block of the docs imports is in its package's ``__all__``."""
    bad = []
    for page in itertools.chain([ROOT / "README.md"], (ROOT / "docs").rglob("*.md")):
        for block in _python_blocks(page.read_text(encoding="utf-8")):
            for node in ast.walk(ast.parse(block)):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module
                    and node.module.startswith("choice_workflow")
                ):
                    module = __import__(node.module, fromlist=["__all__"])
                    public = set(getattr(module, "__all__", ()))
                    bad += [
                        f"{page.name}: {node.module}.{a.name}"
                        for a in node.names
                        if a.name not in public
                    ]
    assert [] == bad


def _python_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    lines: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("```python"):
            inside, lines = True, []
        elif line.startswith("```") and inside:
            inside = False
            blocks.append("\n".join(lines))
        elif inside:
            lines.append(line)
    return blocks


def test_a_view_is_what_the_store_and_the_replay_both_offer() -> None:
    wanted = {n for n in dir(View) if not n.startswith("_")}
    with MemoryStore().transaction() as tx:
        assert wanted <= set(dir(tx))
    assert wanted <= set(dir(ProjectionState()))


def test_an_unregistered_command_is_a_typed_error() -> None:
    with pytest.raises(ChoiceWorkflowError, match="not a registered command"):
        Program(clock=ManualClock(START)).run(object(), DEPARTMENT)
