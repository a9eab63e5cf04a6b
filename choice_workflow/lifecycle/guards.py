"""The guards of the transition table: pure predicates that return refusals.

Each takes ``(grant, command, context, rules, now)`` and yields a
:class:`~choice_workflow.errors.Problem` for every reason the command may not go ahead,
with the Act's cites, a reason and a hint. No I/O, no clock reads, no side effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import pendulum

from choice_workflow.errors import Problem, Severity
from choice_workflow.events import format_instant
from choice_workflow.rules import AwardCounts
from choice_workflow.time.calendar import (
    cycle_two_earliest,
    first_award_instant,
    transition_start_window,
)
from choice_workflow.time.instants import ensure_instant, zone

if TYPE_CHECKING:
    from choice_workflow.lifecycle.context import Command, Context
    from choice_workflow.lifecycle.grant import Grant
    from choice_workflow.rules import Rules

NOTICE_CHANNELS = ("address_of_record", "email")
"""15(i): the two ways a notice of approval can be confirmed."""


def _local(instant: pendulum.DateTime, rules: Rules) -> str:
    """An instant on the Rules' wall clock, with microseconds only where there are some."""
    pattern = "YYYY-MM-DD HH:mm:ss.SSSSSS zz" if instant.microsecond else "YYYY-MM-DD HH:mm:ss zz"
    return instant.in_timezone(zone(rules.timezone)).format(pattern)


def applications_open(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f): a cycle takes applications until its application window closes."""
    cycle = command.params.get("cycle")
    if not isinstance(cycle, int) or isinstance(cycle, bool) or not 1 <= cycle <= rules.cycles:
        yield Problem(
            ("15(f)",),
            f"there is no grant cycle {cycle!r}",
            f"Apply to a cycle from 1 to {rules.cycles}.",
            "cycle",
        )
        return
    close = context.applications_close
    if close is not None and now > close:
        yield Problem(
            ("15(f)",),
            f"cycle {cycle} stopped taking applications at {_local(ensure_instant(close), rules)}",
            "Apply to the next cycle.",
            "cycle",
        )


def award_date_reached(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): no grant is awarded before July 1, 2030 (America/Chicago)."""
    first = first_award_instant(rules)
    if now < first:
        yield Problem(
            ("15(a)",),
            f"grants are awarded on and after {_local(first, rules)}; it is {_local(now, rules)}",
            "Approve on or after the first award date.",
        )


def cycle_timing(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f): two cycles; cycle-2 awards not before cycle 1's opening plus 2 years."""
    if grant is None:
        return
    if not 1 <= grant.cycle <= rules.cycles:
        yield Problem(
            ("15(f)",),
            f"the Act provides {rules.cycles} grant cycles; this grant is in cycle {grant.cycle}",
            "Assign the application to cycle 1 or 2.",
        )
        return
    if grant.cycle == 2:
        opening = context.cycle_one_opening or first_award_instant(rules)
        earliest = cycle_two_earliest(opening, rules)
        if now < earliest:
            yield Problem(
                ("15(f)",),
                f"cycle-2 grants are awarded not before {_local(earliest, rules)} "
                f"(cycle 1's opening plus {rules.second_cycle_after_years} years)",
                "Wait for the end of the second year of the first cycle.",
            )
    # An opening on the first award date is award_date_reached's refusal already.
    own = context.cycle_opening
    if own is not None and own > first_award_instant(rules) and now < own:
        yield Problem(
            ("15(f)",),
            f"cycle {grant.cycle} opens at {_local(ensure_instant(own), rules)}",
            "Approve once the cycle has opened.",
        )


def system_approves_referrals_only(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): the system approves only the next applicant, and only under the Rules'
    automatic reading; every other approval is the Director's."""
    from choice_workflow.actors import Role

    if command.actor.role is not Role.SYSTEM:
        return
    if not rules.auto_approve_next or grant is None or grant.referred_from is None:
        yield Problem(
            ("15(j)", "15(a)"),
            "only the Director approves, except a referred next applicant under the automatic reading",
            "Ask the Director to approve.",
        )


