"""Rules: every number, date and reading of the Act, in one frozen value.

:meth:`Rules.illinois` is the Act as written, with the default readings of DESIGN.md.
An agency adopts another reading with :func:`attrs.evolve`; settings that cannot be
right are refused when the Rules are built (:class:`~choice_workflow.errors.RulesError`).
A program's log records the Rules in force with their :attr:`Rules.fingerprint`, and
replay uses the recorded Rules, not the running code's defaults.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from choice_workflow.errors import Problem, RulesError

CENT = Decimal("0.01")


class AwardCounts(enum.Enum):
    """What counts as "already received a grant" (10(3)) / "awarded one grant" (15(g))."""

    APPROVED = "approved"
    """Default: once approved, an employer is never awarded again, even if the approval
    lapsed, was declined or withdrawn."""
    ACCEPTED = "accepted"
    """Narrower reading: only an accepted grant counts."""


class WindowStart(enum.Enum):
    """Where the 15(j) acceptance window starts."""

    NOTICE = "notice"
    """Default: at the confirmed notice of approval (15(i) confirmation)."""
    APPROVAL = "approval"
    """At the approval itself."""


class PeriodStart(enum.Enum):
    """Where the 3-year grant period of 15(f) starts."""

    ACCEPTANCE = "acceptance"
    APPROVAL = "approval"


class Base2(enum.Enum):
    """Base of the 70/80/90% floors of 15(l)(2)-(4), "the wage rate in effect under
    subsection (i)", which subsection (i) never sets."""

    APPLICABLE_MINIMUM = "applicable_minimum"
    """Default: the higher of the federal and the Illinois minimum wage."""
    FEDERAL_MINIMUM = "federal_minimum"


class Shortfall(enum.Enum):
    """15(d), 15(j) reading: what a selection does when the requests exceed the funds."""

    WHOLE_REQUESTS = "whole_requests"
    """Default: whole requests are funded in the queue's order; the applications not
    funded wait for returned funds (15(j)'s "next applicant" presumes them)."""
    PRO_RATA = "pro_rata"
    """Every award is reduced in proportion, never below the minimum award; only when
    the funds fall below one minimum award per applicant is there a waitlist (the
    behaviour of logs that do not record this setting)."""


class FundsLeft(enum.Enum):
    """15(d), 15(e) reading: where a selection's funds left after the awards within
    each stratum's quota go, one award at a time."""

    NEAREST_QUOTA = "nearest_quota"
    """Default: where the award keeps every stratum nearest its quota (then to the
    stratum furthest below its quota)."""
    FURTHEST_BELOW = "furthest_below"
    """To the stratum furthest below its quota, even when the award overshoots it by
    more than it was short (the rule of logs that do not record this setting)."""


class NextApplicant(enum.Enum):
    """15(j) reading: who is "the next applicant" returned funds go to."""

    QUEUE = "queue"
    """Default: the first of every complete application of the cycle still waiting
    (applied), in the selection's order, whether or not a selection ran."""
    WAITLIST = "waitlist"
    """Only the waitlist a selection produced, at the amount it
    proposed (also the behaviour of logs that do not record this setting)."""


ILLINOIS_COUNTIES = "589eb69ebc047a5c098a788182dac9a754f82219f597ff35996f3f1956f84c50"
"""15(d): the digest (:attr:`~choice_workflow.domain.counties.CountyTable.digest`) of
the default county table, 88 of 102 counties with a sourced region."""
ILLINOIS_COUNTIES_V1 = "adc3d7eb74bf375bbf48f84371a8bd01cceff3ba68eddf78661e9718f1c13dad"
"""15(d): the digest of the county table of logs that do not record one (60 counties
with a sourced region; the other 42 in the area "unassigned")."""

LEGACY: dict[str, Any] = {
    "shortfall": Shortfall.PRO_RATA.value,
    "funds_left": FundsLeft.FURTHEST_BELOW.value,
    "next_applicant": NextApplicant.WAITLIST.value,
    "county_table": ILLINOIS_COUNTIES_V1,
}
"""What a log that does not record these settings ran by: the settings were added
with the standing queue of 15(j), and the versions before behaved as these values say."""


