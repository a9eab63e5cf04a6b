"""The employer: who may apply (Section 10 "Eligible employer") and what is recorded of it.

The records are facts as the agency holds them: a 14(c) certificate (10(1)), the State
authorization under Sections 5 and 10 of the Minimum Wage Law (10(1)), periods of
funding as a community rehabilitation program under DHS (10(2)), the consent to
transition (10(4)), headcounts (10 "Eligible employer", 15(e)), the county (15(d)) and
the address of record and email that a notice of approval goes to (15(i)).

The models never change a certificate: after a transition the holder "may still be
considered 14(c) certified" (15(m)) and nothing in the Act affects the validity of 14(c)
certificate holders (25). Whether an employer is eligible is decided by
:func:`~choice_workflow.domain.eligibility.check_eligibility`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import attrs
import pendulum

from choice_workflow.domain import _codec
from choice_workflow.time import ensure_instant


class CertificateStatus(enum.Enum):
    """The state of a 14(c) certificate as the U.S. Department of Labor reports it (10(1))."""

    ACTIVE = "active"
    """Issued and in force (between its effective and expiry dates)."""
    EXPIRED = "expired"
    """Lapsed; the holder must renew before it is eligible again."""
    REVOKED = "revoked"
    """Revoked by the U.S. Department of Labor. The library never revokes one itself
    (15(m), 25)."""
    PENDING = "pending"
    """Applied for, not yet issued."""


@attrs.frozen(kw_only=True)
class Certificate14c:
    """10(1): a certificate under Section 14(c) of the Fair Labor Standards Act.

    It is in force from ``effective`` through ``expires`` (both inclusive, read on the
    Rules' calendar); ``expires`` is None when no expiry date is recorded.
    """

    number: str
    status: CertificateStatus
    effective: dt.date
    expires: dt.date | None = None


@attrs.frozen(kw_only=True)
class StateAuthorization:
    """10(1): the authorization under Sections 5 and 10 of the Minimum Wage Law (820 ILCS
    105/5, 105/10) to pay an employee with a disability less than the minimum wage.

    In force from ``effective`` through ``expires`` (both inclusive; None: no expiry
    recorded) unless ``revoked``. The Dignity in Pay Act (P.A. 103-1060) ends these
    authorizations by December 31, 2029; see ``Rules.require_state_authorization``.
    """

    number: str
    effective: dt.date
    expires: dt.date | None = None
    revoked: bool = False


@attrs.frozen(kw_only=True)
class CrpFunding:
    """10(2): a period in which the employer was funded as a community rehabilitation
    program under the Department of Human Services, from ``start`` through ``end`` (both
    inclusive; None: still funded)."""

    start: dt.date
    end: dt.date | None = None


def _in_utc(value: Any) -> Any:
    """An aware instant as a UTC instant; anything else as it is (the checks of 10(4)
    name what is wrong with it)."""
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return ensure_instant(value)
    return value


@attrs.frozen(kw_only=True)
class Consent:
    """10(4): the employer's consent to transitioning from subminimum wage to minimum
    wage in a competitive integrated employment setting: who gave it, and when (an aware
    instant)."""

    given_by: str
    given_at: pendulum.DateTime = attrs.field(converter=_in_utc)
    """Held in UTC (an instant given in another zone is the same instant): so that an
    employer read back from its data equals the one written, even in a DST fold."""


@attrs.frozen(kw_only=True)
class Employer:
    """An employer as defined in Section 3 of the Minimum Wage Law (10 "Eligible
    employer"), with what the Act asks to know of it.

    ``county`` is a county name as in the county table, or its 5-digit FIPS code (15(d));
    ``employee_count`` is how many persons it employs (820 ILCS 105/3(c): "one or more");
    ``individuals_served_14c`` is how many individuals it pays under its 14(c)
    certificate, the measure of the size bands of 15(e); ``address_of_record`` and
    ``email`` are the two channels of a notice of approval (15(i)).

    Construction checks nothing, so that a record read from anywhere can be held and
    judged: :func:`~choice_workflow.domain.eligibility.check_eligibility` reports what is
    wrong with it.
    """

    id: str
    legal_name: str
    county: str
    certificate: Certificate14c | None = None
    state_authorization: StateAuthorization | None = None
    crp_funding: tuple[CrpFunding, ...] = ()
    consent: Consent | None = None
    employee_count: int
    individuals_served_14c: int
    address_of_record: str
    email: str


_EMPLOYER_CITES: dict[str, tuple[str, ...]] = {
    "certificate": ("10(1)",),
    "state_authorization": ("10(1)",),
    "crp_funding": ("10(2)",),
    "consent": ("10(4)",),
    "county": ("15(d)",),
    "individuals_served_14c": ("15(e)",),
    "address_of_record": ("15(i)",),
    "email": ("15(i)",),
}


def employer_cites(path: str) -> tuple[str, ...]:
    """The cites of a problem with the employer field at ``path`` (``"consent.given_at"``)."""
    top = path.split(".", 1)[0].split("[", 1)[0]
    return _EMPLOYER_CITES.get(top, ('10 "Eligible employer"',))


def employer_to_data(employer: Employer) -> dict[str, Any]:
    """``employer`` as JSON-ready data: dates and instants as ISO strings (instants in
    UTC), enums as their values, tuples as lists.

    :func:`employer_from_data` rebuilds an equal employer. A field that does not hold its
    declared type is refused with :class:`~choice_workflow.errors.InvalidInput` listing
    every such field.
    """
    return _codec.to_data(employer, Employer, employer_cites)


def employer_from_data(data: object, *, keep: bool = False) -> Employer:
    """The employer that :func:`employer_to_data` wrote.

    Malformed data (a missing or unknown field, a wrong type, an unreadable date, a
    naive instant, an unknown certificate status) raises
    :class:`~choice_workflow.errors.InvalidInput` listing every problem, each with its
    field path and cite; nothing else is raised.
    """
    return _codec.from_data(data, Employer, employer_cites, keep=keep)
