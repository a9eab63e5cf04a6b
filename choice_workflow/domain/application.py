"""The application of Section 15(b): every item (1)-(14) as a typed field.

An :class:`Application` is built without checks, so that whatever an employer sent can
be held and judged; :func:`validate_application` then returns every problem at once,
one per failed item, each carrying its cite. Money is :class:`~decimal.Decimal` dollars
with cents, never float. Counts are aggregated: the application names no one (15(b)(1)).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from choice_workflow.domain import _codec
from choice_workflow.domain.employer import Employer
from choice_workflow.errors import Problem
from choice_workflow.rules import Rules

NOT_REPORTED = "not reported"
"""15(b)(1): the category of every demographic breakdown for people whose value is not
known, so that each breakdown can sum to the employee count."""
TWO_OR_MORE = "two or more"
"""15(b)(1): the race category for people of more than one race."""
COMBINATION = "combination"
"""10 "Disability": a combination of a developmental disability, a mental illness and a
physical disability."""
DISABILITY_CATEGORIES: tuple[str, ...] = (
    "developmental disability",
    "mental illness",
    "physical disability",
    COMBINATION,
    NOT_REPORTED,
)
"""10 "Disability", 15(b)(1): the only keys of :attr:`Demographics.disability`: the four
of the Act's definition, plus "not reported"."""


@attrs.frozen(kw_only=True)
class Demographics:
    """15(b)(1): the employees under a 14(c) certificate, counted by gender, race,
    ethnicity and disability. Each breakdown sums to the employee count.

    Keys are categories, values head counts. Gender, race and ethnicity keys are the
    agency's vocabulary, with :data:`TWO_OR_MORE` and :data:`NOT_REPORTED` so that each
    person is counted once; disability keys are exactly :data:`DISABILITY_CATEGORIES`.
    """

    gender: Mapping[str, int]
    race: Mapping[str, int]
    ethnicity: Mapping[str, int]
    disability: Mapping[str, int]


@attrs.frozen(kw_only=True)
class WageSummary:
    """15(b)(3), (4): the hourly wages paid in the previous year, in dollars:
    ``minimum <= average <= maximum`` and ``range == maximum - minimum``."""

    average: Decimal
    minimum: Decimal
    maximum: Decimal
    range: Decimal

    @classmethod
    def of(cls, *, minimum: Decimal, average: Decimal, maximum: Decimal) -> WageSummary:
        """A summary with its range computed from the bounds."""
        return cls(average=average, minimum=minimum, maximum=maximum, range=maximum - minimum)


@attrs.frozen(kw_only=True)
class WageHistoryYear:
    """15(b)(5), one fiscal year (named by the year it ends in: 2029 for FY2029): how
    many employees with a disability worked for a wage (A) below the higher of the
    federal minimum wage (29 U.S.C. 206(a)(1)) and the State or local minimum wage, and
    (B) below the customary rate for the same or similar work."""

    fiscal_year: int
    below_minimum_wage: int
    below_customary_rate: int


@attrs.frozen(kw_only=True)
class FiscalYearCount:
    """15(b)(6), one fiscal year (named by the year it ends in): how many individuals
    with disabilities the employer transitioned from employment under a 14(c)
    certificate to competitive integrated employment."""

    fiscal_year: int
    count: int


class SettingKind(enum.Enum):
    """10 "Integrated setting": the kinds of integrated setting, for 15(b)(7)(A).

    The definition "also includes" its list, so it is open: :attr:`OTHER` with a
    description names any other kind.
    """

    COMMUNITY = "community"
    """A setting typically found in the community, with interaction with individuals
    without disabilities to the same extent as in comparable positions."""
    SUPPORTED_EMPLOYMENT = "supported employment"
    CUSTOMIZED_EMPLOYMENT = "customized employment"
    BENEFITS_COUNSELING = "benefits counseling"
    JOB_SHADOWING = "job shadowing"
    ON_THE_JOB_EXPERIENCES = "on-the-job experiences"
    OTHER = "other"
    """Any other integrated setting; its description is required."""


@attrs.frozen(kw_only=True)
class IntegratedSetting:
    """15(b)(7)(A): one type of integrated setting the employer has provided to its
    disabled employees; ``description`` is required for :attr:`SettingKind.OTHER`."""

    kind: SettingKind
    description: str = ""