@attrs.frozen
class WageStep:
    """A minimum wage rate in force from ``since`` (inclusive)."""

    since: dt.date
    hourly: Decimal


@attrs.frozen
class PhaseStep:
    """A 15(l) floor item: ``percent`` of base (2), from ``years`` after the effective date."""

    years: int
    percent: Decimal


def _steps(*rows: tuple[str, str]) -> tuple[WageStep, ...]:
    return tuple(WageStep(dt.date.fromisoformat(d), Decimal(r)) for d, r in rows)


FEDERAL_MINIMUM_WAGE = _steps(
    # 29 U.S.C. 206(a)(1), as amended by the Fair Minimum Wage Act of 2007.
    ("2007-07-24", "5.85"),
    ("2008-07-24", "6.55"),
    ("2009-07-24", "7.25"),
)
"""29 U.S.C. 206(a)(1): $7.25 an hour since July 24, 2009."""

ILLINOIS_MINIMUM_WAGE = _steps(
    # 820 ILCS 105/4(a)(1), as amended by P.A. 101-1 (2019).
    ("2008-07-01", "7.75"),
    ("2009-07-01", "8.00"),
    ("2010-07-01", "8.25"),
    ("2020-01-01", "9.25"),
    ("2020-07-01", "10.00"),
    ("2021-01-01", "11.00"),
    ("2022-01-01", "12.00"),
    ("2023-01-01", "13.00"),
    ("2024-01-01", "14.00"),
    ("2025-01-01", "15.00"),
)
"""820 ILCS 105/4: through $15.00 an hour from January 1, 2025."""


def _rate_on(table: tuple[WageStep, ...], day: dt.date) -> Decimal | None:
    rate: Decimal | None = None
    for step in table:
        if step.since <= day:
            rate = step.hourly
        else:
            break
    return rate


