"""What the reports say of returned funds (15(j)), of approvals above the request
(15(h)) and of the counties without a sourced region (15(d)).

- :func:`returned_funds`: every return of an award's funds the log records, with what it
  led to: the applications referred (``Referred``, with the amount offered) or why
  nobody was (``FundsReturned``).
- :func:`approval_warnings`: every approval recorded with a warning (an amount above
  the request: unrequested dollars are dollars other applicants did not get).
- :func:`unsourced_area`: the area of the county table in force that holds the
  counties with no sourced region, its counties and how many applications fall in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain.counties import CountyTable
from choice_workflow.domain.money import dollar_text
from choice_workflow.events import EventType
from choice_workflow.reports.source import ProgramLog


@attrs.frozen(kw_only=True)
class ReturnedFunds:
    """One return of an award's funds (15(j)) and what it led to."""

    cycle: int
    from_grant: str
    how: str
    """The returning grant's state as of the report (declined, forfeited, ...)."""
    on: dt.date
    referred: tuple[tuple[str, Decimal], ...]
    """The applications referred, each with the amount offered, in order."""
    nobody: str | None
    """Why nobody was referred (None: somebody was)."""
    free: Decimal | None
    """The funds free when nobody was referred."""

    @property
    def outcome(self) -> str:
        """What the return led to, in a sentence."""
        if self.nobody is not None:
            free = "" if self.free is None else f" ({dollar_text(self.free)} free)"
            return f"nobody referred: {self.nobody}{free}"
        return "referred " + ", ".join(f"{g} ({dollar_text(a)} offered)" for g, a in self.referred)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "cycle": self.cycle,
            "from_grant": self.from_grant,
            "how": self.how,
            "on": self.on.isoformat(),
            "referred": [{"grant_id": g, "offered": f"{a:.2f}"} for g, a in self.referred],
            "nobody_referred": self.nobody,
            "free": None if self.free is None else f"{self.free:.2f}",
        }


@attrs.frozen(kw_only=True)
class ApprovalWarning:
    """An approval recorded with a warning (15(h))."""

    grant_id: str
    cycle: int
    approved: Decimal
    requested: Decimal
    warning: str

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "grant_id": self.grant_id,
            "cycle": self.cycle,
            "approved": f"{self.approved:.2f}",
            "requested": f"{self.requested:.2f}",
            "warning": self.warning,
        }


@attrs.frozen(kw_only=True)
class UnsourcedArea:
    """15(d): the area of the counties the table in force gives no region."""

    name: str
    counties: tuple[str, ...]
    applications: int
    """Applications (grants of every state) of employers in those counties."""

    def explanation(self) -> str:
        """The sentence the reports print beside the area."""
        return (
            f"'{self.name}' holds the {len(self.counties)} counties to which the county "
            f"table in force gives no sourced region ({', '.join(self.counties)}); "
            f"{self.applications} application(s) are of employers there. It is one area "
            "in the 15(d) tables until an agency loads a table that places them "
            "(Program(counties=CountyTable.from_csv(...)))."
        )

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "name": self.name,
            "counties": list(self.counties),
            "applications": self.applications,
        }


def _money(value: object) -> Decimal:
    return Decimal(str(value))


def returned_funds(log: ProgramLog) -> tuple[ReturnedFunds, ...]:
    """Every return the log records as of the report, in the order recorded."""
    found: dict[str, dict[str, Any]] = {}

    def entry(from_grant: str, cycle: int, at: dt.datetime) -> dict[str, Any]:
        return found.setdefault(
            from_grant,
            {"cycle": cycle, "on": log.local_date(at), "referred": [], "nobody": None,
             "free": None, "at": at},
        )  # fmt: skip

    for gid, events in log.events.items():
        grant = log.grants.get(gid)
        for event in events:
            if event.type == EventType.REFERRED and grant is not None:
                row = entry(str(event.payload["from_grant"]), grant.cycle, event.recorded_at)
                row["referred"].append((gid, _money(event.payload["offered"])))
    for event in log.returns:
        row = entry(
            str(event.payload["from_grant"]), int(event.payload["cycle"]), event.recorded_at
        )
        row["nobody"], row["free"] = str(event.payload["reason"]), _money(event.payload["free"])
    rows = []
    for from_grant, row in sorted(found.items(), key=lambda kv: (kv[1]["at"], kv[0])):
        source = log.grants.get(from_grant)
        rows.append(
            ReturnedFunds(
                cycle=row["cycle"], from_grant=from_grant,
                how="unknown" if source is None else source.state.value, on=row["on"],
                referred=tuple(row["referred"]), nobody=row["nobody"], free=row["free"],
            )
        )  # fmt: skip
    return tuple(rows)


def approval_warnings(log: ProgramLog) -> tuple[ApprovalWarning, ...]:
    """Every approval recorded with a warning, by grant id."""
    rows = []
    for gid in sorted(log.events):
        grant = log.grants.get(gid)
        if grant is None:
            continue
        for event in log.events[gid]:
            if event.type != EventType.APPROVED:
                continue
            for warning in event.payload.get("warnings") or ():
                rows.append(
                    ApprovalWarning(
                        grant_id=gid, cycle=grant.cycle, approved=_money(event.payload["amount"]),
                        requested=grant.amount_requested, warning=str(warning),
                    )
                )  # fmt: skip
    return tuple(rows)


def unsourced_area(
    table: CountyTable, where: Mapping[str, tuple[str, str, str]]
) -> UnsourcedArea | None:
    """The table's area without a sourced region (None: the table places every county),
    with how many of the grants placed by ``where`` (grant id -> stratum) fall in it."""
    counties = tuple(c.name for c in table if not table.is_sourced(c))
    if not counties:
        return None
    applications = sum(1 for stratum in where.values() if stratum[0] == table.unsourced_area)
    return UnsourcedArea(name=table.unsourced_area, counties=counties, applications=applications)
