"""The guards of an award and what follows it: the notice, the acceptance window, the
transition, recorded facts and their corrections, termination, repayments, holds and
close-out. Pure predicates that return refusals, like :mod:`~choice_workflow.lifecycle.guards`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pendulum

from choice_workflow.domain import application as _application
from choice_workflow.domain.cycle import period_start
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import dollar_text
from choice_workflow.domain.state import State
from choice_workflow.errors import Problem
from choice_workflow.events import canonical_json, format_instant, no_floats
from choice_workflow.lifecycle.context import Context
from choice_workflow.lifecycle.corrections import (
    CAUSE_CITES,
    CAUSE_EVIDENCE,
    CORRECTABLE,
    NOT_CORRECTABLE_HINTS,
    Cause,
    replacement_problems,
)
from choice_workflow.lifecycle.guards import NOTICE_CHANNELS, local
from choice_workflow.rules import Rules
from choice_workflow.time.calendar import grant_period_end, transition_start_window
from choice_workflow.time.instants import zone


def notice_not_yet_confirmed(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): the window runs from the first confirmed notice; it cannot be restarted."""
    if grant is not None and grant.notice_us is not None:
        yield Problem(
            ("15(j)", "15(i)"),
            f"the notice was already confirmed at {local(grant.notice_confirmed_at, rules)}",  # type: ignore[arg-type]  # not None here
            "A second confirmation would move the 48-hour window; correct the first instead.",
        )


def confirmation_plausible(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): confirmed by address of record or email, not before approval nor in the future."""
    channel = command.channel
    confirmed_at: pendulum.DateTime = command.confirmed_at
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
            f"the confirmation instant {local(confirmed_at, rules)} is in the future",
            "Record a confirmation once it has happened.",
            "confirmed_at",
        )
    if grant is not None and grant.approved_us is not None and confirmed_at < grant.approved_at:  # type: ignore[operator]  # approved_us set
        yield Problem(
            ("15(i)",),
            f"the confirmation instant {local(confirmed_at, rules)} precedes the approval",
            "A notice of approval is confirmed after the approval.",
            "confirmed_at",
        )


def within_acceptance_window(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): acceptance within 48 hours; at exactly ``accept_by`` is in time."""
    if grant is not None and grant.accept_by_us is not None and now > grant.accept_by:  # type: ignore[operator]  # set
        yield Problem(
            ("15(j)",),
            f"the acceptance window closed at {local(grant.accept_by, rules)}"  # type: ignore[arg-type]  # set
            f" ({format_instant(grant.accept_by)}); it is {local(now, rules)}",  # type: ignore[arg-type]  # set
            "The grant returns to the State for the next applicant; it can no longer be accepted.",
        )


