"""Section 10 "Eligible employer", 10(1)-(4), 15(g): who may receive a grant, and when."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import attrs
import pendulum
import pytest
from freezegun import freeze_time
from hypothesis import given
from hypothesis import strategies as st

from choice_workflow.cites import CITES
from choice_workflow.domain import (
    CertificateStatus,
    Consent,
    CrpFunding,
    Eligibility,
    Employer,
    PriorGrant,
    _codec,
    check_eligibility,
    employer_from_data,
    employer_to_data,
    validate_application,
)
from choice_workflow.errors import InvalidInput, Problem, Severity
from choice_workflow.rules import AwardCounts, Rules
from tests.strategies import (
    AT,
    CHICAGO,
    RULES,
    employers,
    json_values,
    prior_grants,
    replace_path,
    valid_application,
    valid_employer,
)

TODAY = dt.date(2030, 9, 15)
"""AT's date in Illinois."""


def check(
    employer: Employer,
    *,
    at: dt.datetime = AT,
    rules: Rules = RULES,
    prior: tuple[PriorGrant, ...] = (),
) -> Eligibility:
    return check_eligibility(employer, at=at, rules=rules, prior_grants=prior)


def reasons(result: Eligibility) -> list[tuple[tuple[str, ...], str, Severity]]:
    return [(p.cites, p.field, p.severity) for p in result.problems]


@pytest.fixture(name="employer")
def fixture_employer() -> Employer:
    """An employer eligible at AT."""
    return valid_employer()


@pytest.mark.cite('10 "Eligible employer"', "10(1)", "10(2)", "10(3)", "10(4)")
def test_an_employer_meeting_every_condition_is_eligible(employer: Employer) -> None:
    assert Eligibility(eligible=True, problems=()) == check(employer)


@pytest.mark.cite('10 "Eligible employer"', "10(1)", "10(2)", "10(3)", "15(g)", "10(4)")
def test_every_reason_is_reported_at_once(employer: Employer) -> None:
    failing = attrs.evolve(
        employer,
        employee_count=0,
        certificate=None,
        state_authorization=None,
        crp_funding=(CrpFunding(start=dt.date(2030, 1, 1)),),
        consent=None,
    )
    expected = [
        (('10 "Eligible employer"',), "employee_count", Severity.ERROR),
        (("10(1)",), "certificate", Severity.ERROR),
        (("10(1)",), "state_authorization", Severity.ERROR),
        (("10(2)",), "crp_funding[0]", Severity.ERROR),
        (("15(g)", "10(3)"), "prior_grants", Severity.ERROR),
        (("10(4)",), "consent", Severity.ERROR),
    ]
    result = check(failing, prior=(PriorGrant("G-1", True, True),))
    assert expected == reasons(result)
    assert (False, result.problems) == (result.eligible, result.errors)


# -- 10 "Eligible employer" ------------------------------------------------------------


@pytest.mark.cite('10 "Eligible employer"')
@pytest.mark.parametrize(
    ("count", "eligible", "severities"),
    [
        (-1, False, [Severity.ERROR]),
        (0, False, [Severity.ERROR]),
        (1, True, [Severity.WARNING]),
        (3, True, [Severity.WARNING]),
        (4, True, []),
        ("25", False, [Severity.ERROR]),
        (None, False, [Severity.ERROR]),
        (True, False, [Severity.ERROR]),
    ],
)
def test_an_employer_employs_one_or_more_persons_and_fewer_than_four_is_a_warning(
    employer: Employer, count: Any, eligible: bool, severities: list[Severity]
) -> None:
    result = check(attrs.evolve(employer, employee_count=count))
    assert (eligible, severities) == (result.eligible, [p.severity for p in result.problems])
    assert all(('10 "Eligible employer"',) == p.cites for p in result.problems)


@pytest.mark.cite('10 "Eligible employer"')
def test_the_small_employer_threshold_is_a_setting(employer: Employer) -> None:
    rules = attrs.evolve(RULES, small_employer_warning_below=30)
    assert [Severity.WARNING] == [p.severity for p in check(employer, rules=rules).warnings]


