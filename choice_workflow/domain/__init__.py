"""The pure domain: attrs models and checks of the Act, with no I/O and no clock reads.

- :mod:`~choice_workflow.domain.employer`: the employer and its records (Section 10).
- :mod:`~choice_workflow.domain.eligibility`: "Eligible employer" (Section 10, 15(g)).
- :mod:`~choice_workflow.domain.application`: the application of Section 15(b).
- :mod:`~choice_workflow.domain.counties`: geographic areas, rural and urban (15(d)).
- :mod:`~choice_workflow.domain.money`: Decimal dollars with cents, never float.
- :mod:`~choice_workflow.domain.wages`: wage records and the 15(l) floor.
- :mod:`~choice_workflow.domain.performance`: standard level work performance (15(c)).
- :mod:`~choice_workflow.domain.evaluation`: the evaluation of Section 20(a).
- :mod:`~choice_workflow.domain.privacy`: small-cell suppression of published tables.
- :mod:`~choice_workflow.domain.recorded`: wages, headcounts and performance as data.
- :mod:`~choice_workflow.domain.schema`: JSON Schemas of the forms' data.

From data to models: ``employer_from_data``, ``application_from_data``,
``parse_wage_record``, ``parse_headcount`` and ``parse_performance_record`` read plain
dicts (a JSON body), reporting every problem by field path and cite.

Every function takes the instant it judges (``at``) and the :class:`~choice_workflow.Rules`.
"""

from choice_workflow.domain.application import (
    COMBINATION,
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
    application_from_data,
    application_to_data,
    validate_application,
)
from choice_workflow.domain.counties import (
    UNASSIGNED_AREA,
    UNSOURCED_AREA,
    CbsaType,
    County,
    CountyTable,
    area,
    geography,
)
from choice_workflow.domain.eligibility import Eligibility, PriorGrant, check_eligibility
from choice_workflow.domain.employer import (
    Certificate14c,
    CertificateStatus,
    Consent,
    CrpFunding,
    Employer,
    StateAuthorization,
    employer_cites,
    employer_from_data,
    employer_to_data,
)
from choice_workflow.domain.evaluation import (
    ComplianceAction,
    EmploymentChange,
    Evaluation,
    WageEvaluation,
    WageGroup,
    evaluate_wages,
)
from choice_workflow.domain.money import CENT, money_problem, to_money
from choice_workflow.domain.performance import (
    BreakData,
    DurationStats,
    PerformanceRecord,
    PerformanceSummary,
    PeriodPerformance,
    aggregate_performance,
    read_break_data,
)
from choice_workflow.domain.privacy import SuppressedTable, is_small, min_max_allowed, suppress
from choice_workflow.domain.recorded import (
    parse_headcount,
    parse_performance_record,
    parse_wage_record,
)
from choice_workflow.domain.schema import (
    application_schema,
    employer_schema,
    headcount_schema,
    performance_schema,
    wage_schema,
)
from choice_workflow.domain.wages import (
    Floor,
    FloorTerm,
    Headcount,
    WageFinding,
    WageFindingKind,
    WageRecord,
    check_wages,
    floor_on,
)

__all__ = [
    "CENT",
    "COMBINATION",
    "DISABILITY_CATEGORIES",
    "NOT_REPORTED",
    "TWO_OR_MORE",
    "UNASSIGNED_AREA",
    "UNSOURCED_AREA",
    "Activities",
    "Application",
    "Assurances",
    "BreakData",
    "BusinessModel",
    "CbsaType",
    "Certificate14c",
    "CertificateStatus",
    "Collaboration",
    "ComplianceAction",
    "Consent",
    "County",
    "CountyTable",
    "CrpFunding",
    "Demographics",
    "DurationStats",
    "Eligibility",
    "Employer",
    "EmploymentChange",
    "Evaluation",
    "FiscalYearCount",
    "Floor",
    "FloorTerm",
    "Headcount",
    "IntegratedSetting",
    "PerformanceRecord",
    "PerformanceSummary",
    "PeriodPerformance",
    "PriorGrant",
    "QuarterPlan",
    "SettingKind",
    "StateAuthorization",
    "SuppressedTable",
    "TransformationProcess",
    "WageEvaluation",
    "WageFinding",
    "WageFindingKind",
    "WageGroup",
    "WageHistoryYear",
    "WageRecord",
    "WageSummary",
    "aggregate_performance",
    "application_cites",
    "application_from_data",
    "application_schema",
    "application_to_data",
    "area",
    "check_eligibility",
    "check_wages",
    "employer_cites",
    "employer_from_data",
    "employer_schema",
    "employer_to_data",
    "evaluate_wages",
    "floor_on",
    "geography",
    "headcount_schema",
    "is_small",
    "min_max_allowed",
    "money_problem",
    "parse_headcount",
    "parse_performance_record",
    "parse_wage_record",
    "performance_schema",
    "read_break_data",
    "suppress",
    "to_money",
    "validate_application",
    "wage_schema",
]
