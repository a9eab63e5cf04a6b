"""The notice of award (15(i), 15(j)): the document the Department sends an approved
employer, as plain text and HTML from the templates in ``choice_workflow/templates``.

It states the employer, the amount, the grant period, the 48-hour acceptance rule with
the exact ``accept_by`` once the notice is confirmed, the 15(i) transition rule and the
cites. Instants are shown on the Rules' wall clock (America/Chicago) with the zone
abbreviation, and in UTC; a 48-hour window across a change of daylight saving time
ends at a different wall-clock hour than it began (47 or 49 hours on the clock).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

import attrs
import jinja2
import pendulum

from choice_workflow.cites import CITES
from choice_workflow.domain.cycle import period_start
from choice_workflow.errors import InvalidInput, Problem
from choice_workflow.events import format_instant
from choice_workflow.rules import PeriodStart, Rules, WindowStart
from choice_workflow.time.calendar import (
    acceptance_deadline,
    grant_period_end,
    transition_start_window,
)
from choice_workflow.time.instants import zone

if TYPE_CHECKING:
    from choice_workflow.domain.employer import Employer
    from choice_workflow.domain.grant import Grant

TEMPLATE = "notice-of-award/1"
"""The template's name and version, recorded with every notice sent."""

NOTICE_CITES = ("15(a)", "15(f)", "15(h)", "15(i)", "15(j)", "15(l)", "15(m)", "20(a)(1)")
"""The provisions a notice of award quotes."""


def wall_clock(instant: pendulum.DateTime, rules: Rules) -> str:
    """An instant as people read it: ``Monday, November 4, 2030, 9:00:00 AM CST``."""
    local = instant.in_timezone(zone(rules.timezone))
    return local.format("dddd, MMMM D, YYYY, h:mm:ss A zz")


@attrs.frozen
class NoticeOfAward:
    """The facts of one notice of award; :meth:`text` and :meth:`html` render it."""

    grant_id: str
    employer_id: str
    legal_name: str
    address_of_record: str
    email: str
    amount: Decimal
    cycle: int
    approved_at: str
    confirmed_at: str | None
    confirmed_by: str | None
    accept_by: str | None
    accept_by_utc: str | None
    window_hours: int
    window_from: str
    transition_hours: int
    transition_earliest: str | None
    period_years: int
    period_from: str
    period_start: str | None
    period_end: str | None
    instalments: int
    timezone: str
    cites: tuple[tuple[str, str], ...]
    template: str = TEMPLATE

    def text(self) -> str:
        """The notice as plain text (the email body; the letter's text)."""
        return _env(autoescape=False).get_template("notice_of_award.txt.j2").render(n=self)

    def html(self) -> str:
        """The notice as a self-contained HTML page (every value escaped)."""
        return _env(autoescape=True).get_template("notice_of_award.html.j2").render(n=self)

    def digest(self) -> str:
        """SHA-256 (hex) of :meth:`text`: what ``send_notice`` records of the notice."""
        return hashlib.sha256(self.text().encode()).hexdigest()


@cache
def _env(*, autoescape: bool) -> jinja2.Environment:
    # The text template is plain text (autoescape off); the HTML one escapes every value.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("choice_workflow", "templates"),
        autoescape=autoescape,  # noqa: S701 - on for the HTML template
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def build_notice(grant: Grant, employer: Employer, rules: Rules) -> NoticeOfAward:
    """The notice of award of an approved ``grant`` to ``employer`` under ``rules``,
    addressed to the employer's contacts as given."""
    if grant.amount is None or grant.approved_at is None:
        raise InvalidInput(
            problems=[Problem(("15(a)",), f"grant {grant.id} is not approved", "Approve it first.")]
        )
    accept_by = grant.accept_by
    if accept_by is None and rules.acceptance_window_starts is WindowStart.APPROVAL:
        accept_by = acceptance_deadline(grant.approved_at, rules)
    confirmed = grant.notice_confirmed_at
    earliest = None if confirmed is None else transition_start_window(confirmed, rules)[0]
    starts_at_acceptance = rules.grant_period_starts is PeriodStart.ACCEPTANCE
    start = period_start(grant, rules)
    return NoticeOfAward(
        grant_id=grant.id,
        employer_id=employer.id,
        legal_name=employer.legal_name,
        address_of_record=employer.address_of_record,
        email=employer.email,
        amount=grant.amount,
        cycle=grant.cycle,
        approved_at=wall_clock(grant.approved_at, rules),
        confirmed_at=None if confirmed is None else wall_clock(confirmed, rules),
        confirmed_by=None
        if grant.notice_channel is None
        else grant.notice_channel.replace("_", " "),
        accept_by=None if accept_by is None else wall_clock(accept_by, rules),
        accept_by_utc=None if accept_by is None else format_instant(accept_by),
        window_hours=int(rules.acceptance_window.total_seconds() // 3600),
        window_from="the approval"
        if rules.acceptance_window_starts is WindowStart.APPROVAL
        else "the confirmation of this notice",
        transition_hours=int(rules.transition_start_before.total_seconds() // 3600),
        transition_earliest=None if earliest is None else wall_clock(earliest, rules),
        period_years=rules.grant_period_years,
        period_from="your acceptance" if starts_at_acceptance else "the approval",
        period_start=None if start is None else wall_clock(start, rules),
        period_end=None if start is None else wall_clock(grant_period_end(start, rules), rules),
        instalments=rules.disbursement_quarters,
        timezone=rules.timezone,
        cites=tuple((c, CITES[c]) for c in NOTICE_CITES),
    )