@attrs.frozen(kw_only=True)
class BusinessModel:
    """15(b)(7): the employer's business model as it uses 14(c) certificates: (A) the
    integrated settings provided, (B) the budget and funding structure, (C) the human
    resource structure."""

    integrated_settings: tuple[IntegratedSetting, ...]
    budget_and_funding: str
    human_resources: str


@attrs.frozen(kw_only=True)
class TransformationProcess:
    """15(b)(8)(G): the process of the transformation: (i) redesign of contracts, (ii)
    changes in funding sources, (iii) staff training on competitive integrated
    employment, (iv) input from key stakeholders, (v) the people responsible."""

    contracts: str
    funding_sources: str
    staff_training: str
    stakeholder_input: str
    responsible: str


@attrs.frozen(kw_only=True)
class Activities:
    """15(b)(8): the activities the grant funds and their goals, (A)-(G)."""

    business_model: str
    """(A) the competitive integrated employment model the employer will transform into,
    with its business plan, employment structure and leadership organization."""
    integrated_services: str
    """(B) the integrated services the employer will provide."""
    employees_after: int
    """(C) the number of employees employed under the model after the transformation."""
    funding_structure: str
    """(D) the funding structure of the new model."""
    transportation_needed: str
    """(E) the transportation methods employees need to get to and from work."""
    transportation_provided: str
    """(F) the transportation methods the employer provides."""
    process: TransformationProcess
    """(G) the transformation process, (i)-(v)."""


@attrs.frozen(kw_only=True)
class QuarterPlan:
    """15(b)(9): the activities to implement and goals to reach in quarter ``quarter``
    (1-12) of the 3-year grant period (15(f))."""

    quarter: int
    activities: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Assurances:
    """15(b)(11): the five assurances, each affirmed with ``True``."""

    transformation: bool
    """(A) the activities will result in the transformation described under (8)."""
    competitive_employment: bool
    """(B) the employees under 14(c) will be employed in competitive integrated
    employment receiving a minimum wage."""
    accurate_and_truthful: bool
    """(C) the application is accurate and truthful."""
    cooperate_with_evaluation: bool
    """(D) the employer will cooperate with the evaluation of Section 20."""
    standard_work_performance: bool
    """(E) the employees meet the standard level work performance (15(c))."""


@attrs.frozen(kw_only=True)
class Collaboration:
    """15(b)(12): an assurance of collaboration and support from a State entity (the
    Department of Human Services, the State Board of Education, others)."""

    entity: str
    assurance: str


@attrs.frozen(kw_only=True)
class Application:
    """An application under Section 15(b), with the amount requested (15(h)).

    Fields hold items (1)-(14) in order. Construction checks nothing;
    :func:`validate_application` reports every problem.
    """

    employer_id: str
    amount_requested: Decimal
    """15(h): dollars for the 3-year grant period, between the Rules' bounds."""
    employees_14c: int
    """(1) the number of employees under a 14(c) certificate."""
    demographics: Demographics
    """(1) their gender, race, ethnicity and disability."""
    employees_without_disability_14c: int
    """(2) employees without a registered disability paid a 14(c) subminimum wage."""
    wages_14c: WageSummary
    """(3) hourly wages of the employees under 14(c), previous year."""
    wages_all: WageSummary
    """(4) hourly wages of all employees, previous year."""
    history_5: tuple[WageHistoryYear, ...]
    """(5) each of the 5 fiscal years before the application."""
    transitions_6: tuple[FiscalYearCount, ...]
    """(6) transitions to competitive integrated employment, same 5 fiscal years."""
    business_model: BusinessModel
    """(7) the business model."""
    activities: Activities
    """(8) activities and goals."""
    timeline: tuple[QuarterPlan, ...]
    """(9) the 12 quarters of the grant period."""
    coordination: str
    """(10) how the activities coordinate with State programs, agencies and funding."""
    assurances: Assurances
    """(11) assurances (A)-(E)."""
    collaboration: tuple[Collaboration, ...]
    """(12) assurances of collaboration from State entities."""
    full_minimum_wage_on: dt.date
    """(13) the date on which the minimum wage will be fully implemented."""
    other: Mapping[str, str] = attrs.field(factory=dict)
    """(14) other information the Director requires, by the agency's field names."""


