"""Complete, valid sample records: for the README, the demo, simulations and tests.

Every value here is made up; the shapes are the Act's. ``sample_application`` passes
:func:`~choice_workflow.domain.application.validate_application` at ``at``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pendulum

from choice_workflow.domain.application import (
    COMBINATION,
    NOT_REPORTED,
    TWO_OR_MORE,
    Activities,
    Application,
    Assurances,
    BusinessModel,
    Collaboration,
    Demographics,
    FiscalYearCount,
    IntegratedSetting,
    QuarterPlan,
    SettingKind,
    TransformationProcess,
    WageHistoryYear,
    WageSummary,
)
from choice_workflow.domain.employer import (
    Certificate14c,
    CertificateStatus,
    Consent,
    Employer,
    StateAuthorization,
)
from choice_workflow.rules import Rules
from choice_workflow.time.calendar import previous_fiscal_years
from choice_workflow.time.instants import ensure_instant

__all__ = [
    "sample_application",
    "sample_employer",
]


def sample_employer(
    employer_id: str,
    *,
    at: dt.datetime,
    county: str = "Cook",
    individuals_served_14c: int = 40,
    employee_count: int = 60,
) -> Employer:
    """An employer eligible at ``at``: an active certificate and State authorization,
    no CRP funding, consent given a day before."""
    when = ensure_instant(at, "at")
    return Employer(
        id=employer_id,
        legal_name=f"Sample Works {employer_id}",
        county=county,
        certificate=Certificate14c(
            number=f"14C-{employer_id}",
            status=CertificateStatus.ACTIVE,
            effective=dt.date(2028, 1, 1),
            expires=dt.date(when.year + 8, 12, 31),
        ),
        state_authorization=StateAuthorization(
            number=f"IL-{employer_id}",
            effective=dt.date(2028, 1, 1),
            expires=dt.date(when.year + 8, 12, 31),
        ),
        consent=Consent(given_by=f"board-{employer_id}", given_at=when.subtract(days=1)),
        employee_count=employee_count,
        individuals_served_14c=individuals_served_14c,
        address_of_record=f"{100 + len(employer_id)} Main St, Springfield, IL",
        email=f"grants@{employer_id.lower()}.example.org",
    )


def _split(total: int, keys: tuple[str, ...]) -> dict[str, int]:
    share, rest = divmod(total, len(keys))
    return {k: share + (1 if i < rest else 0) for i, k in enumerate(keys)}


def sample_application(
    employer_id: str,
    *,
    at: dt.datetime,
    amount: Decimal | str = "25000.00",
    employees_14c: int = 40,
    rules: Rules | None = None,
) -> Application:
    """A complete application of ``employer_id`` made at ``at``, asking for ``amount``."""
    r = rules or Rules.illinois()
    when = ensure_instant(at, "at")
    years = previous_fiscal_years(when, r)
    n = employees_14c
    return Application(
        employer_id=employer_id,
        amount_requested=Decimal(str(amount)),
        employees_14c=n,
        demographics=Demographics(
            gender=_split(n, ("female", "male", NOT_REPORTED)),
            race=_split(n, ("white", "black", "asian", TWO_OR_MORE, NOT_REPORTED)),
            ethnicity=_split(n, ("hispanic or latino", "not hispanic or latino", NOT_REPORTED)),
            disability=_split(
                n,
                (
                    "developmental disability",
                    "mental illness",
                    "physical disability",
                    COMBINATION,
                    NOT_REPORTED,
                ),
            ),
        ),
        employees_without_disability_14c=0,
        wages_14c=WageSummary.of(
            minimum=Decimal("4.10"), average=Decimal("6.35"), maximum=Decimal("9.80")
        ),
        wages_all=WageSummary.of(
            minimum=Decimal("4.10"), average=Decimal("11.20"), maximum=Decimal("31.00")
        ),
        history_5=tuple(
            WageHistoryYear(fiscal_year=y.name, below_minimum_wage=n, below_customary_rate=n)
            for y in years
        ),
        transitions_6=tuple(FiscalYearCount(fiscal_year=y.name, count=1) for y in years),
        business_model=BusinessModel(
            integrated_settings=(
                IntegratedSetting(kind=SettingKind.SUPPORTED_EMPLOYMENT),
                IntegratedSetting(kind=SettingKind.JOB_SHADOWING),
            ),
            budget_and_funding="Contract revenue 70%, Medicaid waiver 30%.",
            human_resources="Director, 4 job coaches, 2 supervisors.",
        ),
        activities=Activities(
            business_model="A light-assembly and packaging business in the community.",
            integrated_services="Job coaching, benefits counseling, customized employment.",
            employees_after=n,
            funding_structure="Contract revenue and vocational rehabilitation milestones.",
            transportation_needed="Fixed-route bus and paratransit.",
            transportation_provided="Two vans on shift times.",
            process=TransformationProcess(
                contracts="Reprice contracts to pay the minimum wage.",
                funding_sources="Move from sheltered-work revenue to competitive contracts.",
                staff_training="Job coaches certified in customized employment.",
                stakeholder_input="Quarterly meetings with employees, families and advocates.",
                responsible="The executive director and the employment services manager.",
            ),
        ),
        timeline=tuple(
            QuarterPlan(
                quarter=q,
                activities=(f"Quarter {q} milestones",),
                goals=(f"{q * 8}% at minimum wage",),
            )
            for q in range(1, r.quarters + 1)
        ),
        coordination="With DHS Division of Rehabilitation Services and the local workforce board.",
        assurances=Assurances(
            transformation=True,
            competitive_employment=True,
            accurate_and_truthful=True,
            cooperate_with_evaluation=True,
            standard_work_performance=True,
        ),
        collaboration=(
            Collaboration(entity="Department of Human Services", assurance="Letter of support"),
            Collaboration(
                entity="State Board of Education", assurance="Transition services agreement"
            ),
        ),
        full_minimum_wage_on=(pendulum.instance(when).in_timezone(r.timezone).date().add(years=2)),
    )
