"""The Department's signing key: ``keygen``, and reading key files for ``seal --key``
and ``verify --key``. A signing key is read from a file (``--key FILE`` or the file
that ``CHOICE_WORKFLOW_SEAL_KEY`` names), never from the command line; no output, log
line or error shows it."""

from __future__ import annotations

import os
from pathlib import Path

import click

from choice_workflow._cli.core import OK, json_option
from choice_workflow._cli.output import Output
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.events.checkpoint import Signer, Verifier

KEY_ENV = "CHOICE_WORKFLOW_SEAL_KEY"
"""The environment variable naming the signing key's file (never the key itself)."""


def _unreadable(path: Path, what: str) -> InvalidInput:
    return InvalidInput(
        problems=[
            Problem((), f"cannot read the {what} file {path}", "Give a readable key file.", "key")
        ]
    )


def read_signer(path: Path | None) -> Signer | None:
    """The signing key of ``path``, or of the file ``CHOICE_WORKFLOW_SEAL_KEY`` names
    (None: neither given: an unsigned seal)."""
    if path is None:
        named = os.environ.get(KEY_ENV)
        if not named:
            return None
        path = Path(named)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise _unreadable(path, "signing key") from None
    return Signer.parse(text)


def read_verifiers(paths: tuple[Path, ...]) -> tuple[Verifier, ...]:
    """The verifier keys of ``paths`` (one key per file, as keygen writes them)."""
    found = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise _unreadable(path, "verifier key") from None
        found.append(Verifier.parse(text))
    return tuple(found)


@click.command(short_help="Make the Department's signing key for checkpoints.")
@click.option(
    "--name", required=True, metavar="NAME",
    help="The key's name, also the checkpoints' origin (e.g. dol.illinois.gov/choice-workflow).",
)  # fmt: skip
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
    help="Where to write the signing key (FILE, readable by its owner only) and the "
    "verifier key (FILE.pub, to publish).",
)  # fmt: skip
@json_option
def keygen(name: str, out: Path, as_json: bool) -> int:
    """Make an Ed25519 signing key for the seals' checkpoints (C2SP signed notes).

    Writes the signing key to FILE (mode 0600; never over an existing file) and the
    verifier key to FILE.pub, and prints the verifier key. Keep FILE secret: seal with
    `choice-workflow seal --key FILE`; give auditors FILE.pub.
    """
    output = Output(as_json)
    public = out.with_name(out.name + ".pub")
    for path in (out, public):
        if path.exists() or path.is_symlink():
            raise InvalidInput(
                problems=[
                    Problem(
                        (), f"{path} exists", "Give a new file: a key is never written over.", "out"
                    )
                ]
            )
    signer = Signer.generate(name)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(signer.text() + "\n")
    verifier = signer.verifier().text()
    public.write_text(verifier + "\n", encoding="utf-8")
    if output.as_json:
        output.emit(
            {"name": name, "key": str(out), "verifier_key": verifier, "public": str(public)}
        )
    else:
        output.line(verifier)
    return OK
