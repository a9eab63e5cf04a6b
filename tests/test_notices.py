"""The notice of award (15(i), 15(j)): its text and HTML, the exact accept_by across
daylight saving time, escaping, and the contact a notice goes to."""

from __future__ import annotations

import hashlib

import attrs
import pendulum
import pytest

from choice_workflow import (
    InvalidInput,
    ManualClock,
    NotPermitted,
    Program,
    State,
    TransitionRefused,
)
from choice_workflow.events import EventType
from choice_workflow.notices import TEMPLATE
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.testing.scenarios import START, Actors, register_and_apply
from tests.snapshot import check_snapshot

CHICAGO = "America/Chicago"
GRANT = "G-E1"
ACTORS = Actors()
EMPLOYER = ACTORS.employer("E1")


def chicago(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=CHICAGO)  # type: ignore[arg-type, misc]  # y, m, d, ...


def _approved(at: pendulum.DateTime, *, legal_name: str | None = None) -> Program:
    """E1 applied and approved for $25,000.00 at ``at`` (cycle 1 open)."""
    program = Program(clock=ManualClock(at))
    employer = sample_employer("E1", at=at)
    if legal_name is not None:
        employer = attrs.evolve(employer, legal_name=legal_name)
    program.register_employer(employer, ACTORS.department)
    program.apply(sample_application("E1", at=at), EMPLOYER, grant_id=GRANT)
    program.open_cycle(1, ACTORS.director, appropriation="1000000.00")
    program.approve(GRANT, "25000.00", ACTORS.director)
    return program


def _clock(program: Program) -> ManualClock:
    clock = program.clock
    assert isinstance(clock, ManualClock)
    return clock


@pytest.fixture(name="snapshot_program")
def fixture_snapshot_program() -> Program:
    """The fixed grant of the snapshots: approved July 1, 2030 at 9:00 CDT, the notice
    confirmed by email at 10:00, accepted at 11:30."""
    program = _approved(START)
    clock = _clock(program)
    clock.move_to(chicago(2030, 7, 1, 10))
    program.confirm_notice(GRANT, ACTORS.department, channel="email", confirmed_at=clock.now())
    clock.move_to(chicago(2030, 7, 1, 11, 30))
    program.accept(GRANT, EMPLOYER)
    return program


# -- the document ------------------------------------------------------------------


@pytest.mark.cite("15(i)", "15(j)", "15(a)", "15(f)", "15(h)")
def test_the_text_of_the_notice_of_award_matches_its_snapshot(snapshot_program: Program) -> None:
    check_snapshot("notice_of_award.txt", snapshot_program.notice_of_award(GRANT).text())


@pytest.mark.cite("15(i)", "15(j)", "15(a)", "15(f)", "15(h)")
def test_the_html_of_the_notice_of_award_matches_its_snapshot(snapshot_program: Program) -> None:
    check_snapshot("notice_of_award.html", snapshot_program.notice_of_award(GRANT).html())


@pytest.mark.cite("15(i)", "15(j)", "15(f)")
def test_the_notice_states_the_facts_of_the_grant(snapshot_program: Program) -> None:
    notice = snapshot_program.notice_of_award(GRANT)
    text = notice.text()
    for line in (
        "To: Sample Works E1 (employer E1)",
        "Email: grants@e1.example.org",
        "Amount: $25,000.00 for the 3-year grant period",
        "Approved: Monday, July 1, 2030, 9:00:00 AM CDT",
        "Accept by: Wednesday, July 3, 2030, 10:00:00 AM CDT (2030-07-03T15:00:00.000000Z).",
        "This notice was confirmed by email on Monday, July 1, 2030, 10:00:00 AM CDT.",
        "The transition may count from Saturday, June 29, 2030, 10:00:00 AM CDT.",
        "The period runs from Monday, July 1, 2030, 11:30:00 AM CDT until "
        "Friday, July 1, 2033, 11:30:00 AM CDT.",
        "Notice template notice-of-award/1.",
    ):
        assert line in text
    for cite in ("15(a)", "15(f)", "15(h)", "15(i)", "15(j)", "15(l)", "15(m)", "20(a)(1)"):
        assert f"  {cite}: " in text
    assert hashlib.sha256(text.encode()).hexdigest() == notice.digest()