def acceptance_window_passed(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(j): only an approval whose window has closed is forfeited."""
    if grant is None or grant.accept_by_us is None:
        yield Problem(
            ("15(j)",), "the acceptance window has not started", "Confirm the notice first."
        )
    elif now <= grant.accept_by:  # type: ignore[operator]  # set
        yield Problem(
            ("15(j)",),
            f"the acceptance window is open until {local(grant.accept_by, rules)}",  # type: ignore[arg-type]  # set
            "Forfeit only after the window has closed.",
        )


def notice_confirmed(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): the transition may begin upon confirmation of approval."""
    if grant is not None and grant.notice_us is None:
        yield Problem(
            ("15(i)",),
            "the notice of approval has not been confirmed",
            "Record the confirmation (address of record or email) first.",
        )


def transition_start_in_window(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): the start lies in the window around the confirmed notice, and not ahead."""
    started: pendulum.DateTime = command.started_at
    if started > now:
        yield Problem(
            ("15(i)",),
            f"the start {local(started, rules)} is in the future",
            "Record the start once it has happened.",
            "started_at",
        )
    if grant is None or grant.notice_us is None:
        return
    earliest, latest = transition_start_window(grant.notice_confirmed_at, rules)  # type: ignore[arg-type]  # set
    if started < earliest or (latest is not None and started > latest):
        bound = f"from {local(earliest, rules)}" + (
            f" to {local(latest, rules)}" if latest is not None else ""
        )
        yield Problem(
            ("15(i)",),
            f"the start {local(started, rules)} is outside the 15(i) window {bound}",
            "A transition may start in the 48 hours before the confirmed notice, or after it.",
            "started_at",
        )


def records_not_in_the_future(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """20(a)(1), 15(c): records are of what happened: none dated after today."""
    today = now.in_timezone(zone(rules.timezone)).date()
    latest = getattr(command, "latest", None)
    if latest is not None and latest > today:
        yield Problem(
            ("20(a)(1)",),
            f"a record is dated {latest.isoformat()}, after today ({today.isoformat()})",
            "Record wages, counts and performance once they have happened.",
            "records",
        )
    if getattr(command, "count", None) == 0:
        yield Problem(
            ("20(a)(1)",), "there is nothing to record", "Pass at least one record.", "records"
        )


def reason_given(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """A denial, termination, amendment, correction or hold states its reason."""
    reason = getattr(command, "reason", None)
    if not isinstance(reason, str) or not reason.strip():
        yield Problem(
            _REASON_CITES.get(command.name, ('10 "Eligible employer"',)),
            f"{command.name} needs a documented reason",
            "Pass reason='...' stating the cause.",
            "reason",
        )


def description_given(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """90: a technical assistance contact says what was provided."""
    text = getattr(command, "description", None)
    if not isinstance(text, str) or not text.strip():
        yield Problem(
            ("90",),
            "technical assistance needs a description",
            "Say what was provided.",
            "description",
        )


def evaluation_given(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """20(a): an evaluation records findings on wages/employment and compliance actions."""
    evaluation = getattr(command, "evaluation", None)
    if isinstance(evaluation, dict) and evaluation and not _plain(evaluation):
        yield Problem(
            ("20(a)(1)", "20(a)(2)"),
            "the evaluation is not plain JSON data: no floats, no integers beyond 2^53",
            "Use str, int, bool, None, lists and dicts; amounts as strings.",
            "evaluation",
        )
    elif not isinstance(evaluation, dict) or not evaluation:
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


def _plain(value: object) -> bool:
    """True when ``value`` is JSON the log can hold (RFC 8785: no floats, integers within
    2^53)."""
    try:
        no_floats(value)
        canonical_json(value)
    except (TypeError, ValueError):
        return False
    return True


def _type_at(context: Context, version: object) -> str | None:
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    if 1 <= version <= len(context.stream_types):
        return context.stream_types[version - 1]
    return None


def amendment_valid(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(b): an amendment changes something, and not whose application it is."""
    changes = _application.application_changes(context.previous_application, context.application)
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
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """A correction references an earlier correctable event of the same grant and
    replaces only that event's correctable fields, with data of its kind."""
    corrects = getattr(command, "corrects", None)
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
    replaced = getattr(command, "fields", None) or ()
    extra = sorted(set(replaced) - set(fields))
    if not replaced or extra:
        yield Problem(
            ("20(a)(1)",),
            f"a correction of a {kind} replaces {', '.join(fields)}"
            + (f", not {', '.join(extra)}" if extra else "; nothing was given"),
            f"Pass the corrected {' or '.join(fields)}.",
            "replacement",
        )
    replacement = getattr(command, "replacement", None)
    if isinstance(replacement, Mapping) and not extra:
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
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(i): a notice goes by address of record or by email, to the one in force."""
    channel = getattr(command, "channel", None)
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
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """A termination names its cause; a performance or wage-floor cause cites the
    recorded performance (15(c)) or wages (15(l)) it rests on."""
    try:
        cause = Cause(str(getattr(command, "cause", None)))
    except ValueError:
        yield Problem(
            ("15(b)(11)",),
            f"unknown termination cause {getattr(command, 'cause', None)!r}",
            f"Use one of {', '.join(c.value for c in Cause)}.",
            "cause",
        )
        return
    needed = CAUSE_EVIDENCE.get(cause)
    evidence = getattr(command, "evidence", None) or ()
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
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): a receivable is at most what was paid out of the grant."""
    repay = getattr(command, "repay", None)
    if repay is None or grant is None:
        return
    if repay < 0 or repay > grant.disbursed:
        yield Problem(
            ("15(a)",),
            f"a receivable of {dollar_text(repay)} is outside $0.00-{dollar_text(grant.disbursed)} paid",
            "Order at most what was disbursed.",
            "repay",
        )


def repayment_within_outstanding(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(a): a repayment is positive, at most what is still owed, and received after
    the termination and not in the future."""
    amount = getattr(command, "amount", None)
    if grant is None or amount is None:
        return
    received = getattr(command, "received_at", None)
    if received is not None and (
        received > now or (grant.ended_at is not None and received < grant.ended_at)
    ):
        yield Problem(
            ("15(a)",),
            f"a repayment received at {local(received, rules)} is before the termination "
            "or in the future",
            "Record a repayment once it has been received.",
            "received_at",
        )
    if amount <= 0 or amount > grant.outstanding:
        yield Problem(
            ("15(a)",),
            f"a repayment of {dollar_text(amount)} is outside $0.01-{dollar_text(grant.outstanding)} outstanding",
            "Record what was received, up to the receivable.",
            "amount",
        )


def hold_changes(
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
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
    grant: Grant | None, command: Any, context: Context, rules: Rules, now: pendulum.DateTime
) -> Iterator[Problem]:
    """15(f), 20(a): close-out once the 3-year period has ended and the final
    disbursement, the final wage report and the evaluation are recorded; every missing
    one is named."""
    if grant is None:
        return
    start = period_start(grant, rules)
    if start is None:
        yield Problem(("15(f)",), "the grant period never started", "Close out an accepted grant.")
    else:
        end = grant_period_end(start, rules)
        if now < end:
            yield Problem(
                ("15(f)",),
                f"the 3-year grant period runs until {local(end, rules)}",
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
    unspent = getattr(command, "unspent", None)
    if unspent is not None and (unspent < 0 or unspent > grant.disbursed - grant.repaid):
        yield Problem(
            ("15(a)",),
            f"unspent funds of {dollar_text(unspent)} are outside "
            f"$0.00-{dollar_text(grant.disbursed - grant.repaid)} paid and kept",
            "Return at most what the grant was paid.",
            "unspent",
        )