@attrs.frozen(kw_only=True)
class Rules:
    """Every number, date and reading of the Act. Build with :meth:`illinois`."""

    effective_date: dt.date = dt.date(2030, 1, 1)
    """99: the Act takes effect January 1, 2030; the dates below derive from it."""
    timezone: str = "America/Chicago"
    """The zone in which the Act's dates are read and instants are shown."""
    first_award_date: dt.date = dt.date(2030, 7, 1)
    """15(a): no grant is awarded before this date (midnight, America/Chicago)."""
    min_award: Decimal = Decimal("10000.00")
    """15(h): the least amount of a grant for its 3-year period."""
    max_award: Decimal = Decimal("50000.00")
    """15(h): the greatest amount of a grant for its 3-year period."""
    grant_period_years: int = 3
    """15(f): a grant is awarded for a period of 3 years (12 quarters)."""
    grant_period_starts: PeriodStart = PeriodStart.ACCEPTANCE
    """15(f) reading: the grant period runs from the acceptance (setting: the approval)."""
    cycles: int = 2
    """15(f): grants are awarded in 2 grant cycles."""
    second_cycle_after_years: int = 2
    """15(f): cycle-2 awards not before cycle 1's opening plus this many years."""
    acceptance_window: dt.timedelta = dt.timedelta(hours=48)
    """15(j): the grantee may accept "immediately or within 48 hours" (elapsed time)."""
    acceptance_window_starts: WindowStart = WindowStart.NOTICE
    """15(j) reading: the window starts at the confirmed notice (setting: the approval)."""
    transition_start_before: dt.timedelta = dt.timedelta(hours=48)
    """15(i): a transition may start this long before the confirmed notice
    ("in the preceding 48 hours")."""
    transition_start_after: dt.timedelta | None = None
    """15(i): how long after the confirmed notice a transition may start; ``None`` means
    no upper bound ("immediately" read as "from then on")."""
    base1_percent: Decimal = Decimal("60")
    """15(l)(1): 60% of base (1), from the effective date."""
    phase_steps: tuple[PhaseStep, ...] = (
        PhaseStep(1, Decimal("70")),
        PhaseStep(2, Decimal("80")),
        PhaseStep(3, Decimal("90")),
    )
    """15(l)(2)-(4): 70/80/90% of base (2), one, two, three years after the effective date."""
    federal_act_enacted: dt.date | None = None
    """15(l)(1): the enactment date of the federal Competitive Integrated Employment For
    All Act; ``None`` while it is not enacted."""
    federal_act_rate: Decimal | None = None
    """15(l)(1): the wage rate under that federal Act, once enacted. While it is not,
    base (1) is the federal minimum wage."""
    base2: Base2 = Base2.APPLICABLE_MINIMUM
    """15(l)(2)-(4) reading: base (2), "the wage rate in effect under subsection (i)"."""
    award_counts: AwardCounts = AwardCounts.APPROVED
    """10(3), 15(g) reading: what counts as having received the one grant."""
    require_state_authorization: bool = True
    """10(1): require the Minimum Wage Law Section 5/10 authorization. The Dignity in Pay
    Act (P.A. 103-1060) ends those authorizations by December 31, 2029; an agency that
    reads 10(1) as satisfied by the 14(c) certificate alone sets this to False."""
    fiscal_year_start_month: int = 7
    """15(b)(5), (6) reading: State fiscal years start July 1 and are named by the year
    they end in (FY2031 = July 1, 2030 - June 30, 2031)."""
    fiscal_year_start_day: int = 1
    """Day of the month on which the fiscal year starts."""
    final_report_months: int = 18
    """20(b): the final report is due 18 months after the effective date."""
    task_force_report_years: int = 1
    """35(c): the first progress report one year after the effective date, then yearly."""
    small_employer_warning_below: int = 4
    """10 "Eligible employer": MWL 105/3(d) excludes employers of fewer than 4 from
    "employee"; the Act does not, so fewer employees is a warning, not a refusal."""
    size_band_edges: tuple[int, ...] = (10, 25, 50, 100)
    """15(e) reading: the size bands of "employers ... serving different numbers of
    individuals", by individuals paid under 14(c): 1-10, 11-25, 26-50, 51-100, 101+."""
    auto_approve_next: bool = False
    """15(j) reading: when a grant returns for "the next applicant", put the next
    applicant before the Director (default) or approve it at once."""
    next_applicant: NextApplicant = NextApplicant.QUEUE
    """15(j) reading: who the next applicant is: the head of the cycle's standing queue
    (default), or only a selection's waitlist (``NextApplicant.WAITLIST``)."""
    shortfall: Shortfall = Shortfall.WHOLE_REQUESTS
    """15(d), 15(j) reading: when requests exceed the funds, fund whole requests in the
    queue's order (default), or reduce every award pro rata (``Shortfall.PRO_RATA``)."""
    funds_left: FundsLeft = FundsLeft.NEAREST_QUOTA
    """15(d), 15(e) reading: where a selection's funds left after the within-quota
    awards go: where they keep every stratum nearest its quota (default), or to the
    stratum furthest below its quota (``FundsLeft.FURTHEST_BELOW``)."""
    county_table: str = ILLINOIS_COUNTIES
    """15(d): the digest of the county table in force (areas and rural/urban status),
    recorded so that verify and the reports place every employer as the Program did."""
    disbursement_quarters: int = 12
    """15(f): the grant is paid over its 3-year period in this many equal instalments
    (quarterly by default), the cents left over paid with the first ones."""
    reviewer_cannot_approve: bool = True
    """Separation of duties (NIST SP 800-53 AC-5): the actor who reviewed an application
    may not approve it."""
    dual_authorization_above: Decimal | None = None
    """Dual authorization (NIST SP 800-53 AC-3(2)): approvals above this amount need a
    second Director's endorsement of the same amount first; None (the default): one
    Director approves any amount."""
    required_other: tuple[str, ...] = ()
    """15(b)(14): the names of the "other information" items the Director requires of
    every application; recorded with the Rules so that verify judges as the Program did."""
    retention_years: int = 3
    """2 CFR 200.334 (applied to State grants by 30 ILCS 708): a closed-out grant's
    records are kept this many years from its close-out (the final expenditure report);
    a litigation or audit hold suspends it. Nothing is ever deleted from the log."""
    federal_minimum_wage: tuple[WageStep, ...] = FEDERAL_MINIMUM_WAGE
    """29 U.S.C. 206(a)(1), dated."""
    illinois_minimum_wage: tuple[WageStep, ...] = ILLINOIS_MINIMUM_WAGE
    """820 ILCS 105/4, dated."""

    def __attrs_post_init__(self) -> None:
        problems = list(_check(self))
        if problems:
            raise RulesError(problems=problems)

    @classmethod
    def illinois(cls) -> Rules:
        """The Act as written, with the default readings of DESIGN.md."""
        return cls()

    # -- derived values -------------------------------------------------------------

    @property
    def quarters(self) -> int:
        """15(f), 15(b)(9): quarters in a grant period (12 for 3 years)."""
        return self.grant_period_years * 4

    def federal_minimum_on(self, day: dt.date) -> Decimal:
        """29 U.S.C. 206(a)(1): the federal minimum hourly wage on ``day``."""
        rate = _rate_on(self.federal_minimum_wage, day)
        if rate is None:
            raise RulesError(
                problems=[
                    Problem(
                        ("15(a)(1)",),
                        f"no federal minimum wage is recorded for {day.isoformat()}",
                        "Extend Rules.federal_minimum_wage back to that date.",
                        "federal_minimum_wage",
                    )
                ]
            )
        return rate

    def illinois_minimum_on(self, day: dt.date) -> Decimal | None:
        """820 ILCS 105/4: the Illinois minimum hourly wage on ``day`` (None before the
        table starts)."""
        return _rate_on(self.illinois_minimum_wage, day)

    def applicable_minimum_on(self, day: dt.date) -> Decimal:
        """The higher of the federal and the Illinois minimum wage on ``day``."""
        federal = self.federal_minimum_on(day)
        state = self.illinois_minimum_on(day)
        return federal if state is None else max(federal, state)

    # -- canonical form ------------------------------------------------------------

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready dict of every setting, stable across versions of this code for
        the same values (sorted keys when dumped; Decimals, dates and durations as
        strings)."""
        return {f.name: _encode(getattr(self, f.name)) for f in attrs.fields(Rules)}

    def canonical_bytes(self) -> bytes:
        """The canonical JSON bytes: sorted keys, no spaces, UTF-8."""
        return json.dumps(
            self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    @property
    def fingerprint(self) -> str:
        """sha256 (hex) of :meth:`canonical_bytes`: which Rules were in force."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    @classmethod
    def from_canonical(cls, data: dict[str, Any]) -> Rules:
        """Rebuild Rules from :meth:`canonical` output (as recorded in a log).

        Settings absent from ``data`` (recorded by an older version) take the defaults,
        except those of :data:`LEGACY`, which take the value the older versions behaved by.
        """
        names = {f.name: f for f in attrs.fields(Rules)}
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise RulesError(
                problems=[
                    Problem(
                        ("99",),
                        f"unknown settings {', '.join(unknown)}",
                        "The log was written by a newer version; upgrade choice_workflow.",
                        "rules",
                    )
                ]
            )
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, value in (LEGACY | data).items():
            try:
                values[name] = _decode(name, value)
            except (TypeError, ValueError, ArithmeticError) as exc:
                problems.append(
                    Problem(
                        ("99",),
                        f"setting {name} cannot be read from {value!r} ({exc})",
                        "Pass the output of Rules.canonical() unchanged.",
                        name,
                    )
                )
        if problems:
            raise RulesError(problems=problems)
        return cls(**values)


