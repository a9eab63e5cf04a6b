"""The Program's commands on a grant's records and after its award: wages, head counts,
performance, corrections, the evaluation, termination, repayments, close-out and the
holds on record retention (20(a), 15(c), 15(l), 15(a), 15(f), 2 CFR 200.334). Each
builds its typed command and runs it like every other command of the facade."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from choice_workflow.commands import (
    CloseOut,
    Correct,
    Evaluate,
    PlaceHold,
    RecordHeadcount,
    RecordPerformance,
    RecordRepayment,
    RecordWages,
    ReleaseHold,
    Terminate,
)
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.grant import Grant
from choice_workflow.domain.money import to_money
from choice_workflow.domain.performance import PerformanceRecord
from choice_workflow.domain.wages import Headcount, WageRecord
from choice_workflow.errors import TransitionRefused
from choice_workflow.events import Event, EventType
from choice_workflow.lifecycle.corrections import Cause, effective_records
from choice_workflow.service import inputs
from choice_workflow.time.instants import ensure_instant


class AfterAward:
    """The records and after-award side of :class:`~choice_workflow.service.program.Program`."""

    if TYPE_CHECKING:  # the Program's own, for mypy

        def run(self, command: object, actor: Actor, *, command_id: str | None = None) -> Any: ...
        def events(
            self, stream_id: str, *, after: int = 0, limit: int | None = None
        ) -> list[Event]: ...
        def grant(self, grant_id: str) -> Grant: ...
        def computed_evaluation(self, grant_id: str) -> dict[str, object]: ...

    def _grant(self, command: object, actor: Actor, command_id: str | None) -> Grant:
        result: Grant = self.run(command, actor, command_id=command_id)
        return result

    def record_wages(
        self, grant_id: str, actor: Actor, records: Sequence[WageRecord], *, final: bool = False,
        command_id: str | None = None,
    ) -> Grant:  # fmt: skip
        """20(a)(1), 15(l): the grantee records dated hourly wages of pseudonymous
        employees (never names), with their 14(c) baseline and the customary rate.
        ``final=True`` marks the grant's final wage report (close-out needs one)."""
        rows = tuple(inputs.checked(r, WageRecord, "records") for r in records)
        command = RecordWages(grant_id, rows, inputs.checked(final, bool, "final"))
        return self._grant(command, actor, command_id)

    def record_headcount(
        self, grant_id: str, actor: Actor, headcount: Headcount, *, command_id: str | None = None
    ) -> Grant:
        """20(a)(1): the grantee records a quarter's employment counts."""
        row = inputs.checked(headcount, Headcount, "headcount")
        return self._grant(RecordHeadcount(grant_id, row), actor, command_id)

    def record_performance(
        self,
        grant_id: str,
        actor: Actor,
        records: Sequence[PerformanceRecord],
        *,
        command_id: str | None = None,
    ) -> Grant:
        """15(c): the evaluator records standard level work performance: durations of
        task completion, mental health breaks and physical health breaks."""
        rows = tuple(inputs.checked(r, PerformanceRecord, "records") for r in records)
        return self._grant(RecordPerformance(grant_id, rows), actor, command_id)

    def correct(
        self, grant_id: str, actor: Actor, *, corrects: int, reason: str,
        wages: Sequence[WageRecord] | None = None, final: bool | None = None,
        headcount: Headcount | None = None, performance: Sequence[PerformanceRecord] | None = None,
        description: str | None = None, notes: str | None = None,
        evaluation: Mapping[str, Any] | None = None, command_id: str | None = None,
    ) -> Grant:  # fmt: skip
        """Correct a recorded fact by a new event that references it (``corrects``: the
        version of the event, see :meth:`events`), with the actor and the reason. Pass
        the corrected field(s) of that event: ``wages`` (and/or ``final``) for a wage
        report, ``headcount``, ``performance``, ``description`` for technical
        assistance, ``notes`` for a review, ``evaluation`` for an evaluation. Nothing is
        edited: both events stay in the log; readers apply the correction."""
        replacement = inputs.replacement(
            wages=wages, final=final, headcount=headcount, performance=performance,
            description=description, notes=notes, evaluation=evaluation,
        )  # fmt: skip
        return self._grant(Correct(grant_id, corrects, reason, replacement), actor, command_id)

    def reevaluate(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """20(a): correct a grant's recorded evaluation with one computed again from its
        audit trail as it now stands (after corrections of its wages, counts or
        performance). The evaluator only; both evaluations stay in the log."""
        found = effective_records(self.events(self.grant(grant_id).id), EventType.EVALUATED)
        if not found:
            raise TransitionRefused(
                command="correct", grant_id=grant_id,
                problems=[inputs.problem("20(a)(1)", "the grant has no evaluation to correct", "Evaluate it first.")],
            )  # fmt: skip
        return self.correct(
            grant_id, actor, corrects=found[-1].event.version, reason=reason,
            evaluation=self.computed_evaluation(grant_id), command_id=command_id,
        )  # fmt: skip

    def evaluate(
        self,
        grant_id: str,
        actor: Actor,
        *,
        evaluation: Mapping[str, Any] | None = None,
        command_id: str | None = None,
    ) -> Grant:
        """20(a): record the evaluation of a transitioning grantee and move it to
        evaluated. Without ``evaluation``, it is computed from the grant's audit trail:
        the change in wages and employment of employees with disabilities (20(a)(1)) and
        the actions taken to comply with Section 15 (20(a)(2))."""
        data = (
            self.computed_evaluation(grant_id) if evaluation is None else inputs.plain(evaluation)
        )
        return self._grant(Evaluate(grant_id, data), actor, command_id)

    def terminate(
        self, grant_id: str, actor: Actor, *, reason: str, cause: Cause | str = Cause.OTHER,
        repay: Decimal | str | int | None = None, evidence: Sequence[int] = (),
        command_id: str | None = None,
    ) -> Grant:  # fmt: skip
        """The Director terminates a grant: for a false assurance (15(b)(11)(C)), for
        failing the standard level work performance (15(c)) or the wage floors (15(l)),
        citing the recorded events it rests on (``evidence``: their versions), or for
        other documented cause. The undisbursed amount returns to the cycle (and to the
        next applicant of the queue, 15(j)); ``repay`` records what the grantee must pay
        back as a receivable. The certificate is left as it is (15(m))."""
        owed = None if repay is None else to_money(repay, "repay", ("15(a)",))
        command = Terminate(grant_id, reason, str(cause), owed, tuple(evidence))
        return self._grant(command, actor, command_id)

    def record_repayment(
        self, grant_id: str, amount: Decimal | str | int, actor: Actor, *,
        received_at: dt.datetime | None = None, command_id: str | None = None,
    ) -> Grant:  # fmt: skip
        """15(a): the Department records a repayment of a terminated grant's receivable;
        the amount returns to the cycle's funds."""
        value = to_money(amount, "amount", ("15(a)",))
        received = (
            None if received_at is None else ensure_instant(received_at, "received_at", "15(a)")
        )
        return self._grant(RecordRepayment(grant_id, value, received), actor, command_id)

    def close_out(
        self,
        grant_id: str,
        actor: Actor,
        *,
        unspent: Decimal | str | int = "0.00",
        command_id: str | None = None,
    ) -> Grant:
        """15(f), 20(a): close the grant out at the end of its 3-year period, once the
        final disbursement, the final wage report and the evaluation are recorded (a
        refusal names each missing one). ``unspent`` (what the grantee's final
        expenditure report returns unspent, at most what was paid) goes back to the
        cycle; the retention period of 2 CFR 200.334 starts. The 14(c) certificate is
        never revoked (15(m))."""
        returned = to_money(unspent, "unspent", ("15(a)",))
        return self._grant(CloseOut(grant_id, returned), actor, command_id)

    def place_hold(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """2 CFR 200.334: a litigation or audit hold; the grant's records may not be
        archived away while it lasts, whatever the retention date."""
        return self._grant(PlaceHold(grant_id, reason), actor, command_id)

    def release_hold(
        self, grant_id: str, actor: Actor, *, reason: str, command_id: str | None = None
    ) -> Grant:
        """2 CFR 200.334: the hold ends; the retention period applies again."""
        return self._grant(ReleaseHold(grant_id, reason), actor, command_id)