# -- 10(1): the 14(c) certificate --------------------------------------------------------


@pytest.mark.cite("10(1)")
class TestCertificate:
    def test_an_employer_without_a_certificate_is_not_eligible(self, employer: Employer) -> None:
        assert [(("10(1)",), "certificate", Severity.ERROR)] == reasons(
            check(attrs.evolve(employer, certificate=None))
        )

    @pytest.mark.parametrize(
        "status", [CertificateStatus.EXPIRED, CertificateStatus.REVOKED, CertificateStatus.PENDING]
    )
    def test_a_certificate_that_is_not_active_fails(
        self, employer: Employer, status: CertificateStatus
    ) -> None:
        result = check(replace_path(employer, "certificate.status", status))
        assert [(("10(1)",), "certificate.status", Severity.ERROR)] == reasons(result)
        assert status.value in result.problems[0].reason

    @pytest.mark.parametrize(
        ("expires", "eligible"),
        [(TODAY - dt.timedelta(days=1), False), (TODAY, True), (None, True)],
    )
    def test_a_certificate_is_in_force_through_its_expiry_date(
        self, employer: Employer, expires: dt.date | None, eligible: bool
    ) -> None:
        result = check(replace_path(employer, "certificate.expires", expires))
        assert eligible == result.eligible
        assert ([] if eligible else ["certificate.expires"]) == [p.field for p in result.problems]

    @pytest.mark.parametrize(
        ("effective", "eligible"), [(TODAY, True), (TODAY + dt.timedelta(days=1), False)]
    )
    def test_a_certificate_not_yet_effective_fails(
        self, employer: Employer, effective: dt.date, eligible: bool
    ) -> None:
        assert (
            eligible == check(replace_path(employer, "certificate.effective", effective)).eligible
        )

    @pytest.mark.parametrize(
        ("at", "eligible"),
        [
            (pendulum.datetime(2030, 9, 15, 23, 59, 59, tz=CHICAGO), True),
            (pendulum.datetime(2030, 9, 16, 0, 0, 0, tz=CHICAGO), False),
        ],
    )
    def test_the_expiry_date_is_read_on_the_illinois_calendar(
        self, employer: Employer, at: pendulum.DateTime, eligible: bool
    ) -> None:
        # 11:59:59 pm in Chicago is already the next day in UTC.
        expiring = replace_path(employer, "certificate.expires", TODAY)
        assert eligible == check(expiring, at=at).eligible


@pytest.mark.cite("10(1)")
class TestStateAuthorization:
    def test_a_missing_authorization_fails_with_a_hint_on_the_dignity_in_pay_act(
        self, employer: Employer
    ) -> None:
        (problem,) = check(attrs.evolve(employer, state_authorization=None)).problems
        assert (("10(1)",), "state_authorization") == (problem.cites, problem.field)
        assert "Dignity in Pay Act" in problem.hint
        assert "P.A. 103-1060" in problem.hint
        assert "Rules.require_state_authorization" in problem.hint

    def test_a_revoked_authorization_fails(self, employer: Employer) -> None:
        result = check(replace_path(employer, "state_authorization.revoked", True))
        assert ["state_authorization.revoked"] == [p.field for p in result.problems]

    @pytest.mark.parametrize(
        ("expires", "eligible"), [(TODAY - dt.timedelta(days=1), False), (TODAY, True)]
    )
    def test_an_authorization_is_in_force_through_its_expiry_date(
        self, employer: Employer, expires: dt.date, eligible: bool
    ) -> None:
        result = check(replace_path(employer, "state_authorization.expires", expires))
        assert eligible == result.eligible

    @pytest.mark.parametrize(
        ("effective", "eligible"), [(TODAY, True), (TODAY + dt.timedelta(days=1), False)]
    )
    def test_an_authorization_not_yet_effective_fails(
        self, employer: Employer, effective: dt.date, eligible: bool
    ) -> None:
        result = check(replace_path(employer, "state_authorization.effective", effective))
        assert eligible == result.eligible

    def test_the_certificate_alone_suffices_when_the_rules_read_so(
        self, employer: Employer
    ) -> None:
        rules = attrs.evolve(RULES, require_state_authorization=False)
        assert check(attrs.evolve(employer, state_authorization=None), rules=rules).eligible


