"""The pure domain: attrs models and checks of the Act, with no I/O and no clock reads.

- :mod:`~choice_workflow.domain.employer`: the employer and its records (Section 10).
- :mod:`~choice_workflow.domain.eligibility`: "Eligible employer" (Section 10, 15(g)).
- :mod:`~choice_workflow.domain.application`: the application of Section 15(b).
- :mod:`~choice_workflow.domain.counties`: geographic areas, rural and urban (15(d)).
- :mod:`~choice_workflow.domain.money`: Decimal dollars with cents, never float.

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
from choice_workflow.domain.money import CENT, money_problem, to_money

__all__ = [
    "CENT",
    "COMBINATION",
    "DISABILITY_CATEGORIES",
    "NOT_REPORTED",
    "TWO_OR_MORE",
    "UNASSIGNED_AREA",
    "Activities",
    "Application",
    "Assurances",
    "BusinessModel",
    "CbsaType",
    "Certificate14c",
    "CertificateStatus",
    "Collaboration",
    "Consent",
    "County",
    "CountyTable",
    "CrpFunding",
    "Demographics",
    "Eligibility",
    "Employer",
    "FiscalYearCount",
    "IntegratedSetting",
    "PriorGrant",
    "QuarterPlan",
    "SettingKind",
    "StateAuthorization",
    "TransformationProcess",
    "WageHistoryYear",
    "WageSummary",
    "application_cites",
    "application_from_data",
    "application_to_data",
    "area",
    "check_eligibility",
    "employer_cites",
    "employer_from_data",
    "employer_to_data",
    "geography",
    "money_problem",
    "to_money",
    "validate_application",
]
