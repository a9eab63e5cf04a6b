"""The program-wide commands: the start of the program with its Rules, the seals of
the log, and the record of a refused attempt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs

from choice_workflow.commands.spec import CommandSpec, Emit, Env, Target, View, no_state
from choice_workflow.domain.actors import Actor, Role
from choice_workflow.errors import Problem, TransitionRefused
from choice_workflow.events import PROGRAM_STREAM, SEAL_STREAM, SECURITY_STREAM, Event, EventType
from choice_workflow.events.chain import head_leaf, merkle_root
from choice_workflow.events.checkpoint import Checkpoint, Signer, check_name
from choice_workflow.events.tree import TreeHead
from choice_workflow.lifecycle.context import Context
from choice_workflow.rules import Rules


@attrs.frozen
class StartProgram:
    """The program's first event: the Rules in force, with their fingerprint."""

    name: ClassVar[str] = "start_program"
    rules: Rules


DEFAULT_ORIGIN = "choice-workflow/unsigned"
"""The origin of an unsigned checkpoint (a signed one's is its key's name)."""


@attrs.frozen
class Seal:
    """Seal the log: every stream's head and the RFC 6962 Merkle root over them, and
    the checkpoint of the log's tree, signed with ``signer`` (the Department's key;
    never recorded, never shown) or unsigned. ``origin`` names an unsigned log."""

    name: ClassVar[str] = "seal"
    signer: Signer | None = attrs.field(default=None, repr=False, eq=False)
    origin: str | None = None


@attrs.frozen
class RecordRefusal:
    """A refused attempt: who tried what on which target, and why it was refused."""

    name: ClassVar[str] = "record_refusal"
    command: str
    target: str
    reason: str
    employer_id: str | None = None


def recorded_rules(events: Sequence[Event]) -> Rules | None:
    """The Rules a program stream records at its start (None: not started)."""
    started = next((e for e in events if e.type == EventType.PROGRAM_STARTED), None)
    return None if started is None else Rules.from_canonical(dict(started.payload["rules"]))


def _started(view: View, command: Any) -> Rules | None:
    return recorded_rules(view.stream(PROGRAM_STREAM))


def _start(
    command: StartProgram, recorded: Rules | None, context: Context, rules: Rules, now: Any
) -> Emit:
    if recorded is not None:
        raise TransitionRefused(
            command="start_program", grant_id=PROGRAM_STREAM,
            problems=[Problem(("99",), "the program has started already: its Rules are recorded",
                     "Open the program without rules= to use the recorded Rules.")],
        )  # fmt: skip
    chosen = command.rules
    return Emit({"rules": chosen.canonical(), "fingerprint": chosen.fingerprint})


def _heads(command: Seal, state: Any, view: View, env: Env, actor: Actor) -> Context:
    view.lock_for_seal()
    heads = tuple(h for h in view.stream_heads() if h[0] != SEAL_STREAM)
    return Context(actor=actor, extra={"heads": heads, "tree": view.tree_head()})


def _seal(command: Seal, state: Any, context: Context, rules: Rules, now: Any) -> Emit:
    heads = context.extra["heads"]
    root = merkle_root([head_leaf(*h) for h in heads]).hex()
    tree: TreeHead | None = context.extra["tree"]
    payload: dict[str, Any] = {"heads": [list(h) for h in heads], "root": root,
                               "tree_size": None, "tree_root": None, "checkpoint": None}  # fmt: skip
    if tree is not None:
        signer = command.signer
        origin = signer.name if signer is not None else command.origin or DEFAULT_ORIGIN
        text = Checkpoint(check_name(origin), tree.size, tree.root).text()
        payload |= {
            "tree_size": tree.size, "tree_root": tree.root.hex(),
            "checkpoint": text if signer is None else signer.sign(text),
        }  # fmt: skip
    return Emit(payload)


def _refusal(command: RecordRefusal, state: Any, context: Context, rules: Rules, now: Any) -> Emit:
    return Emit(
        {
            "command": command.command,
            "target": command.target,
            "reason": command.reason,
            "employer_id": command.employer_id,
        }
    )


START_PROGRAM = CommandSpec(
    name="start_program", command=StartProgram, event_type=EventType.PROGRAM_STARTED,
    target=Target.PROGRAM, roles=frozenset({Role.SYSTEM}), cites=("99",),
    stream=lambda c: PROGRAM_STREAM, state=_started, decide=_start,
    recover=lambda e, v: StartProgram(Rules.from_canonical(dict(e.payload["rules"]))),
    result=lambda events, after: Rules.from_canonical(dict(events[-1].payload["rules"])),
    compare_payload=False,
    description="The program starts: its first event records the Rules in force and their "
    "fingerprint (verify checks them as recorded).",
)  # fmt: skip
SEAL = CommandSpec(
    name="seal", command=Seal, event_type=EventType.SEALED, target=Target.SEAL,
    roles=frozenset({Role.DEPARTMENT, Role.DIRECTOR, Role.SYSTEM}), cites=(),
    no_cite="the integrity of the log (docs/audit-format.md), not a rule of the Act",
    stream=lambda c: SEAL_STREAM, state=no_state, decide=_seal, load=_heads,
    recover=lambda e, v: Seal(), result=lambda events, after: str(events[-1].payload["root"]),
    compare_payload=False,
    description="The log is sealed: every other stream's head and their Merkle root "
    "(RFC 6962), for publication (verify --root), and the checkpoint of the log's tree "
    "(C2SP tlog-checkpoint), signed with the Department's Ed25519 key or unsigned.",
)  # fmt: skip
RECORD_REFUSAL = CommandSpec(
    name="record_refusal", command=RecordRefusal, event_type=EventType.ACCESS_REFUSED,
    target=Target.SECURITY, roles=frozenset(Role), cites=(),
    no_cite="the security log of refused attempts (NIST SP 800-53 AU-2), not a rule of the Act",
    stream=lambda c: SECURITY_STREAM, state=no_state, decide=_refusal,
    recover=lambda e, v: RecordRefusal(
        e.payload["command"], e.payload["target"], e.payload["reason"], e.payload.get("employer_id")
    ),
    result=lambda events, after: None,
    description="A refused attempt (NotPermitted) is recorded with who tried what and why.",
)  # fmt: skip

SPECS = (START_PROGRAM, SEAL, RECORD_REFUSAL)
