"""``diagram``: the grant lifecycle drawn from the one transition table."""

from __future__ import annotations

import shutil
import subprocess
from typing import Literal

import click

from choice_workflow._cli.core import OK, InputError, json_option
from choice_workflow._cli.output import Output
from choice_workflow.lifecycle.diagram import diagram as draw


def svg(dot_text: str) -> str:
    """The dot text rendered to SVG by Graphviz's ``dot`` (an InputError naming the
    package when it is not installed)."""
    found = shutil.which("dot")
    if found is None:
        raise InputError(
            "--format svg needs Graphviz's dot, which is not installed: install Graphviz "
            "(Debian: apt install graphviz; macOS: brew install graphviz), or print "
            "--format dot and render it elsewhere."
        )
    done = subprocess.run(  # noqa: S603 - a fixed program on text the library made
        [found, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise InputError(f"Graphviz's dot could not draw the diagram: {done.stderr.strip()[:300]}")
    return done.stdout


@click.command(short_help="Print the grant lifecycle's state diagram.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["mermaid", "dot", "svg"]),
    default="mermaid",
    show_default=True,
    help="Mermaid stateDiagram-v2, Graphviz dot, or SVG (drawn by Graphviz's dot).",
)
@json_option
def diagram(format_: Literal["mermaid", "dot", "svg"], as_json: bool) -> int:
    """Print the state diagram of a grant (states, triggers, cites, deadlines)."""
    output = Output(as_json)
    text = svg(draw("dot")) if format_ == "svg" else draw(format_)
    if output.as_json:
        output.emit({"format": format_, "diagram": text})
    else:
        click.echo(text, nl=False)
    return OK