# -- 10(2): community rehabilitation program funding ------------------------------------


@pytest.mark.cite("10(2)")
@pytest.mark.parametrize(
    ("start", "end", "eligible"),
    [
        (dt.date(2020, 1, 1), TODAY - dt.timedelta(days=1), True),
        (dt.date(2020, 1, 1), TODAY, False),
        (dt.date(2020, 1, 1), None, False),
        (TODAY, None, False),
        (TODAY + dt.timedelta(days=1), None, True),
    ],
)
def test_an_employer_currently_funded_as_a_crp_is_not_eligible(
    employer: Employer, start: dt.date, end: dt.date | None, eligible: bool
) -> None:
    periods = (
        CrpFunding(start=dt.date(2010, 1, 1), end=dt.date(2012, 6, 30)),
        CrpFunding(start=start, end=end),
    )
    result = check(attrs.evolve(employer, crp_funding=periods))
    assert eligible == result.eligible
    assert ([] if eligible else [(("10(2)",), "crp_funding[1]", Severity.ERROR)]) == reasons(result)


@pytest.mark.cite("10(2)")
def test_crp_funding_is_judged_at_the_instant_of_the_decision(employer: Employer) -> None:
    ended = attrs.evolve(
        employer, crp_funding=(CrpFunding(start=dt.date(2025, 1, 1), end=dt.date(2030, 12, 31)),)
    )
    assert (False, True) == (
        check(ended, at=AT).eligible,
        check(ended, at=pendulum.datetime(2031, 1, 1, tz=CHICAGO)).eligible,
    )


# -- 10(3), 15(g): one grant --------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "approved", "accepted", "eligible"),
    [
        pytest.param(
            AwardCounts.APPROVED, False, False, True, marks=pytest.mark.cite("15(g)", "10(3)")
        ),
        pytest.param(
            AwardCounts.APPROVED, True, False, False, marks=pytest.mark.cite("15(g)", "10(3)")
        ),
        pytest.param(
            AwardCounts.APPROVED, True, True, False, marks=pytest.mark.cite("15(g)", "10(3)")
        ),
        pytest.param(
            AwardCounts.ACCEPTED, False, False, True, marks=pytest.mark.cite("15(g)", "10(3)")
        ),
        pytest.param(
            AwardCounts.ACCEPTED, True, False, True, marks=pytest.mark.cite("15(g)", "10(3)")
        ),
        pytest.param(
            AwardCounts.ACCEPTED, True, True, False, marks=pytest.mark.cite("15(g)", "10(3)")
        ),
    ],
)
def test_an_earlier_grant_counts_per_the_reading_of_the_rules(
    employer: Employer, reading: AwardCounts, approved: bool, accepted: bool, eligible: bool
) -> None:
    rules = attrs.evolve(RULES, award_counts=reading)
    result = check(employer, rules=rules, prior=(PriorGrant("G-7", approved, accepted),))
    assert ([] if eligible else [(("15(g)", "10(3)"), "prior_grants", Severity.ERROR)]) == reasons(
        result
    )
    assert all(reading.value in p.hint for p in result.problems)


@pytest.mark.cite("15(g)", "10(3)")
@given(prior=st.lists(prior_grants(), max_size=4))
def test_the_narrow_reading_never_refuses_more_than_the_default(prior: list[PriorGrant]) -> None:
    employer = valid_employer()
    default = check(employer, prior=tuple(prior))
    narrow = check(
        employer, prior=tuple(prior), rules=attrs.evolve(RULES, award_counts=AwardCounts.ACCEPTED)
    )
    assert len(narrow.problems) <= len(default.problems)
    assert (not any(p.approved for p in prior)) == default.eligible


