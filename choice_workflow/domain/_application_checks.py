"""The checks behind :func:`~choice_workflow.domain.application.validate_application`.

One function per item of 15(b); each reports one problem per failed part and never
raises on a value of the wrong type: a wrong type is a problem like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from choice_workflow.domain._report import Report
from choice_workflow.domain.application import (
    DISABILITY_CATEGORIES,
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
    application_cites,
)
from choice_workflow.domain.employer import Employer
from choice_workflow.domain.money import dollar_text
from choice_workflow.errors import Problem, Severity
from choice_workflow.rules import Rules
from choice_workflow.time import (
    ensure_instant,
    first_award_instant,
    grant_period_end,
    local_midnight,
    previous_fiscal_years,
)
from choice_workflow.time.instants import zone

_PARTS_8 = {
    "business_model": "(A) the business model to transform into",
    "integrated_services": "(B) the integrated services",
    "funding_structure": "(D) the funding structure",
    "transportation_needed": "(E) the transportation needed",
    "transportation_provided": "(F) the transportation provided",
}
_PARTS_8G = {
    "contracts": "(G)(i) the redesign of contracts",
    "funding_sources": "(G)(ii) the changes in funding sources",
    "staff_training": "(G)(iii) the staff training",
    "stakeholder_input": "(G)(iv) the input from key stakeholders",
    "responsible": "(G)(v) the individuals responsible",
}
_ASSURANCES = {
    "transformation": "(A) the activities will result in the transformation",
    "competitive_employment": "(B) 14(c) employees will be employed at a minimum wage",
    "accurate_and_truthful": "(C) the application is accurate and truthful",
    "cooperate_with_evaluation": "(D) the employer will cooperate with the evaluation",
    "standard_work_performance": "(E) employees meet the standard level work performance",
}
# 15(b)(12) names these two entities; an application without either is worth a look.
_NAMED_ENTITIES = {
    "human services": "the Department of Human Services",
    "board of education": "the State Board of Education",
}


def check_application(
    app: Application,
    *,
    employer: Employer | None,
    at: dt.datetime,
    rules: Rules,
    required_other: tuple[str, ...],
) -> tuple[Problem, ...]:
    """Every problem of ``app``; see :func:`validate_application`."""
    instant = ensure_instant(at, "at", "15(b)(13)")
    r = Report(application_cites)
    r.text(app.employer_id, "employer_id", "the employer's id")
    _amount(r, app.amount_requested, rules)
    employees = r.count(app.employees_14c, "employees_14c", "employees under a 14(c) certificate")
    _demographics(r, app.demographics, employees)
    r.count(
        app.employees_without_disability_14c,
        "employees_without_disability_14c",
        "employees without a registered disability paid a 14(c) subminimum wage",
    )
    _wages(r, app.wages_14c, "wages_14c")
    _wages(r, app.wages_all, "wages_all")
    years = tuple(fy.name for fy in previous_fiscal_years(instant, rules))
    _fiscal_rows(r, app.history_5, "history_5", WageHistoryYear, years)
    _fiscal_rows(r, app.transitions_6, "transitions_6", FiscalYearCount, years)
    _business_model(r, app.business_model)
    _activities(r, app.activities)
    _timeline(r, app.timeline, rules.quarters)
    r.text(app.coordination, "coordination", "the coordination with State programs")
    _assurances(r, app.assurances)
    _collaboration(r, app.collaboration)
    _full_minimum_wage(r, app.full_minimum_wage_on, instant, rules)
    _other(r, app.other, required_other)
    if employer is not None:
        _employer(r, app, employees, employer, rules)
    return tuple(r.problems)


def _amount(r: Report, value: object, rules: Rules) -> None:
    amount = r.money(value, "amount_requested")
    if amount is None:
        return
    if not rules.min_award <= amount <= rules.max_award:
        r.add(
            "amount_requested",
            f"{dollar_text(amount)} is outside {dollar_text(rules.min_award)}-{dollar_text(rules.max_award)}",
            f"Request at least {dollar_text(rules.min_award)} and at most {dollar_text(rules.max_award)} "
            f"for the {rules.grant_period_years}-year grant period.",
        )


def _demographics(r: Report, value: object, employees: int | None) -> None:
    if not r.instance(value, Demographics, "demographics"):
        return
    hints = {
        "gender": f"Count each employee once; use {NOT_REPORTED!r} where it is not known.",
        "race": f"Count each employee once: {TWO_OR_MORE!r} for more than one race, "
        f"{NOT_REPORTED!r} where it is not known.",
        "ethnicity": f"Count each employee once; use {NOT_REPORTED!r} where it is not known.",
        "disability": f"Use only {', '.join(map(repr, DISABILITY_CATEGORIES))}.",
    }
    for name, hint in hints.items():
        field = f"demographics.{name}"
        breakdown = getattr(value, name)
        if not isinstance(breakdown, Mapping):
            r.wrong(field, breakdown, "a mapping of category to count", hint)
            continue
        total: int | None = 0
        for key, count in breakdown.items():
            where = f"{field}[{key!r}]"
            if not isinstance(key, str) or not key.strip():
                r.wrong(where, key, "a category name", hint)
            elif name == "disability" and key not in DISABILITY_CATEGORIES:
                r.add(where, f"{key!r} is not a disability category of the Act", hint)
            counted = r.count(count, where, f"employees in {name} category {key!r}")
            total = None if counted is None or total is None else total + counted
        if total is not None and employees is not None and total != employees:
            r.add(field, f"the {name} breakdown sums to {total}, not {employees}", hint)


def _wages(r: Report, value: object, field: str) -> None:
    if not r.instance(value, WageSummary, field):
        return
    low = r.money(value.minimum, f"{field}.minimum")
    average = r.money(value.average, f"{field}.average")
    high = r.money(value.maximum, f"{field}.maximum")
    # A negative range is wrong only as maximum - minimum is not: checked below.
    spread = r.money(value.range, f"{field}.range", signed=True)
    if low is None or high is None:
        return
    if low > high:
        r.add(f"{field}.minimum", f"the minimum {low} is above the maximum {high}", "Swap them.")
        return
    if average is not None and not low <= average <= high:
        r.add(
            f"{field}.average",
            f"the average {average} is outside the minimum {low} and maximum {high}",
            "The average hourly wage lies between the minimum and the maximum.",
        )
    if spread is not None and spread != high - low:
        r.add(
            f"{field}.range",
            f"the range {spread} is not maximum - minimum = {high - low}",
            f"Set the range to {high - low}.",
        )


def _fiscal_rows(
    r: Report,
    value: object,
    field: str,
    cls: type[WageHistoryYear] | type[FiscalYearCount],
    years: tuple[int, ...],
) -> None:
    label = ", ".join(f"FY{y}" for y in years)
    rows = r.rows(value, field, f"rows for {label}")
    if rows is None:
        return
    counts: tuple[tuple[str, str], ...] = (
        ("below_minimum_wage", "employees below the minimum wage"),
        ("below_customary_rate", "employees below the customary rate"),
    )
    if cls is FiscalYearCount:
        counts = (("count", "individuals transitioned"),)
    seen: dict[int, int] = {}
    for i, row in enumerate(rows):
        where = f"{field}[{i}]"
        if not r.instance(row, cls, where):
            continue
        year: object = row.fiscal_year
        if isinstance(year, bool) or not isinstance(year, int):
            r.wrong(f"{where}.fiscal_year", year, "a fiscal year such as 2029 (for FY2029)")
        elif year in seen:
            r.add(
                f"{where}.fiscal_year",
                f"FY{year} appears again (first in {field}[{seen[year]}])",
                "Give each fiscal year once.",
            )
        elif year not in years:
            r.add(
                f"{where}.fiscal_year",
                f"FY{year} is not one of the 5 fiscal years before the application",
                f"Give exactly {label}.",
            )
        else:
            seen[year] = i
        for name, what in counts:
            r.count(getattr(row, name), f"{where}.{name}", what)
    for year in years:
        if year not in seen:
            r.add(field, f"FY{year} is missing", f"Add a row for FY{year}; give exactly {label}.")


def _business_model(r: Report, value: object) -> None:
    if not r.instance(value, BusinessModel, "business_model"):
        return
    field = "business_model.integrated_settings"
    kinds = ", ".join(k.name for k in SettingKind)
    settings = r.rows(value.integrated_settings, field, "IntegratedSetting")
    if settings is not None and not settings:
        r.add(field, "(7)(A) no integrated setting is listed", f"List the kinds provided: {kinds}.")
    for i, setting in enumerate(settings or ()):
        where = f"{field}[{i}]"
        if not r.instance(setting, IntegratedSetting, where):
            continue
        kind: object = setting.kind
        description: object = setting.description
        if not isinstance(kind, SettingKind):
            r.wrong(f"{where}.kind", kind, "a SettingKind", f"Use SettingKind.{kinds}.")
        elif kind is SettingKind.OTHER:
            r.text(description, f"{where}.description", "the other integrated setting")
        elif not isinstance(description, str):
            r.wrong(f"{where}.description", description, "text")
    r.text(
        value.budget_and_funding,
        "business_model.budget_and_funding",
        "(7)(B) the budget and funding structure",
    )
    r.text(
        value.human_resources,
        "business_model.human_resources",
        "(7)(C) the human resource structure",
    )


def _activities(r: Report, value: object) -> None:
    if not r.instance(value, Activities, "activities"):
        return
    for name, what in _PARTS_8.items():
        r.text(getattr(value, name), f"activities.{name}", what)
    after = r.count(
        value.employees_after,
        "activities.employees_after",
        "(8)(C) employees after the transformation",
    )
    if after == 0:
        r.add(
            "activities.employees_after",
            "(8)(C) no one would be employed after the transformation",
            "Check the number: the grant is for employing people at a minimum wage.",
            Severity.WARNING,
        )
    if r.instance(value.process, TransformationProcess, "activities.process"):
        for name, what in _PARTS_8G.items():
            r.text(getattr(value.process, name), f"activities.process.{name}", what)


def _timeline(r: Report, value: object, quarters: int) -> None:
    rows = r.rows(value, "timeline", f"QuarterPlan for quarters 1-{quarters}")
    if rows is None:
        return
    seen: dict[int, int] = {}
    for i, row in enumerate(rows):
        where = f"timeline[{i}]"
        if not r.instance(row, QuarterPlan, where):
            continue
        number: object = row.quarter
        if isinstance(number, bool) or not isinstance(number, int):
            r.wrong(f"{where}.quarter", number, f"a quarter number 1-{quarters}")
        elif not 1 <= number <= quarters:
            r.add(
                f"{where}.quarter",
                f"quarter {number} is outside 1-{quarters}",
                f"Number the quarters of the grant period 1 to {quarters}.",
            )
        elif number in seen:
            r.add(
                f"{where}.quarter",
                f"quarter {number} appears again (first in timeline[{seen[number]}])",
                "Give each quarter once.",
            )
        else:
            seen[number] = i
        entries = 0
        for name in ("activities", "goals"):
            items = r.rows(getattr(row, name), f"{where}.{name}", name)
            for j, item in enumerate(items or ()):
                if not isinstance(item, str):
                    r.wrong(f"{where}.{name}[{j}]", item, "text")
                elif item.strip():
                    entries += 1
        if entries == 0:
            r.add(
                where,
                f"quarter {number!r} has no activity or goal",
                "Give at least one activity or goal for each quarter.",
            )
    missing = [n for n in range(1, quarters + 1) if n not in seen]
    if len(missing) > 12:  # one problem, not one per quarter of a long period
        r.add("timeline", f"{len(missing)} of the quarters 1-{quarters} are missing "
              f"(first: {missing[0]})", f"Plan every quarter 1-{quarters}.")  # fmt: skip
        return
    for number in missing:
        r.add("timeline", f"quarter {number} is missing", f"Plan every quarter 1-{quarters}.")


def _assurances(r: Report, value: object) -> None:
    if not r.instance(value, Assurances, "assurances"):
        return
    for name, what in _ASSURANCES.items():
        given = getattr(value, name)
        field = f"assurances.{name}"
        if not isinstance(given, bool):
            r.wrong(field, given, "True or False")
        elif not given:
            r.add(
                field, f"assurance {what} is not given", "All five assurances (A)-(E) are required."
            )


def _collaboration(r: Report, value: object) -> None:
    rows = r.rows(value, "collaboration", "Collaboration")
    if rows is None:
        return
    if not rows:
        r.add(
            "collaboration",
            "no assurance of collaboration is given",
            "Add the assurances of DHS, the State Board of Education and the other State entities.",
        )
        return
    named = ""
    for i, row in enumerate(rows):
        where = f"collaboration[{i}]"
        if not r.instance(row, Collaboration, where):
            continue
        entity = r.text(row.entity, f"{where}.entity", "the State entity")
        r.text(row.assurance, f"{where}.assurance", "the assurance given")
        named += f" {(entity or '').casefold()}"
    missing = [name for key, name in _NAMED_ENTITIES.items() if key not in named]
    if missing:
        r.add(
            "collaboration",
            f"no assurance from {' or '.join(missing)}",
            "15(b)(12) names the Department of Human Services and the State Board of "
            "Education; add their assurances if they collaborate.",
            Severity.WARNING,
        )


def _full_minimum_wage(r: Report, value: object, at: dt.datetime, rules: Rules) -> None:
    field = "full_minimum_wage_on"
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        r.wrong(field, value, "a date", "Give the date, e.g. datetime.date(2032, 7, 1).")
        return
    applied = ensure_instant(at).in_timezone(zone(rules.timezone)).date()
    if value < applied:
        r.add(
            field,
            f"{value.isoformat()} is before the application ({applied.isoformat()})",
            "Give a date on or after the application date.",
        )
        return
    # The period starts at acceptance, not known yet: assume the earliest start, the
    # application or the first award date, so that the warning errs on the side of asking.
    start = max(ensure_instant(at), first_award_instant(rules))
    end = grant_period_end(start, rules)
    if local_midnight(value, rules) >= end:
        last = end.in_timezone(zone(rules.timezone)).subtract(microseconds=1).date()
        r.problems.append(
            Problem(
                ("15(b)(13)", "15(f)"),
                f"{value.isoformat()} is after the {rules.grant_period_years}-year grant period, "
                f"which would end {last.isoformat()} at the earliest",
                "The minimum wage is expected within the grant period; check the date.",
                field,
                Severity.WARNING,
            )
        )


def _other(r: Report, value: object, required: tuple[str, ...]) -> None:
    if not isinstance(value, Mapping):
        r.wrong("other", value, "a mapping of field name to text")
        return
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str):
            r.wrong(
                f"other[{key!r}]", text if isinstance(key, str) else key, "text keys and values"
            )
    for key in required:
        given = value.get(key)
        if not isinstance(given, str) or not given.strip():
            r.add(
                f"other[{key!r}]",
                f"{key!r}, required by the Director, is missing or empty",
                f"Provide {key!r}.",
            )


def _employer(
    r: Report, app: Application, employees: int | None, employer: Employer, rules: Rules
) -> None:
    applicant: object = app.employer_id
    if isinstance(applicant, str) and applicant != employer.id:
        r.add(
            "employer_id",
            f"the application names employer {app.employer_id!r}, not {employer.id!r}",
            "File the application under the applicant's own id.",
        )
    total = employer.employee_count
    if isinstance(total, bool) or not isinstance(total, int):
        return
    if total < rules.small_employer_warning_below:
        r.problems.append(
            Problem(
                ('10 "Eligible employer"',),
                f"the employer has {total} employees, fewer than {rules.small_employer_warning_below}",
                "MWL 105/3(d) excludes such employers from 'employee'; the Act does not. "
                "Confirm the headcount.",
                "employer.employee_count",
                Severity.WARNING,
            )
        )
    if employees is not None and employees > total:
        r.add(
            "employees_14c",
            f"{employees} employees under 14(c), more than the employer's {total} employees",
            "Update the employer's headcount or correct the count.",
            Severity.WARNING,
        )