_CITES: dict[str, tuple[str, ...]] = {
    "employer_id": ('10 "Eligible employer"',),
    "amount_requested": ("15(h)",),
    "employees_14c": ("15(b)(1)",),
    "demographics": ("15(b)(1)",),
    "employees_without_disability_14c": ("15(b)(2)",),
    "wages_14c": ("15(b)(3)",),
    "wages_all": ("15(b)(4)",),
    "history_5": ("15(b)(5)",),
    "transitions_6": ("15(b)(6)",),
    "business_model": ("15(b)(7)",),
    "activities": ("15(b)(8)",),
    "timeline": ("15(b)(9)", "15(f)"),
    "coordination": ("15(b)(10)",),
    "assurances": ("15(b)(11)",),
    "collaboration": ("15(b)(12)",),
    "full_minimum_wage_on": ("15(b)(13)",),
    "other": ("15(b)(14)",),
}
# Fields that rest on a definition of Section 10 as well as on their item of 15(b).
_DEFINITIONS: dict[str, str] = {
    "demographics.disability": '10 "Disability"',
    "business_model.integrated_settings": '10 "Integrated setting"',
}


def application_cites(path: str) -> tuple[str, ...]:
    """The cites of a problem with the application field at ``path``, most specific
    first (``"demographics.disability['x']"`` -> ``("15(b)(1)", '10 "Disability"')``)."""
    top = path.split(".", 1)[0].split("[", 1)[0]
    cites = _CITES.get(top, ("15(b)(14)",))
    for prefix, definition in _DEFINITIONS.items():
        if path == prefix or path.startswith((f"{prefix}[", f"{prefix}.")):
            return (*cites, definition)
    return cites


def validate_application(
    app: Application,
    *,
    employer: Employer | None,
    at: dt.datetime,
    rules: Rules,
    required_other: Sequence[str] = (),
) -> tuple[Problem, ...]:
    """Every problem of ``app`` submitted at the instant ``at``, one per failed item
    (Section 15(b), 15(h)).

    Errors refuse the application; warnings (a (13) date after the grant period, an
    employer with fewer employees than ``rules.small_employer_warning_below``) do not.
    ``employer``, where given, is the applicant's record: its id must match and its
    headcounts are compared. ``required_other`` names the 15(b)(14) fields the Director
    requires. A field of the wrong type (None, a str for a count, a float for money) is
    a problem like any other; nothing else is raised, except
    :class:`~choice_workflow.errors.InvalidInput` for an ``at`` that is not an aware
    instant.
    """
    # Imported here: the checks import this module's models (a cycle otherwise).
    from choice_workflow.domain._application_checks import check_application  # noqa: PLC0415 - the models and their checks import each other

    return check_application(
        app, employer=employer, at=at, rules=rules, required_other=tuple(required_other)
    )


def application_to_data(app: Application) -> dict[str, Any]:
    """``app`` as JSON-ready data: money as strings (``"12.50"``), dates as ISO strings,
    enums as their values, tuples as lists.

    :func:`application_from_data` rebuilds an equal application. A field that does not
    hold its declared type (money as float, a count as str) is refused with
    :class:`~choice_workflow.errors.InvalidInput` listing every such field with its cite.
    """
    return _codec.to_data(app, Application, application_cites)


def application_from_data(data: object, *, keep: bool = False) -> Application:
    """The application that :func:`application_to_data` wrote.

    Malformed data (a missing or unknown field, a wrong type, money as a float, an
    unreadable date) raises :class:`~choice_workflow.errors.InvalidInput` listing every
    problem with its field path and cite. What is well-formed but wrong (sums, bounds,
    missing fiscal years) is for :func:`validate_application`.
    """
    return _codec.from_data(data, Application, application_cites, keep=keep)


def application_changes(before: Application | None, after: Application | None) -> dict[str, Any]:
    """15(b): the top-level fields of ``after`` (as data) that differ from ``before``:
    what an amendment records. Empty when nothing changed or there is no ``after``."""
    if after is None:
        return {}
    old = {} if before is None else application_to_data(before)
    new = application_to_data(after)
    return {k: v for k, v in new.items() if old.get(k) != v}


def amended_application(before: Application | None, changes: Mapping[str, Any]) -> Application:
    """15(b): the application an amendment's ``changes`` (the fields it changed, as
    data) make of ``before``."""
    data = {} if before is None else application_to_data(before)
    return application_from_data({**data, **changes})