def _encode(value: object) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal | dt.date):
        return _decimal_text(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(int(value.total_seconds()))
    if isinstance(value, WageStep):
        return [value.since.isoformat(), _decimal_text(value.hourly)]
    if isinstance(value, PhaseStep):
        return [value.years, _decimal_text(value.percent)]
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decimal_text(value: Decimal) -> str:
    """One text for equal Decimals (``Decimal("15") == Decimal("15.00")``), so that equal
    Rules have one fingerprint: exact, without trailing zeros past 2 places."""
    whole, _, fraction = format(value, "f").partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


_DECODERS: dict[str, Any] = {
    "effective_date": dt.date.fromisoformat,
    "first_award_date": dt.date.fromisoformat,
    "min_award": Decimal,
    "max_award": Decimal,
    "grant_period_starts": PeriodStart,
    "acceptance_window": lambda s: dt.timedelta(seconds=int(s)),
    "acceptance_window_starts": WindowStart,
    "transition_start_before": lambda s: dt.timedelta(seconds=int(s)),
    "transition_start_after": lambda s: None if s is None else dt.timedelta(seconds=int(s)),
    "base1_percent": Decimal,
    "phase_steps": lambda rows: tuple(PhaseStep(int(y), Decimal(p)) for y, p in rows),
    "federal_act_enacted": lambda s: None if s is None else dt.date.fromisoformat(s),
    "federal_act_rate": lambda s: None if s is None else Decimal(s),
    "base2": Base2,
    "award_counts": AwardCounts,
    "shortfall": Shortfall,
    "funds_left": FundsLeft,
    "next_applicant": NextApplicant,
    "federal_minimum_wage": lambda rows: _steps(*[(d, r) for d, r in rows]),
    "illinois_minimum_wage": lambda rows: _steps(*[(d, r) for d, r in rows]),
    "required_other": lambda names: tuple(str(n) for n in names),
    "size_band_edges": lambda edges: tuple(int(e) for e in edges),
    "dual_authorization_above": lambda s: None if s is None else Decimal(s),
}


def _decode(name: str, value: Any) -> Any:
    decoder = _DECODERS.get(name)
    return value if decoder is None else decoder(value)


def _money_ok(value: object) -> bool:
    if not (isinstance(value, Decimal) and value.is_finite() and value > 0):
        return False
    try:
        return value == value.quantize(CENT)
    except InvalidOperation:  # more digits than the context holds: not an amount
        return False


def _whole(value: object, least: int) -> bool:
    """A whole number (not a bool) >= ``least``; ``object`` because settings are checked
    before their declared types can be trusted."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _pure_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _seconds_ok(value: object) -> bool:
    return (
        isinstance(value, dt.timedelta)
        and value >= dt.timedelta(0)
        and not value.microseconds
        and value.total_seconds() == int(value.total_seconds())
    )


def _percent_ok(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and 0 < value <= 100


def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except Exception:  # any failure (a bad name, no tz data) means the zone is unusable
        return False
    return True


def _check(rules: Rules) -> list[Problem]:
    p: list[Problem] = []
    # Settings are read as plain objects: they are checked before their declared types
    # can be trusted (a string where an enum belongs, a float where a Decimal belongs).
    s: dict[str, object] = {f.name: getattr(rules, f.name) for f in attrs.fields(Rules)}

    def bad(cite: str | tuple[str, ...], field: str, reason: str, hint: str) -> None:
        p.append(Problem((cite,) if isinstance(cite, str) else cite, reason, hint, field))

    dates_ok = True
    for name, cite in (("effective_date", "99"), ("first_award_date", "15(a)")):
        if not _pure_date(s[name]):
            bad(cite, name, f"{name} must be a date", "Pass a datetime.date.")
            dates_ok = False
    if dates_ok and rules.first_award_date < rules.effective_date:
        bad(
            "15(a)",
            "first_award_date",
            "the first award date precedes the effective date",
            "Awards cannot start before the Act takes effect (Section 99).",
        )
    for name in ("min_award", "max_award"):
        if not _money_ok(s[name]):
            reason = f"{name} must be positive Decimal dollars with cents"
            bad("15(h)", name, reason, "Use Decimal('10000.00').")
    if (
        _money_ok(s["min_award"])
        and _money_ok(s["max_award"])
        and rules.min_award > rules.max_award
    ):
        bad("15(h)", "min_award", "min_award exceeds max_award", "Swap the bounds.")
    period = s["grant_period_years"]
    if not (_whole(period, 1) and isinstance(period, int) and period <= 100):
        reason = "the grant period must be a whole number of years from 1 to 100"
        bad("15(f)", "grant_period_years", reason, "The Act says 3.")
    cycles = s["cycles"]
    if not (_whole(cycles, 1) and isinstance(cycles, int) and cycles <= 2):
        bad("15(f)", "cycles", "the Act provides exactly 2 grant cycles", "Use 1 or 2.")
    if not _whole(s["second_cycle_after_years"], 0):
        reason = "must be a whole number of years >= 0"
        bad("15(f)", "second_cycle_after_years", reason, "The Act says 2.")
    for name, cite in (("acceptance_window", "15(j)"), ("transition_start_before", "15(i)")):
        if not _seconds_ok(s[name]):
            reason = f"{name} must be a non-negative timedelta of whole seconds"
            bad(cite, name, reason, "Use datetime.timedelta(hours=48).")
    after = s["transition_start_after"]
    if after is not None and not _seconds_ok(after):
        reason = "must be None or a non-negative whole-second timedelta"
        bad("15(i)", "transition_start_after", reason, "Use None for no upper bound.")
    if not _percent_ok(s["base1_percent"]):
        reason = "must be a Decimal percentage in (0, 100]"
        bad("15(l)", "base1_percent", reason, "The Act says 60.")
    steps = s["phase_steps"]
    if not isinstance(steps, tuple) or not all(
        isinstance(x, PhaseStep) and _whole(x.years, 0) for x in steps
    ):
        reason = "phase steps must be PhaseStep rows of whole years >= 0"
        bad("15(l)", "phase_steps", reason, "Use PhaseStep(1, Decimal('70')).")
    else:
        years = [x.years for x in steps]
        if years != sorted(set(years)):
            reason = "phase steps must have distinct, increasing years"
            bad("15(l)", "phase_steps", reason, "The Act says 1, 2, 3.")
        if not all(_percent_ok(x.percent) for x in steps):
            reason = "each percent must be a Decimal in (0, 100]"
            bad("15(l)", "phase_steps", reason, "The Act says 70, 80, 90.")
    enacted, rate = s["federal_act_enacted"], s["federal_act_rate"]
    if (enacted is None) != (rate is None):
        bad(
            "15(l)",
            "federal_act_rate",
            "federal_act_enacted and federal_act_rate go together",
            "Set both (the federal Act's date and rate) or neither.",
        )
    if enacted is not None and not _pure_date(enacted):
        bad("15(l)", "federal_act_enacted", "must be None or a date", "Pass a datetime.date.")
    if rate is not None and not _money_ok(rate):
        reason = "must be positive Decimal dollars with cents"
        bad("15(l)", "federal_act_rate", reason, "Use Decimal('7.25').")
    month, day = s["fiscal_year_start_month"], s["fiscal_year_start_day"]
    if not (_whole(month, 1) and isinstance(month, int) and month <= 12):
        reason = "must be a month 1-12"
        bad("15(b)(5)", "fiscal_year_start_month", reason, "State fiscal years start in July (7).")
    elif not (_whole(day, 1) and isinstance(day, int) and day <= 28):
        reason = "must be a day 1-28 (valid in every month)"
        bad("15(b)(5)", "fiscal_year_start_day", reason, "State fiscal years start on the 1st.")
    if not _whole(s["final_report_months"], 0):
        reason = "must be a whole number of months"
        bad("20(b)", "final_report_months", reason, "The Act says 18.")
    if not _whole(s["task_force_report_years"], 1):
        reason = "must be a whole number of years >= 1"
        bad("35(c)", "task_force_report_years", reason, "The Act says 1.")
    for name in ("federal_minimum_wage", "illinois_minimum_wage"):
        table = s[name]
        if not isinstance(table, tuple) or not all(
            isinstance(x, WageStep) and _pure_date(x.since) for x in table
        ):
            reason = "the table must be a tuple of WageStep(date, Decimal hourly)"
            bad("15(l)", name, reason, "Use WageStep(date(2025, 1, 1), Decimal('15.00')).")
        elif not table or [x.since for x in table] != sorted({x.since for x in table}):
            reason = "the table must be non-empty with strictly increasing dates"
            bad("15(l)", name, reason, "Sort it by date.")
        elif not all(_money_ok(x.hourly) for x in table):
            reason = "every rate must be positive Decimal dollars with cents"
            bad("15(l)", name, reason, "Use Decimal('15.00').")
    readings: tuple[tuple[str, type[enum.Enum], str | tuple[str, ...]], ...] = (
        ("grant_period_starts", PeriodStart, "15(f)"),
        ("acceptance_window_starts", WindowStart, "15(j)"),
        ("base2", Base2, "15(l)"),
        ("award_counts", AwardCounts, ("15(g)", "10(3)")),
        ("shortfall", Shortfall, ("15(d)", "15(j)")),
        ("funds_left", FundsLeft, ("15(d)", "15(e)")),
        ("next_applicant", NextApplicant, "15(j)"),
    )
    for name, kind, cites in readings:
        # A plain string equals no member, so the code would apply the default reading
        # while the log (which records the value) names another.
        if not isinstance(s[name], kind):
            default = next(iter(kind)).name
            reason = f"{name} must be a {kind.__name__} member"
            bad(cites, name, reason, f"Use {kind.__name__}.{default}.")
    if not isinstance(s["require_state_authorization"], bool):
        reason = "must be True or False"
        bad("10(1)", "require_state_authorization", reason, "The Act as written: True.")
    if not _whole(s["small_employer_warning_below"], 0):
        reason = "must be a whole number >= 0"
        bad('10 "Eligible employer"', "small_employer_warning_below", reason, "MWL 105/3(d): 4.")
    if not isinstance(s["reviewer_cannot_approve"], bool):
        bad("15(a)", "reviewer_cannot_approve", "must be True or False", "The default: True.")
    above = s["dual_authorization_above"]
    if above is not None and not _money_ok(above):
        bad(
            "15(h)",
            "dual_authorization_above",
            "must be None or positive Decimal dollars",
            "Use Decimal('35000.00').",
        )
    edges = s["size_band_edges"]
    if not (
        isinstance(edges, tuple)
        and edges
        and all(_whole(e, 1) for e in edges)
        and list(edges) == sorted(set(edges))
    ):
        bad(
            "15(e)",
            "size_band_edges",
            "must be increasing whole numbers >= 1",
            "Use (10, 25, 50, 100).",
        )
    if not isinstance(s["auto_approve_next"], bool):
        bad("15(j)", "auto_approve_next", "must be True or False", "The default: False.")
    table = s["county_table"]
    if not (isinstance(table, str) and re.fullmatch(r"[0-9a-f]{64}", table)):
        reason = "must be a county table's digest (64 lowercase hex digits)"
        bad(
            "15(d)",
            "county_table",
            reason,
            "Use CountyTable.digest, e.g. of CountyTable.illinois().",
        )
    if not _whole(s["disbursement_quarters"], 1):
        bad("15(f)", "disbursement_quarters", "must be a whole number >= 1", "Quarterly: 12.")
    if not _whole(s["retention_years"], 1):
        reason = "must be a whole number of years >= 1"
        bad("2 CFR 200.334", "retention_years", reason, "2 CFR 200.334 says 3.")
    other = s["required_other"]
    if not (isinstance(other, tuple) and all(isinstance(k, str) and k.strip() for k in other)):
        reason = "must be a tuple of non-empty field names"
        bad("15(b)(14)", "required_other", reason, "Use ('board_resolution',).")
    zone = s["timezone"]
    if not (isinstance(zone, str) and _zone_ok(zone)):
        bad("99", "timezone", f"unknown time zone {zone!r}", "Use 'America/Chicago'.")
    return p
