"""Generate docs/commands.md from the command registry.

Usage: ``python scripts/commands_doc.py --write`` or ``--check``. :func:`render` takes
any registry, so that a command added to one appears on its page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import attrs  # noqa: E402 - after the path above

from choice_workflow.commands.registry import REGISTRY, Registry  # noqa: E402 - needs the path above
from choice_workflow.events import payloads  # noqa: E402

TARGET = ROOT / "docs" / "commands.md"


def render(registry: Registry = REGISTRY) -> str:
    """The Markdown of docs/commands.md."""
    lines = [
        "# The commands",
        "",
        "Generated from `choice_workflow.commands.REGISTRY` by `scripts/commands_doc.py`; a",
        "test fails when this page is stale. Every command the library runs is one entry of",
        "the registry, run by one unit of work and judged again, event by event, by",
        "`verify` (see [Concepts](concepts.md) and [the audit format](audit-format.md)). The",
        "grant's commands are the rows of [the transition table](lifecycle.md).",
        "",
        "| command | event | stream | roles | cites | writes to |",
        "|---|---|---|---|---|---|",
    ]
    for spec in registry:
        roles = ", ".join(sorted(r.value for r in spec.roles))
        if spec.own_only and any(r.value == "employer" for r in spec.roles):
            roles = roles.replace("employer", "employer (its own)")
        cites = ", ".join(spec.cites) or f"none: {spec.no_cite}"
        stream = {"grant": "the grant id", "employer": "`employer:ID`", "cycle": "`cycle:N`"}.get(
            spec.target.value, f"`{spec.target.value}`"
        )
        lines.append(
            f"| `{spec.name}` | `{spec.event_type}` | {stream} | {roles} | {cites} | {spec.projection} |"
        )
    lines += ["", "## What each command does", ""]
    for spec in registry:
        lines += [f"- `{spec.name}` (`{spec.command.__name__}`): {spec.description}"]
    lines += [
        "",
        "## Payloads",
        "",
        "Each event type's payload, from its class in `choice_workflow.events.payloads`: an",
        'amount is text with two decimal places (`"25000.00"`), an instant the log\'s',
        "fixed-width UTC form (`2030-07-01T05:00:00.000000Z`); a field in *italics* may be",
        "absent: written only where it applies (a wage report's `final`, a notice's digest",
        "once there is an amount), or added after older logs were written without it.",
        "The last column names, by dotted path, the instants inside a payload's nested",
        "records (an employer's) that are in the fixed form too; version 1 of the employer",
        "events wrote them with an offset (`2030-06-30T13:00:00+00:00`), and their",
        "upcaster reads them in the fixed form. The library writes the latest version of",
        "each type.",
        "",
        "| event | schema | fields | amounts | instants | instants in nested records |",
        "|---|---|---|---|---|---|",
    ]
    for spec in registry:
        versions = sorted(v for t, v in payloads.PAYLOADS if t == spec.event_type) or [1]
        for version in versions:
            cls = payloads.payload_class(spec.event_type, version) or spec.payload_class
            assert cls is not None  # noqa: S101 - the registry checks it
            fields = ", ".join(
                f"*{f.name}*" if f.default is payloads.ABSENT else f.name for f in attrs.fields(cls)
            )
            kinds = {
                k: ", ".join(payloads.fields_of_kind(spec.event_type, k, version, cls=cls)) or "-"
                for k in (payloads.AMOUNT, payloads.INSTANT)
            }
            nested = ", ".join(payloads.NESTED_INSTANTS.get((spec.event_type, version), ())) or "-"
            lines.append(
                f"| `{spec.event_type}` | {version} | {fields} | {kinds[payloads.AMOUNT]} "
                f"| {kinds[payloads.INSTANT]} | {nested} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write or check docs/commands.md; 1 when ``--check`` finds it stale."""
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        TARGET.write_text(text, encoding="utf-8")
        return 0
    return 0 if TARGET.exists() and TARGET.read_text(encoding="utf-8") == text else 1


if __name__ == "__main__":
    raise SystemExit(main())