def separation_of_duties(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """Separation of duties (NIST SP 800-53 AC-5): whoever reviewed the application
    does not approve it (Rules.reviewer_cannot_approve)."""
    if (
        rules.reviewer_cannot_approve
        and grant is not None
        and grant.reviewed_by == command.actor.id
    ):
        yield Problem(
            ("15(a)",),
            f"{command.actor.id} reviewed this application and may not also approve it",
            "Another Director approves (separation of duties).",
            "actor",
        )


def dual_authorization(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """Dual authorization (NIST SP 800-53 AC-3(2)): an approval above
    Rules.dual_authorization_above needs another Director's endorsement of that amount."""
    limit = rules.dual_authorization_above
    amount = command.params.get("amount")
    if limit is None or grant is None or not isinstance(amount, Decimal) or amount <= limit:
        return
    if grant.endorsed_amount != amount or grant.endorsed_by in (None, command.actor.id):
        yield Problem(
            ("15(a)", "15(h)"),
            f"${amount:,.2f} is above ${limit:,.2f}: a second Director must endorse this amount first",
            "Another Director runs endorse(grant, amount), then this approval.",
            "amount",
        )


def disbursement_due(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f): instalments are paid in order, each from the start of its part of the
    3-year period, in the amounts of the schedule."""
    from choice_workflow.allocation import disbursement_schedule
    from choice_workflow.rules import PeriodStart

    if grant is None or grant.amount is None:
        return
    schedule = disbursement_schedule(grant.amount, rules)
    k = grant.instalments + 1
    if k > len(schedule):
        yield Problem(("15(f)",), "every instalment has been paid", "Nothing more is due.")
        return
    start = (
        grant.accepted_at
        if rules.grant_period_starts is PeriodStart.ACCEPTANCE
        else grant.approved_at
    )
    if start is None:
        yield Problem(("15(f)",), "the grant period has not started", "Pay after the acceptance.")
        return
    months = rules.grant_period_years * 12 * (k - 1) // len(schedule)
    due = start.in_timezone(zone(rules.timezone)).add(months=months)
    if now < due:
        yield Problem(
            ("15(f)",),
            f"instalment {k} is due from {_local(due, rules)}",
            "Pay each instalment from the start of its quarter.",
        )
    amount = command.params.get("amount")
    if amount != schedule[k - 1]:
        yield Problem(
            ("15(f)", "15(a)"),
            f"instalment {k} is ${schedule[k - 1]:,.2f}, not {amount}",
            "Pay the scheduled amount.",
            "amount",
        )


def amount_within_bounds(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(h): at least $10,000 and at most $50,000 for the 3-year period."""
    amount: Decimal = command.params["amount"]
    if not rules.min_award <= amount <= rules.max_award:
        yield Problem(
            ("15(h)",),
            f"${amount:,.2f} is outside ${rules.min_award:,.2f} - ${rules.max_award:,.2f}",
            "Approve an amount within the bounds of 15(h).",
            "amount",
        )


def funds_available(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): "subject to appropriation": no approval beyond the funds left."""
    if context.funds_available is None:
        cycle = "its cycle" if grant is None else f"cycle {grant.cycle}"
        yield Problem(
            ("15(a)", "15(f)"),
            f"{cycle} has not been opened with an appropriation",
            "The Director opens the cycle and sets its appropriation first (open_cycle).",
        )
        return
    amount: Decimal = command.params["amount"]
    if amount > context.funds_available:
        yield Problem(
            ("15(a)",),
            f"${amount:,.2f} exceeds the ${context.funds_available:,.2f} the cycle has left",
            "Approve a smaller amount or wait for released funds.",
            "amount",
        )


def one_grant_per_employer(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(g), 10(3): one grant per employer, across both cycles, per the Rules reading."""
    for prior in context.prior_grants:
        if grant is not None and prior.grant_id == grant.id:
            continue
        counts = prior.approved if rules.award_counts is AwardCounts.APPROVED else prior.accepted
        if counts:
            what = "approved" if rules.award_counts is AwardCounts.APPROVED else "accepted"
            yield Problem(
                ("15(g)", "10(3)"),
                f"the employer already received grant {prior.grant_id} ({what})",
                "An employer may only be awarded one grant; deny this application.",
            )


def employer_eligible(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """10: the employer is eligible at the instant of approval ("currently", 10(2))."""
    from choice_workflow.domain.eligibility import check_eligibility

    if context.employer is None:
        yield Problem(
            ('10 "Eligible employer"',),
            "the employer is not registered",
            "Register the employer with its certificate before approval.",
        )
        return
    # 10(3) is judged by one_grant_per_employer from the same snapshot.
    result = check_eligibility(context.employer, at=now, rules=rules, prior_grants=())
    yield from (p for p in result.problems if p.severity is Severity.ERROR)


def application_complete(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(b): the application holds every item, consistently."""
    from choice_workflow.domain.application import validate_application

    if context.application is None:
        yield Problem(("15(b)",), "no application is on record", "Apply first.")
        return
    if context.application_checked:
        return  # judged complete, as of its submission, with these very inputs
    # The application is judged as of its submission: its "previous 5 fiscal years"
    # (15(b)(5), (6)) and its dates do not go stale while it waits for a decision.
    submitted = now if grant is None else grant.applied_at
    problems = validate_application(
        context.application,
        employer=context.employer,
        at=submitted,
        rules=rules,
        required_other=context.required_other,
    )
    yield from (p for p in problems if p.severity is Severity.ERROR)


def notice_not_yet_confirmed(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): the window runs from the first confirmed notice; it cannot be restarted."""
    if grant is not None and grant.notice_us is not None:
        yield Problem(
            ("15(j)", "15(i)"),
            f"the notice was already confirmed at {_local(grant.notice_confirmed_at, rules)}",  # type: ignore[arg-type]  # not None here
            "A second confirmation would move the 48-hour window; correct the first instead.",
        )


def confirmation_plausible(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): confirmed by address of record or email, not before approval nor in the future."""
    channel = command.params["channel"]
    confirmed_at: pendulum.DateTime = command.params["confirmed_at"]
    if channel not in NOTICE_CHANNELS:
        yield Problem(
            ("15(i)",),
            f"unknown notice channel {channel!r}",
            f"Use one of {', '.join(NOTICE_CHANNELS)}.",
            "channel",
        )
    if confirmed_at > now:
        yield Problem(
            ("15(i)",),
            f"the confirmation instant {_local(confirmed_at, rules)} is in the future",
            "Record a confirmation once it has happened.",
            "confirmed_at",
        )
    if grant is not None and grant.approved_us is not None and confirmed_at < grant.approved_at:  # type: ignore[operator]  # approved_us set
        yield Problem(
            ("15(i)",),
            f"the confirmation instant {_local(confirmed_at, rules)} precedes the approval",
            "A notice of approval is confirmed after the approval.",
            "confirmed_at",
        )


def within_acceptance_window(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): acceptance within 48 hours; at exactly ``accept_by`` is in time."""
    if grant is not None and grant.accept_by_us is not None and now > grant.accept_by:  # type: ignore[operator]  # set
        yield Problem(
            ("15(j)",),
            f"the acceptance window closed at {_local(grant.accept_by, rules)}"  # type: ignore[arg-type]  # set
            f" ({format_instant(grant.accept_by)}); it is {_local(now, rules)}",  # type: ignore[arg-type]  # set
            "The grant returns to the State for the next applicant; it can no longer be accepted.",
        )


def acceptance_window_passed(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): only an approval whose window has closed is forfeited."""
    if grant is None or grant.accept_by_us is None:
        yield Problem(
            ("15(j)",), "the acceptance window has not started", "Confirm the notice first."
        )
    elif now <= grant.accept_by:  # type: ignore[operator]  # set
        yield Problem(
            ("15(j)",),
            f"the acceptance window is open until {_local(grant.accept_by, rules)}",  # type: ignore[arg-type]  # set
            "Forfeit only after the window has closed.",
        )


def notice_confirmed(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): the transition may begin upon confirmation of approval."""
    if grant is not None and grant.notice_us is None:
        yield Problem(
            ("15(i)",),
            "the notice of approval has not been confirmed",
            "Record the confirmation (address of record or email) first.",
        )


def transition_start_in_window(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): the start lies in the window around the confirmed notice, and not ahead."""
    started: pendulum.DateTime = command.params["started_at"]
    if started > now:
        yield Problem(
            ("15(i)",),
            f"the start {_local(started, rules)} is in the future",
            "Record the start once it has happened.",
            "started_at",
        )
    if grant is None or grant.notice_us is None:
        return
    earliest, latest = transition_start_window(grant.notice_confirmed_at, rules)  # type: ignore[arg-type]  # set
    if started < earliest or (latest is not None and started > latest):
        bound = f"from {_local(earliest, rules)}" + (
            f" to {_local(latest, rules)}" if latest is not None else ""
        )
        yield Problem(
            ("15(i)",),
            f"the start {_local(started, rules)} is outside the 15(i) window {bound}",
            "A transition may start in the 48 hours before the confirmed notice, or after it.",
            "started_at",
        )


def records_not_in_the_future(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """20(a)(1), 15(c): records are of what happened: none dated after today."""
    today = now.in_timezone(zone(rules.timezone)).date()
    latest = command.params.get("latest")
    if latest is not None and latest > today:
        yield Problem(
            ("20(a)(1)",),
            f"a record is dated {latest.isoformat()}, after today ({today.isoformat()})",
            "Record wages, counts and performance once they have happened.",
            "records",
        )
    if command.params.get("count") == 0:
        yield Problem(
            ("20(a)(1)",), "there is nothing to record", "Pass at least one record.", "records"
        )


def reason_given(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """A denial, termination, amendment, correction or hold states its reason."""
    reason = command.params.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        yield Problem(
            _REASON_CITES.get(command.name, ('10 "Eligible employer"',)),
            f"{command.name} needs a documented reason",
            "Pass reason='...' stating the cause.",
            "reason",
        )


def description_given(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """90: a technical assistance contact says what was provided."""
    text = command.params.get("description")
    if not isinstance(text, str) or not text.strip():
        yield Problem(
            ("90",),
            "technical assistance needs a description",
            "Say what was provided.",
            "description",
        )


def evaluation_given(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """20(a): an evaluation records findings on wages/employment and compliance actions."""
    evaluation = command.params.get("evaluation")
    if not isinstance(evaluation, dict) or not evaluation:
        yield Problem(
            ("20(a)(1)", "20(a)(2)"),
            "an evaluation needs its findings",
            "Pass evaluation={'wages': ..., 'compliance': ...}.",
            "evaluation",
        )


_REASON_CITES = {
    "terminate": ("15(b)(11)(C)", "15(c)", "15(l)"),
    "amend": ("15(b)",),
    "correct": ("20(a)(1)",),
    "place_hold": ("2 CFR 200.334",),
    "release_hold": ("2 CFR 200.334",),
}


def _type_at(context: Context, version: object) -> str | None:
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    if 1 <= version <= len(context.stream_types):
        return context.stream_types[version - 1]
    return None


def amendment_valid(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(b): an amendment changes something, and not whose application it is."""
    changes = command.params.get("changes")
    if not changes:
        yield Problem(
            ("15(b)",),
            "the amended application changes nothing",
            "Pass the application with the corrected fields.",
            "application",
        )
    application = context.application
    if (
        grant is not None
        and application is not None
        and application.employer_id != grant.employer_id
    ):
        yield Problem(
            ("15(b)",),
            f"an amendment cannot move the application to employer {application.employer_id}",
            f"Keep employer_id {grant.employer_id}; another employer applies on its own.",
            "employer_id",
        )


def correction_valid(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """A correction references an earlier correctable event of the same grant and
    replaces only that event's correctable fields, with data of its kind."""
    from choice_workflow.lifecycle.corrections import (
        CORRECTABLE,
        NOT_CORRECTABLE_HINTS,
        replacement_problems,
    )

    corrects = command.params.get("corrects")
    kind = _type_at(context, corrects)
    if kind is None:
        yield Problem(
            ("20(a)(1)",),
            f"grant {command.grant_id} has no event at version {corrects!r} to correct",
            "Pass corrects=<the version of the event to correct> (Program.events(grant_id)).",
            "corrects",
        )
        return
    fields = CORRECTABLE.get(kind)
    if fields is None:
        yield Problem(
            ("20(a)(1)",),
            f"version {corrects} is a {kind}, which is not corrected by a correction",
            NOT_CORRECTABLE_HINTS.get(kind, f"Correctable: {', '.join(sorted(CORRECTABLE))}."),
            "corrects",
        )
        return
    replaced = command.params.get("fields") or ()
    extra = sorted(set(replaced) - set(fields))
    if not replaced or extra:
        yield Problem(
            ("20(a)(1)",),
            f"a correction of a {kind} replaces {', '.join(fields)}"
            + (f", not {', '.join(extra)}" if extra else "; nothing was given"),
            f"Pass the corrected {' or '.join(fields)}.",
            "replacement",
        )
    replacement = command.params.get("replacement")
    if isinstance(replacement, dict) and not extra:
        for reason in replacement_problems(kind, replacement):
            yield Problem(
                ("20(a)(1)",),
                reason,
                f"Pass the corrected {' or '.join(fields)} of the {kind}.",
                "replacement",
            )
    # Who may correct a kind of fact (the role that records it) is a permission,
    # checked by the Program (NotPermitted, logged) and by verify (not_permitted).
    yield from records_not_in_the_future(grant, command, context, rules, now)


def notice_channel_known(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): a notice goes by address of record or by email, to the one in force."""
    channel = command.params.get("channel")
    if channel not in NOTICE_CHANNELS:
        yield Problem(
            ("15(i)",),
            f"unknown notice channel {channel!r}",
            f"Use one of {', '.join(NOTICE_CHANNELS)}.",
            "channel",
        )
        return
    if context.employer is None or not str(getattr(context.employer, channel, "")).strip():
        yield Problem(
            ("15(i)",),
            f"the employer has no {channel.replace('_', ' ')} on record",
            "Record it with Program.change_contact first.",
            "channel",
        )


def termination_cause(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """A termination names its cause; a performance or wage-floor cause cites the
    recorded performance (15(c)) or wages (15(l)) it rests on."""
    from choice_workflow.lifecycle.corrections import CAUSE_CITES, CAUSE_EVIDENCE, Cause

    try:
        cause = Cause(str(command.params.get("cause")))
    except ValueError:
        yield Problem(
            ("15(b)(11)",),
            f"unknown termination cause {command.params.get('cause')!r}",
            f"Use one of {', '.join(c.value for c in Cause)}.",
            "cause",
        )
        return
    needed = CAUSE_EVIDENCE.get(cause)
    evidence = command.params.get("evidence") or ()
    for version in evidence:
        kind = _type_at(context, version)
        if kind is None or (needed is not None and kind != needed):
            yield Problem(
                CAUSE_CITES[cause],
                f"evidence version {version!r} is not a recorded {needed or 'event'} of the grant",
                "Cite the versions of the grant's events the cause rests on.",
                "evidence",
            )
    if needed is not None and not evidence:
        yield Problem(
            CAUSE_CITES[cause],
            f"a termination for {cause.value.replace('_', ' ')} cites the recorded {needed} it rests on",
            f"Pass evidence=(<version of a {needed}>, ...).",
            "evidence",
        )


def repayment_ordered_within_paid(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): a receivable is at most what was paid out of the grant."""
    repay = command.params.get("repay")
    if repay is None or grant is None:
        return
    if repay < 0 or repay > grant.disbursed:
        yield Problem(
            ("15(a)",),
            f"a receivable of ${repay:,.2f} is outside $0.00-${grant.disbursed:,.2f} paid",
            "Order at most what was disbursed.",
            "repay",
        )


def repayment_within_outstanding(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): a repayment is positive, at most what is still owed, and received after
    the termination and not in the future."""
    amount = command.params.get("amount")
    if grant is None or amount is None:
        return
    received = command.params.get("received_at")
    if received is not None and (
        received > now or (grant.ended_at is not None and received < grant.ended_at)
    ):
        yield Problem(
            ("15(a)",),
            f"a repayment received at {_local(received, rules)} is before the termination "
            "or in the future",
            "Record a repayment once it has been received.",
            "received_at",
        )
    if amount <= 0 or amount > grant.outstanding:
        yield Problem(
            ("15(a)",),
            f"a repayment of ${amount:,.2f} is outside $0.01-${grant.outstanding:,.2f} outstanding",
            "Record what was received, up to the receivable.",
            "amount",
        )


def hold_changes(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """2 CFR 200.334: a hold is placed once and released once."""
    if grant is None:
        return
    placing = command.name == "place_hold"
    if placing == grant.on_hold:
        yield Problem(
            ("2 CFR 200.334",),
            "the grant's records are already on hold"
            if placing
            else "the grant's records are not on hold",
            "Check Program.retention(grant_id) first.",
        )


def closeout_complete(
    grant: Grant | None, command: Command, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f), 20(a): close-out once the 3-year period has ended and the final
    disbursement, the final wage report and the evaluation are recorded; every missing
    one is named."""
    from choice_workflow.lifecycle.states import State
    from choice_workflow.rules import PeriodStart
    from choice_workflow.time.calendar import grant_period_end

    if grant is None:
        return
    start = (
        grant.accepted_at
        if rules.grant_period_starts is PeriodStart.ACCEPTANCE
        else grant.approved_at
    )
    if start is None:
        yield Problem(("15(f)",), "the grant period never started", "Close out an accepted grant.")
    else:
        end = grant_period_end(start, rules)
        if now < end:
            yield Problem(
                ("15(f)",),
                f"the 3-year grant period runs until {_local(end, rules)}",
                "Close out at the end of the grant period.",
            )
    if grant.instalments < rules.disbursement_quarters or (
        grant.amount is not None and grant.disbursed < grant.amount
    ):
        yield Problem(
            ("15(f)", "15(a)"),
            f"the final disbursement is missing: {grant.instalments} of "
            f"{rules.disbursement_quarters} instalments paid",
            "Disburse the remaining instalments first.",
        )
    if grant.final_wages_version is None:
        yield Problem(
            ("20(a)(1)",),
            "the final wage report is missing",
            "The grantee records its last wages with final=True.",
        )
    if grant.state is State.TRANSITIONING:
        yield Problem(
            ("20(a)(1)", "20(a)(2)"),
            "the evaluation is missing",
            "The evaluator records the evaluation first.",
        )
    unspent = command.params.get("unspent")
    if unspent is not None and (unspent < 0 or unspent > grant.disbursed - grant.repaid):
        yield Problem(
            ("15(a)",),
            f"unspent funds of ${unspent:,.2f} are outside "
            f"$0.00-${grant.disbursed - grant.repaid:,.2f} paid and kept",
            "Return at most what the grant was paid.",
            "unspent",
        )
