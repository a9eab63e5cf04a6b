"""The ``choice-workflow`` command (click + rich).

Commands: ``demo``, ``simulate``, ``sweep``, ``seal``, ``replay``, ``verify``,
``export``, ``import``, ``diagram`` and ``db upgrade`` (docs/cli.md). Every command
takes ``--json`` (one JSON document on stdout) and exits 0 when all is well, 1 when
replay, verify or import found something, 2 on a usage or input error (a one-line
message on stderr). ``--db`` defaults to the ``CHOICE_WORKFLOW_DB`` environment
variable; database passwords are never printed.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from choice_workflow._cli.act import rules_command
from choice_workflow._cli.audit import (
    export_command,
    import_command,
    replay_command,
    verify_command,
)
from choice_workflow._cli.checkpoints import checkpoint, monitor
from choice_workflow._cli.core import PROG, RootGroup
from choice_workflow._cli.db import db
from choice_workflow._cli.diagram import diagram
from choice_workflow._cli.keys import keygen
from choice_workflow._cli.program import demo, seal, simulate, sweep
from choice_workflow._cli.report import report_command

__all__ = ["cli", "main"]


@click.group(
    cls=RootGroup,
    name=PROG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="choice_workflow", prog_name=PROG)
def cli() -> None:
    """Run and audit the grant program of Illinois' Employment Choice for All Act.

    Exit codes: 0 fine, 1 findings, 2 usage or input error.
    """


for _command in (
    demo,
    simulate,
    sweep,
    seal,
    keygen,
    checkpoint,
    monitor,
    replay_command,
    verify_command,
    export_command,
    import_command,
    diagram,
    rules_command,
    db,
    report_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``choice-workflow`` with ``argv`` (default: the process's arguments); return
    the exit code."""
    return int(cli.main(args=argv, prog_name=PROG, standalone_mode=False))


if __name__ == "__main__":
    raise SystemExit(main())
