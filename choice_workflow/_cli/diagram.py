"""``diagram``: the grant lifecycle drawn from the one transition table."""

from __future__ import annotations

from typing import Literal

import click

from choice_workflow._cli.core import OK, json_option
from choice_workflow._cli.output import Output
from choice_workflow.lifecycle.diagram import diagram as draw


@click.command(short_help="Print the grant lifecycle's state diagram.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Mermaid stateDiagram-v2 or Graphviz dot.",
)
@json_option
def diagram(format_: Literal["mermaid", "dot"], as_json: bool) -> int:
    """Print the state diagram of a grant (states, triggers, cites, deadlines)."""
    output = Output(as_json)
    text = draw(format_)
    if output.as_json:
        output.emit({"format": format_, "diagram": text})
    else:
        click.echo(text, nl=False)
    return OK