@pytest.mark.cite("15(j)")
def test_before_its_confirmation_the_notice_says_when_the_48_hours_start() -> None:
    program = _approved(START)
    text = program.notice_of_award(GRANT).text()
    assert "Accept by:" not in text
    assert "The 48 hours start when this notice is confirmed" in text
    assert "Accept by:" not in program.notice_of_award(GRANT).html()


@pytest.mark.cite("15(a)")
def test_there_is_no_notice_of_award_before_the_approval(
    cw_program: Program,
) -> None:
    register_and_apply(cw_program, "E1")
    with pytest.raises(InvalidInput, match="not approved"):
        cw_program.notice_of_award(GRANT)


# -- accept_by across daylight saving time (15(j)) -----------------------------------


@pytest.mark.cite("15(j)", "15(i)")
@pytest.mark.parametrize(
    ("confirmed", "wall", "utc"),
    [
        # Saturday 10:00 CDT; the clocks fall back on Sunday: 48 elapsed hours end at 9:00 CST.
        (
            (2030, 11, 2, 10),
            "Monday, November 4, 2030, 9:00:00 AM CST",
            "2030-11-04T15:00:00.000000Z",
        ),
        # Saturday 10:00 CST; the clocks spring forward on Sunday: they end at 11:00 CDT.
        (
            (2031, 3, 8, 10),
            "Monday, March 10, 2031, 11:00:00 AM CDT",
            "2031-03-10T16:00:00.000000Z",
        ),
    ],
    ids=["fall-back", "spring-forward"],
)
def test_the_notice_states_accept_by_48_elapsed_hours_after_confirmation_across_dst(
    confirmed: tuple[int, int, int, int], wall: str, utc: str
) -> None:
    at = chicago(*confirmed)
    program = _approved(at)
    program.confirm_notice(GRANT, ACTORS.department, channel="email", confirmed_at=at)
    grant = program.grant(GRANT)
    assert grant.accept_by is not None
    assert 48 * 3600 == (grant.accept_by - at).in_seconds()
    notice = program.notice_of_award(GRANT)
    assert (wall, utc) == (notice.accept_by, notice.accept_by_utc)
    assert f"Accept by: {wall} ({utc})." in notice.text()
    assert f'<time datetime="{utc}">{wall}</time>' in notice.html()
    assert utc == program.events(GRANT)[-1].payload["accept_by"]
    _clock(program).move_to(grant.accept_by)
    assert State.ACCEPTED == program.accept(GRANT, EMPLOYER).state  # in time at that instant


@pytest.mark.cite("15(j)")
def test_an_acceptance_one_microsecond_after_the_stated_accept_by_is_refused() -> None:
    at = chicago(2030, 11, 2, 10)
    program = _approved(at)
    program.confirm_notice(GRANT, ACTORS.department, channel="email", confirmed_at=at)
    _clock(program).move_to(chicago(2030, 11, 4, 9).add(microseconds=1))
    with pytest.raises(TransitionRefused, match="acceptance window closed"):
        program.accept(GRANT, EMPLOYER)


# -- escaping ------------------------------------------------------------------------


@pytest.mark.cite("15(i)")
def test_the_html_escapes_every_value_and_the_text_keeps_them_as_they_are() -> None:
    name = "<script>alert('x')</script> & Sons"
    program = _approved(START, legal_name=name)
    address = '1 "Main" St <b>bold</b>'
    program.change_contact(
        "E1", ACTORS.department, reason="moved", address_of_record=address,
        email='"><img src=x onerror=alert(1)>@evil.example',
    )  # fmt: skip
    notice = program.notice_of_award(GRANT)
    html = notice.html()
    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>bold" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Sons" in html
    assert "1 &#34;Main&#34; St &lt;b&gt;bold&lt;/b&gt;" in html
    assert f"To: {name} (employer E1)" in notice.text()


# -- where a notice goes (15(i)) ----------------------------------------------------


