"""Section 10 "Eligible employer": may this employer receive a grant at this instant?

:func:`check_eligibility` returns every reason at once, each citing the clause of
Section 10 it rests on. It is pure: it reads the employer, never changes it, and in
particular never touches its 14(c) certificate (15(m), 25).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

import attrs

from choice_workflow.domain._codec import describe
from choice_workflow.domain.employer import (
    Certificate14c,
    CertificateStatus,
    Consent,
    CrpFunding,
    Employer,
    StateAuthorization,
)
from choice_workflow.errors import Problem, Severity, errors_only
from choice_workflow.rules import AwardCounts, Rules
from choice_workflow.time import ensure_instant
from choice_workflow.time.instants import zone

_DIGNITY_IN_PAY = (
    "The Dignity in Pay Act (P.A. 103-1060) ends these authorizations by December 31, "
    "2029; an agency that reads 10(1) as satisfied by the 14(c) certificate alone sets "
    "Rules.require_state_authorization to False."
)


@attrs.frozen
class PriorGrant:
    """Another grant of the same employer, as far as 10(3) and 15(g) care: was it
    ever approved, and was it accepted."""

    grant_id: str
    approved: bool
    accepted: bool


@attrs.frozen(kw_only=True)
class Eligibility:
    """The verdict of :func:`check_eligibility`: ``eligible`` when no problem is an
    error; ``problems`` holds errors and warnings, in the order of Section 10."""

    eligible: bool
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that make the employer ineligible."""
        return errors_only(self.problems)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems that do not refuse (a small employer, 10 "Eligible employer")."""
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)


def check_eligibility(
    employer: Employer,
    *,
    at: dt.datetime,
    rules: Rules,
    prior_grants: Sequence[PriorGrant],
) -> Eligibility:
    """Whether ``employer`` is an eligible employer (Section 10) at the instant ``at``.

    - 10 "Eligible employer": it employs one or more persons (820 ILCS 105/3(c));
      fewer than ``rules.small_employer_warning_below`` is a warning (105/3(d)).
    - 10(1): its 14(c) certificate is active and in force on ``at``'s date in the
      Rules' time zone, and, when ``rules.require_state_authorization``, so is its State
      authorization under MWL Sections 5 and 10.
    - 10(2): it is not funded as a community rehabilitation program on that date.
    - 10(3), 15(g): none of ``prior_grants`` (the employer's other grants) counts as a
      grant received, per ``rules.award_counts``.
    - 10(4): a consent to transition is recorded, given at or before ``at``.

    A field of the wrong type is a problem, not an exception; an ``at`` that is not an
    aware instant raises :class:`~choice_workflow.errors.InvalidInput`.
    """
    instant = ensure_instant(at, "at", '10 "Eligible employer"')
    day = instant.in_timezone(zone(rules.timezone)).date()
    problems = (
        *_size(employer.employee_count, rules),
        *_certificate(employer.certificate, day),
        *_state_authorization(employer.state_authorization, day, rules),
        *_crp(employer.crp_funding, day),
        *_prior(prior_grants, rules),
        *_consent(employer.consent, instant, rules),
    )
    return Eligibility(eligible=not errors_only(problems), problems=problems)


def _size(count: object, rules: Rules) -> Iterator[Problem]:
    cite = ('10 "Eligible employer"',)
    field = "employee_count"
    if isinstance(count, bool) or not isinstance(count, int):
        yield Problem(
            cite,
            f"the employee count is {describe(count)}",
            "Record how many persons it employs.",
            field,
        )
    elif count < 1:
        yield Problem(
            cite,
            f"an employer employs one or more persons (820 ILCS 105/3(c)); this one has {count}",
            "Record the current headcount; an employer with no employees cannot apply.",
            field,
        )
    elif count < rules.small_employer_warning_below:
        yield Problem(
            cite,
            f"{count} employees, fewer than {rules.small_employer_warning_below}",
            "MWL 105/3(d) excludes such employers from 'employee'; the Act does not. "
            "Confirm the headcount.",
            field,
            Severity.WARNING,
        )


def _in_force(
    what: str, effective: object, expires: object, day: dt.date, field: str
) -> Iterator[tuple[str, str, str]]:
    """(field, reason, hint) for dates that are malformed or do not cover ``day``."""
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        yield (
            f"{field}.effective",
            f"the {what}'s effective date is {describe(effective)}",
            "Record it as a date.",
        )
    elif day < effective:
        yield (
            f"{field}.effective",
            f"the {what} takes effect only on {effective.isoformat()}",
            "Apply once it is in force.",
        )
    if expires is None:
        return
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        yield (
            f"{field}.expires",
            f"the {what}'s expiry date is {describe(expires)}",
            "Record it as a date, or None.",
        )
    elif expires < day:
        yield (
            f"{field}.expires",
            f"the {what} expired on {expires.isoformat()}",
            f"Renew the {what} and record the new one.",
        )


def _certificate(cert: object, day: dt.date) -> Iterator[Problem]:
    cite = ("10(1)",)
    if cert is None:
        yield Problem(
            cite,
            "no 14(c) certificate is recorded",
            "Record the employer's 14(c) certificate.",
            "certificate",
        )
        return
    if not isinstance(cert, Certificate14c):
        yield Problem(
            cite, f"the certificate is {describe(cert)}", "Record a Certificate14c.", "certificate"
        )
        return
    # Records come from anywhere: read each field as an object and check its type.
    status: object = cert.status
    if status is not CertificateStatus.ACTIVE:
        shown = status.value if isinstance(status, CertificateStatus) else describe(status)
        yield Problem(
            cite,
            f"the 14(c) certificate {cert.number} is {shown}, not active",
            "Only an employer holding an active 14(c) certificate is eligible; record its renewal once issued.",
            "certificate.status",
        )
        # The status already says why; its dates would only repeat it.
        return
    for field, reason, hint in _in_force(
        "14(c) certificate", cert.effective, cert.expires, day, "certificate"
    ):
        yield Problem(cite, reason, hint, field)


def _state_authorization(auth: object, day: dt.date, rules: Rules) -> Iterator[Problem]:
    if not rules.require_state_authorization:
        return
    cite = ("10(1)",)
    field = "state_authorization"
    if auth is None:
        yield Problem(
            cite,
            "no State authorization under Minimum Wage Law Sections 5 and 10 is recorded",
            f"Record the authorization. {_DIGNITY_IN_PAY}",
            field,
        )
        return
    if not isinstance(auth, StateAuthorization):
        yield Problem(
            cite,
            f"the State authorization is {describe(auth)}",
            "Record a StateAuthorization.",
            field,
        )
        return
    revoked: object = auth.revoked
    if not isinstance(revoked, bool):
        yield Problem(
            cite,
            f"revoked is {describe(revoked)}",
            "Record True or False.",
            f"{field}.revoked",
        )
    elif revoked:
        yield Problem(
            cite,
            f"the State authorization {auth.number} is revoked",
            _DIGNITY_IN_PAY,
            f"{field}.revoked",
        )
        return
    for where, reason, hint in _in_force(
        "State authorization", auth.effective, auth.expires, day, field
    ):
        yield Problem(cite, reason, f"{hint} {_DIGNITY_IN_PAY}", where)


def _crp(periods: object, day: dt.date) -> Iterator[Problem]:
    cite = ("10(2)",)
    if not isinstance(periods, tuple | list):
        yield Problem(
            cite,
            f"the CRP funding periods are {describe(periods)}",
            "Record a tuple of CrpFunding.",
            "crp_funding",
        )
        return
    for i, period in enumerate(periods):
        field = f"crp_funding[{i}]"
        if (
            not isinstance(period, CrpFunding)
            or not _is_date(period.start)
            or not (period.end is None or _is_date(period.end))
        ):
            yield Problem(
                cite,
                f"the CRP funding period is {describe(period)}",
                "Record a CrpFunding with dates.",
                field,
            )
        elif period.start <= day and (period.end is None or day <= period.end):
            until = (
                "with no end date" if period.end is None else f"through {period.end.isoformat()}"
            )
            yield Problem(
                cite,
                f"the employer is funded as a community rehabilitation program under DHS "
                f"from {period.start.isoformat()} {until}",
                "An employer currently funded as a CRP is not eligible; record the end of the funding when it ends.",
                field,
            )


def _prior(prior_grants: Sequence[object], rules: Rules) -> Iterator[Problem]:
    for i, prior in enumerate(prior_grants):
        if not isinstance(prior, PriorGrant):
            yield Problem(
                ("15(g)", "10(3)"),
                f"a prior grant is {describe(prior)}",
                "Pass the employer's other grants as PriorGrant.",
                f"prior_grants[{i}]",
            )
            continue
        if rules.award_counts is AwardCounts.APPROVED:
            counts, what = prior.approved is True or prior.accepted is True, "was approved"
        else:
            counts, what = prior.accepted is True, "was accepted"
        if counts:
            yield Problem(
                ("15(g)", "10(3)"),
                f"the employer already received a grant: {prior.grant_id} {what}",
                "An employer may only be awarded one grant (reading set by Rules.award_counts: "
                f"{rules.award_counts.value}).",
                "prior_grants",
            )


def _consent(consent: object, at: dt.datetime, rules: Rules) -> Iterator[Problem]:
    cite = ("10(4)",)
    if consent is None:
        yield Problem(
            cite,
            "no consent to transitioning to the minimum wage is recorded",
            "Record who consented for the employer, and when.",
            "consent",
        )
        return
    if not isinstance(consent, Consent):
        yield Problem(cite, f"the consent is {describe(consent)}", "Record a Consent.", "consent")
        return
    given_by: object = consent.given_by
    if not isinstance(given_by, str) or not given_by.strip():
        yield Problem(
            cite,
            "the consent does not say who gave it",
            "Record the name of the person who consented.",
            "consent.given_by",
        )
    given: object = consent.given_at
    if not isinstance(given, dt.datetime) or given.utcoffset() is None:
        yield Problem(
            cite,
            f"the consent's instant is {describe(given)}",
            "Record an aware instant.",
            "consent.given_at",
        )
    elif given > at:
        yield Problem(
            cite,
            f"the consent was given at {_local(given, rules)}, after {_local(at, rules)}",
            "Only a consent given by the time of the decision counts.",
            "consent.given_at",
        )


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _local(instant: dt.datetime, rules: Rules) -> str:
    return ensure_instant(instant).in_timezone(zone(rules.timezone)).isoformat()