# -- 10(4): consent -----------------------------------------------------------------------


@pytest.mark.cite("10(4)")
@pytest.mark.parametrize(
    ("given_at", "eligible"),
    [
        (AT.subtract(days=1), True),
        (AT, True),
        (AT.add(microseconds=1), False),
    ],
)
def test_a_consent_counts_when_given_by_the_instant_of_the_decision(
    employer: Employer, given_at: pendulum.DateTime, eligible: bool
) -> None:
    consent = Consent(given_by="Board of directors", given_at=given_at)
    result = check(attrs.evolve(employer, consent=consent))
    assert ([] if eligible else [(("10(4)",), "consent.given_at", Severity.ERROR)]) == reasons(
        result
    )


@pytest.mark.cite("10(4)")
def test_an_employer_without_a_recorded_consent_is_not_eligible(employer: Employer) -> None:
    assert [(("10(4)",), "consent", Severity.ERROR)] == reasons(
        check(attrs.evolve(employer, consent=None))
    )


@pytest.mark.cite("10(4)")
@pytest.mark.parametrize("who", ["", "  ", None])
def test_a_consent_says_who_gave_it(employer: Employer, who: Any) -> None:
    assert ["consent.given_by"] == [
        p.field for p in check(replace_path(employer, "consent.given_by", who)).problems
    ]


# -- 15(m), 25: nothing revokes a certificate ------------------------------------------


@pytest.mark.cite("15(m)", "25")
def test_checks_never_change_the_employer_or_its_certificate(employer: Employer) -> None:
    before = copy.deepcopy(employer)
    check(employer, prior=(PriorGrant("G-1", True, True),))
    validate_application(
        valid_application(employer_id="other"), employer=employer, at=AT, rules=RULES
    )
    assert before == employer
    assert employer.certificate is not None
    assert CertificateStatus.ACTIVE == employer.certificate.status


@pytest.mark.cite("15(m)", "25")
def test_an_employer_that_already_had_its_grant_keeps_a_valid_certificate(
    employer: Employer,
) -> None:
    result = check(employer, prior=(PriorGrant("G-1", True, True),))
    assert ["prior_grants"] == [p.field for p in result.problems]
    assert not any(p.field.startswith("certificate") for p in result.problems)


@pytest.mark.cite("15(m)", "25")
def test_records_are_frozen(employer: Employer) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        employer.certificate.status = CertificateStatus.REVOKED  # type: ignore[misc, union-attr]  # the mutation under test


# -- malformed records ----------------------------------------------------------------


@pytest.mark.cite('10 "Eligible employer"', "10(1)", "10(2)", "10(4)", "15(g)", "10(3)")
@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("certificate", "14C-1"),
        ("certificate.status", "active"),
        ("certificate.effective", "2025-01-01"),
        ("certificate.effective", AT),
        ("certificate.expires", 20351231),
        ("state_authorization", {}),
        ("state_authorization.revoked", None),
        ("state_authorization.effective", None),
        ("crp_funding", None),
        ("crp_funding", "none"),
        ("crp_funding", (None,)),
        ("consent", "yes"),
        ("consent.given_at", "2030-09-01"),
        ("consent.given_at", dt.datetime(2030, 9, 1)),  # noqa: DTZ001 - the naive instant under test
        ("employee_count", 2.5),
    ],
)
def test_a_malformed_record_is_a_cited_problem_never_an_exception(
    employer: Employer, path: str, value: object
) -> None:
    result = check(replace_path(employer, path, value))
    assert not result.eligible
    assert any(p.field.startswith(path) for p in result.errors)
    assert all(p.cites and set(p.cites) <= set(CITES) for p in result.problems)


@pytest.mark.cite("15(g)", "10(3)")
def test_a_malformed_prior_grant_is_a_problem(employer: Employer) -> None:
    bad: Any = "G-1"
    assert ["prior_grants[0]"] == [p.field for p in check(employer, prior=(bad,)).problems]