@pytest.mark.cite("15(i)")
def test_an_email_changed_before_approval_receives_the_notice(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    changed = cw_program.change_contact(
        "E1", cw_actors.employer("E1"), reason="new grants inbox", email="awards@e1.example.org"
    )
    assert "awards@e1.example.org" == changed.email
    event = cw_program.events("employer:E1")[-1]
    assert EventType.CONTACT_CHANGED == event.type
    assert {"email": "grants@e1.example.org"} == event.payload["previous"]
    assert {"email": "awards@e1.example.org"} == event.payload["contact"]
    assert "new grants inbox" == event.payload["reason"]
    cw_program.open_cycle(1, cw_actors.director, appropriation="100000.00")
    cw_program.approve(GRANT, "25000.00", cw_actors.director)
    notice = cw_program.notice_of_award(GRANT)
    assert "awards@e1.example.org" == notice.email
    assert "Email: awards@e1.example.org" in notice.text()
    cw_program.send_notice(GRANT, cw_actors.department, channel="email")
    sent = cw_program.events(GRANT)[-1]
    assert (EventType.NOTICE_SENT, "email", "awards@e1.example.org") == (
        sent.type,
        sent.payload["channel"],
        sent.payload["to"],
    )
    assert (notice.digest(), TEMPLATE) == (sent.payload["sha256"], sent.payload["template"])


@pytest.mark.cite("15(i)")
def test_a_change_after_sending_leaves_the_recorded_notice_as_it_was() -> None:
    program = _approved(START)
    program.send_notice(GRANT, ACTORS.department, channel="address_of_record")
    first = program.events(GRANT)[-1]
    old_address = program.employer("E1").address_of_record
    assert old_address == first.payload["to"]
    program.change_contact(
        "E1", ACTORS.department, reason="moved", address_of_record="9 New Rd, Peoria, IL",
        email="new@e1.example.org",
    )  # fmt: skip
    assert first == program.events(GRANT)[first.version - 1]
    assert old_address == program.events(GRANT)[first.version - 1].payload["to"]
    assert first.payload["sha256"] != program.notice_of_award(GRANT).digest()
    program.send_notice(GRANT, ACTORS.department, channel="address_of_record")
    assert "9 New Rd, Peoria, IL" == program.events(GRANT)[-1].payload["to"]
    program.confirm_notice(
        GRANT, ACTORS.department, channel="email", confirmed_at=program.clock.now()
    )
    confirmed = program.events(GRANT)[-1]
    assert (EventType.NOTICE_CONFIRMED, "new@e1.example.org") == (
        confirmed.type,
        confirmed.payload["to"],
    )


@pytest.mark.cite("15(i)")
def test_a_notice_is_sent_after_approval_by_a_known_channel_by_the_department() -> None:
    program = Program(clock=ManualClock(START))
    register_and_apply(program, "E1")
    with pytest.raises(TransitionRefused, match="applied"):
        program.send_notice(GRANT, ACTORS.department, channel="email")
    program.open_cycle(1, ACTORS.director, appropriation="100000.00")
    program.approve(GRANT, "25000.00", ACTORS.director)
    with pytest.raises(TransitionRefused, match="unknown notice channel 'fax'"):
        program.send_notice(GRANT, ACTORS.department, channel="fax")
    for actor in (ACTORS.director, EMPLOYER):
        with pytest.raises(NotPermitted):
            program.send_notice(GRANT, actor, channel="email")
    assert EventType.APPROVED == program.events(GRANT)[-1].type


@pytest.mark.cite("15(i)")
def test_a_contact_change_is_refused_without_reason_for_others_or_with_a_bad_email(
    cw_program: Program, cw_actors: Actors
) -> None:
    register_and_apply(cw_program, "E1")
    register_and_apply(cw_program, "E2")
    before = cw_program.employer("E1")
    with pytest.raises(NotPermitted):
        cw_program.change_contact("E1", cw_actors.employer("E2"), reason="r", email="a@b.org")
    with pytest.raises(NotPermitted):
        cw_program.change_contact("E1", cw_actors.evaluator, reason="r", email="a@b.org")
    with pytest.raises(InvalidInput, match="reason"):
        cw_program.change_contact("E1", cw_actors.department, reason=" ", email="a@b.org")
    with pytest.raises(InvalidInput, match="no @"):
        cw_program.change_contact("E1", cw_actors.department, reason="r", email="nobody")
    with pytest.raises(InvalidInput, match="nothing to change"):
        cw_program.change_contact("E1", cw_actors.department, reason="r")
    with pytest.raises(InvalidInput, match="non-empty"):
        cw_program.change_contact("E1", cw_actors.department, reason="r", address_of_record=" ")
    assert before == cw_program.employer("E1")
    assert [EventType.EMPLOYER_REGISTERED] == [e.type for e in cw_program.events("employer:E1")]
