"""Hypothesis strategies and factories of valid records, for any test of the library.

``valid_employer`` and ``valid_application`` build records that pass
:func:`check_eligibility` and :func:`validate_application` at the instant given;
keyword overrides replace fields (``valid_application(at, coordination="")``).
:func:`replace_path` replaces one nested field by its problem path
(``"wages_14c.minimum"``, ``"history_5[2].fiscal_year"``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs
import pendulum
from hypothesis import strategies as st

from choice_workflow.domain import (
    DISABILITY_CATEGORIES,
    NOT_REPORTED,
    TWO_OR_MORE,
    Activities,
    Application,
    Assurances,
    BusinessModel,
    Certificate14c,
    CertificateStatus,
    Collaboration,
    Consent,
    CrpFunding,
    Demographics,
    Employer,
    FiscalYearCount,
    IntegratedSetting,
    PriorGrant,
    QuarterPlan,
    SettingKind,
    StateAuthorization,
    TransformationProcess,
    WageHistoryYear,
    WageSummary,
)
from choice_workflow.rules import Rules
from choice_workflow.time import ensure_instant, previous_fiscal_years

T = TypeVar("T")

CHICAGO = "America/Chicago"
RULES = Rules.illinois()
AT = pendulum.datetime(2030, 9, 15, 10, 30, tz=CHICAGO)
"""A default application instant: in FY2031, after the first award date."""

GENDERS = ("female", "male", "another gender", NOT_REPORTED)
RACES = (
    "American Indian or Alaska Native",
    "Asian",
    "Black or African American",
    "Native Hawaiian or Other Pacific Islander",
    "White",
    TWO_OR_MORE,
    NOT_REPORTED,
)
ETHNICITIES = ("Hispanic or Latino", "Not Hispanic or Latino", NOT_REPORTED)


# -- factories ------------------------------------------------------------------------


def split(total: int, keys: tuple[str, ...]) -> dict[str, int]:
    """``total`` spread over ``keys`` as evenly as possible (the first keys get more)."""
    share, rest = divmod(total, len(keys))
    return {k: share + (1 if i < rest else 0) for i, k in enumerate(keys)}


def valid_demographics(total: int) -> Demographics:
    """Breakdowns of ``total`` employees that each sum to ``total``."""
    return Demographics(
        gender=split(total, GENDERS),
        race=split(total, RACES),
        ethnicity=split(total, ETHNICITIES),
        disability=split(total, DISABILITY_CATEGORIES),
    )


def valid_employer(employer_id: str = "E-1", *, at: dt.datetime = AT, **overrides: Any) -> Employer:
    """An employer eligible at ``at`` (certificate and authorization in force, no CRP
    funding, consent given 30 days before, 25 employees), with ``overrides``."""
    employer = Employer(
        id=employer_id,
        legal_name=f"Prairie Works {employer_id}",
        county="Sangamon",
        certificate=Certificate14c(
            number=f"14C-{employer_id}",
            status=CertificateStatus.ACTIVE,
            effective=dt.date(2025, 1, 1),
            expires=dt.date(2035, 12, 31),
        ),
        state_authorization=StateAuthorization(
            number=f"IL-SMW-{employer_id}",
            effective=dt.date(2025, 1, 1),
            expires=dt.date(2035, 12, 31),
        ),
        crp_funding=(),
        consent=Consent(
            given_by="Board of directors", given_at=ensure_instant(at).subtract(days=30)
        ),
        employee_count=25,
        individuals_served_14c=18,
        address_of_record="100 Main St, Springfield, IL 62701",
        email="grants@prairie.example.org",
    )
    return attrs.evolve(employer, **overrides)


def valid_application(
    at: dt.datetime = AT,
    *,
    rules: Rules = RULES,
    employer_id: str = "E-1",
    employees: int = 18,
    **overrides: Any,
) -> Application:
    """An application of ``employer_id`` that validates clean when made at ``at``, with
    ``overrides``."""
    instant = ensure_instant(at)
    years = previous_fiscal_years(instant, rules)
    application = Application(
        employer_id=employer_id,
        amount_requested=Decimal("25000.00"),
        employees_14c=employees,
        demographics=valid_demographics(employees),
        employees_without_disability_14c=0,
        wages_14c=WageSummary.of(
            minimum=Decimal("3.85"), average=Decimal("6.10"), maximum=Decimal("9.40")
        ),
        wages_all=WageSummary.of(
            minimum=Decimal("3.85"), average=Decimal("12.75"), maximum=Decimal("34.00")
        ),
        history_5=tuple(
            WageHistoryYear(
                fiscal_year=y.name,
                below_minimum_wage=employees,
                below_customary_rate=max(employees - 1, 0),
            )
            for y in years
        ),
        transitions_6=tuple(
            FiscalYearCount(fiscal_year=y.name, count=k % 3) for k, y in enumerate(years)
        ),
        business_model=BusinessModel(
            integrated_settings=(
                IntegratedSetting(kind=SettingKind.SUPPORTED_EMPLOYMENT),
                IntegratedSetting(kind=SettingKind.OTHER, description="Community garden crew"),
            ),
            budget_and_funding="Contract revenue and Medicaid waiver funding.",
            human_resources="An executive director, three job coaches, two supervisors.",
        ),
        activities=Activities(
            business_model="A community print and mail shop paying at least the minimum wage.",
            integrated_services="Job coaching and benefits counseling.",
            employees_after=max(employees, 1),
            funding_structure="Print contracts and vocational rehabilitation milestones.",
            transportation_needed="Fixed-route bus and paratransit.",
            transportation_provided="One van on shift times.",
            process=TransformationProcess(
                contracts="Reprice the mailing contracts.",
                funding_sources="From sheltered-work revenue to competitive contracts.",
                staff_training="Customized employment training for every coach.",
                stakeholder_input="Quarterly meetings with employees, families and advocates.",
                responsible="The executive director and the operations manager.",
            ),
        ),
        timeline=tuple(
            QuarterPlan(
                quarter=q, activities=(f"Milestone {q}",), goals=(f"{q * 8}% at minimum wage",)
            )
            for q in range(1, rules.quarters + 1)
        ),
        coordination="With the DHS Division of Rehabilitation Services and the local workforce board.",
        assurances=Assurances(
            transformation=True,
            competitive_employment=True,
            accurate_and_truthful=True,
            cooperate_with_evaluation=True,
            standard_work_performance=True,
        ),
        collaboration=(
            Collaboration(entity="Department of Human Services", assurance="Letter of support"),
            Collaboration(entity="State Board of Education", assurance="Transition agreement"),
        ),
        full_minimum_wage_on=instant.in_timezone(rules.timezone).date().add(years=2),
        other={},
    )
    return attrs.evolve(application, **overrides)


_STEP = re.compile(r"\.?([A-Za-z_]\w*)|\[(\d+)\]|\['([^']*)'\]")


def replace_path(record: T, path: str, value: object) -> T:
    """A copy of ``record`` with the field at ``path`` (``"a.b[2].c"``, ``"m['key']"``)
    replaced by ``value``, of any type: records hold wrong types so that checks can
    report them."""
    steps = [m.group(1) or m.group(2) or m.group(3) for m in _STEP.finditer(path)]
    kinds = [
        ("attr" if m.group(1) else "index" if m.group(2) else "key") for m in _STEP.finditer(path)
    ]
    return cast(T, _replace(record, list(zip(kinds, steps, strict=True)), value))


def _replace(node: Any, steps: list[tuple[str, str]], value: object) -> Any:
    if not steps:
        return value
    (kind, step), rest = steps[0], steps[1:]
    if kind == "attr":
        return attrs.evolve(node, **{step: _replace(getattr(node, step), rest, value)})
    if kind == "index":
        items = list(node)
        items[int(step)] = _replace(items[int(step)], rest, value)
        return tuple(items)
    mapping = dict(node)
    mapping[step] = _replace(mapping.get(step), rest, value)
    return mapping


# -- strategies -----------------------------------------------------------------------


def instants(
    start: pendulum.DateTime, end: pendulum.DateTime
) -> st.SearchStrategy[pendulum.DateTime]:
    """Aware instants from ``start`` to ``end`` (whole seconds), shown in America/Chicago."""
    span = int((end - start).total_seconds())
    return st.integers(0, span).map(lambda s: start.add(seconds=s).in_timezone(CHICAGO))


def application_instants() -> st.SearchStrategy[pendulum.DateTime]:
    """Instants at which applications are made: 2030 and 2031, America/Chicago."""
    return instants(
        pendulum.datetime(2030, 1, 1, tz=CHICAGO),
        pendulum.datetime(2031, 12, 31, 23, 59, 59, tz=CHICAGO),
    )


def money(
    min_value: Decimal = Decimal("0.00"), max_value: Decimal = Decimal("100.00")
) -> st.SearchStrategy[Decimal]:
    """Decimal dollars with exactly 2 places, from ``min_value`` to ``max_value``."""
    low, high = int(min_value * 100), int(max_value * 100)
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def wage_summaries(draw: st.DrawFn, max_wage: Decimal = Decimal("60.00")) -> WageSummary:
    """Consistent wage summaries: minimum <= average <= maximum, range = maximum - minimum."""
    low, average, high = sorted(draw(st.lists(money(max_value=max_wage), min_size=3, max_size=3)))
    return WageSummary.of(minimum=low, average=average, maximum=high)


@st.composite
def breakdowns(draw: st.DrawFn, total: int, keys: tuple[str, ...]) -> dict[str, int]:
    """``total`` split over ``keys`` at random (every key present, some may be 0)."""
    cuts = sorted(
        draw(st.lists(st.integers(0, total), min_size=len(keys) - 1, max_size=len(keys) - 1))
    )
    bounds = [0, *cuts, total]
    return {k: bounds[i + 1] - bounds[i] for i, k in enumerate(keys)}


@st.composite
def demographics(draw: st.DrawFn, total: int) -> Demographics:
    """Demographics of ``total`` employees, each breakdown summing to ``total``."""
    return Demographics(
        gender=draw(breakdowns(total, GENDERS)),
        race=draw(breakdowns(total, RACES)),
        ethnicity=draw(breakdowns(total, ETHNICITIES)),
        disability=draw(breakdowns(total, DISABILITY_CATEGORIES)),
    )


@st.composite
def submitted_applications(
    draw: st.DrawFn, rules: Rules = RULES
) -> tuple[pendulum.DateTime, Application]:
    """``(at, application)``: an application that validates clean when made at ``at``."""
    at = draw(application_instants())
    employees = draw(st.integers(0, 500))
    wages_14c = draw(wage_summaries(max_wage=Decimal("15.00")))
    years = [y.name for y in previous_fiscal_years(at, rules)]
    history = tuple(
        WageHistoryYear(
            fiscal_year=y,
            below_minimum_wage=draw(st.integers(0, 500)),
            below_customary_rate=draw(st.integers(0, 500)),
        )
        for y in years
    )
    transitions = tuple(
        FiscalYearCount(fiscal_year=y, count=draw(st.integers(0, 50))) for y in years
    )
    settings = draw(
        st.lists(
            st.sampled_from([k for k in SettingKind if k is not SettingKind.OTHER]),
            min_size=1,
            max_size=6,
        )
    )
    app = valid_application(
        at,
        rules=rules,
        employees=employees,
        demographics=draw(demographics(employees)),
        amount_requested=draw(money(rules.min_award, rules.max_award)),
        wages_14c=wages_14c,
        wages_all=draw(wage_summaries()),
        history_5=tuple(draw(st.permutations(history))),
        transitions_6=tuple(draw(st.permutations(transitions))),
        business_model=attrs.evolve(
            valid_application(at, rules=rules).business_model,
            integrated_settings=tuple(IntegratedSetting(kind=k) for k in settings),
        ),
        full_minimum_wage_on=at.in_timezone(rules.timezone)
        .date()
        .add(days=draw(st.integers(0, 3 * 365 - 1))),
        other=draw(
            st.dictionaries(
                st.text(min_size=1, max_size=10), st.text(min_size=1, max_size=30), max_size=3
            )
        ),
    )
    return at, app


def _dates(start: int = 2015, end: int = 2040) -> st.SearchStrategy[dt.date]:
    return st.dates(dt.date(start, 1, 1), dt.date(end, 12, 31))


def certificates() -> st.SearchStrategy[Certificate14c]:
    """14(c) certificates of any status and dates (not necessarily in force)."""
    return st.builds(
        Certificate14c,
        number=st.text(min_size=1, max_size=12),
        status=st.sampled_from(CertificateStatus),
        effective=_dates(),
        expires=st.none() | _dates(),
    )


@st.composite
def employers(draw: st.DrawFn) -> Employer:
    """Employers with every field of its declared type (eligible or not)."""
    return Employer(
        id=draw(st.text(min_size=1, max_size=12)),
        legal_name=draw(st.text(max_size=30)),
        county=draw(st.sampled_from(["Cook", "Sangamon", "17031", "St. Clair", "De Witt"])),
        certificate=draw(st.none() | certificates()),
        state_authorization=draw(
            st.none()
            | st.builds(
                StateAuthorization,
                number=st.text(max_size=12),
                effective=_dates(),
                expires=st.none() | _dates(),
                revoked=st.booleans(),
            )
        ),
        crp_funding=tuple(
            draw(
                st.lists(
                    st.builds(CrpFunding, start=_dates(), end=st.none() | _dates()), max_size=3
                )
            )
        ),
        consent=draw(
            st.none()
            | st.builds(Consent, given_by=st.text(max_size=20), given_at=application_instants())
        ),
        employee_count=draw(st.integers(0, 5000)),
        individuals_served_14c=draw(st.integers(0, 5000)),
        address_of_record=draw(st.text(max_size=40)),
        email=draw(st.emails()),
    )


def prior_grants() -> st.SearchStrategy[PriorGrant]:
    """Another grant of the employer: approved or not, accepted (only if approved) or not."""
    return st.builds(
        lambda gid, approved, accepted: PriorGrant(gid, approved, approved and accepted),
        st.text(min_size=1, max_size=8),
        st.booleans(),
        st.booleans(),
    )


def json_values() -> st.SearchStrategy[object]:
    """Any JSON value (what a malformed document may hold where a field should be)."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=8,
    )