@pytest.mark.cite('10 "Eligible employer"')
def test_a_naive_decision_instant_is_refused(employer: Employer) -> None:
    with pytest.raises(InvalidInput, match="naive"):
        check(employer, at=dt.datetime(2030, 9, 15, 10))  # noqa: DTZ001 - the naive instant under test


# -- data -------------------------------------------------------------------------------


@pytest.mark.cite("10(1)", "10(2)", "10(4)")
@given(employer=employers())
def test_an_employer_survives_json_exactly(employer: Employer) -> None:
    assert employer == employer_from_data(json.loads(json.dumps(employer_to_data(employer))))


@pytest.mark.cite("10(1)", "10(4)")
@pytest.mark.parametrize("resolve_while_frozen", [False, True])
def test_an_employer_survives_json_while_freezegun_freezes_time(
    employer: Employer, resolve_while_frozen: bool
) -> None:
    # freezegun swaps datetime.date for a subclass; the models' dates must still encode.
    if resolve_while_frozen:
        _codec._hints.cache_clear()
    with freeze_time("2030-07-01T14:00:00Z"):
        data = employer_to_data(employer)
        assert employer == employer_from_data(data)
    assert employer == employer_from_data(data)
    assert data == employer_to_data(employer)


@pytest.mark.cite("10(4)")
def test_instants_are_written_in_utc_and_dates_as_iso_dates(employer: Employer) -> None:
    data = employer_to_data(employer)
    # The log's own form of an instant (docs/audit-format.md), payloads included.
    assert ("2030-08-16T15:30:00.000000Z", "2035-12-31", "active") == (
        data["consent"]["given_at"],
        data["certificate"]["expires"],
        data["certificate"]["status"],
    )


@pytest.mark.cite("10(1)", "10(2)", "10(4)", '10 "Eligible employer"')
def test_malformed_employer_data_lists_every_problem_with_its_path_and_cite(
    employer: Employer,
) -> None:
    data = employer_to_data(employer)
    data["certificate"]["status"] = "lapsed"
    data["certificate"]["effective"] = "01/01/2025"
    data["crp_funding"] = [{"start": "2020-01-01", "end": None, "funder": "DHS"}]
    data["consent"]["given_at"] = "2030-09-01T10:00:00"
    data["employee_count"] = 25.0
    del data["email"]
    with pytest.raises(InvalidInput) as caught:
        employer_from_data(data)
    expected = [
        ("certificate.status", ("10(1)",)),
        ("certificate.effective", ("10(1)",)),
        ("crp_funding[0].funder", ("10(2)",)),
        ("consent.given_at", ("10(4)",)),
        ("employee_count", ('10 "Eligible employer"',)),
        ("email", ("15(i)",)),
    ]
    assert expected == [(p.field, p.cites) for p in caught.value.problems]
    assert "'active'" in caught.value.problems[0].hint


@pytest.mark.cite('10 "Eligible employer"', "10(1)", "10(4)")
@given(key=st.sampled_from([f.name for f in attrs.fields(Employer)]), value=json_values())
def test_reading_any_json_value_in_any_field_raises_nothing_but_invalid_input(
    key: str, value: object
) -> None:
    data = employer_to_data(valid_employer())
    data[key] = value
    problems: tuple[Problem, ...] = ()
    try:
        employer_from_data(data)
    except InvalidInput as error:
        problems = error.problems
    assert all(set(p.cites) <= set(CITES) for p in problems)


@pytest.mark.cite('10 "Eligible employer"')
def test_an_employer_with_a_bad_type_is_not_written(employer: Employer) -> None:
    with pytest.raises(InvalidInput) as caught:
        employer_to_data(replace_path(employer, "certificate.expires", "2035-12-31"))
    assert [("certificate.expires", ("10(1)",))] == [
        (p.field, p.cites) for p in caught.value.problems
    ]
