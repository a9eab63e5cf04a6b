"""Exported logs for the tests of the audit format: a program's export, and a sealed
demo program's."""

from __future__ import annotations

import io

from choice_workflow import Actor, Program, Role
from choice_workflow.audit import export_log
from choice_workflow.demo import simulate


def exported(program: Program) -> bytes:
    """The JSON Lines export of ``program``'s log."""
    buffer = io.BytesIO()
    export_log(program.store.stored_events(), buffer)
    return buffer.getvalue()


def sealed_demo_log(employers: int) -> bytes:
    """The export of a simulated program of ``employers``, sealed at its end."""
    program = simulate(employers)
    program.seal(Actor("nightly", Role.SYSTEM))
    return exported(program)
