"""JSON: a report's own data (``to_data()``), for machines.

Keys are sorted and the layout fixed (2-space indent, UTF-8, a final newline), so that
the same log as of the same instant gives the same bytes. Amounts are strings with 2
places; every suppressed count and every withheld wage statistic is ``null``.
"""

from __future__ import annotations

import json
from typing import Any, Protocol


class Reportable(Protocol):
    """What a renderer of data needs of a report."""

    def to_data(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        ...


def render_json(report: Reportable) -> str:
    """``report`` as a JSON document."""
    return json.dumps(report.to_data(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
