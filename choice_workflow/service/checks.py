"""What the Program would refuse, without running anything: ``may(command, actor)``
for any command, ``allowed(actor, grant_id)`` for a UI, and the typed ``may_<command>``
of the grant's lifecycle. Nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from choice_workflow.commands import (
    Accept,
    Approve,
    BeginTransition,
    CloseOut,
    ConfirmNotice,
    Decline,
    Deny,
    Disburse,
    Evaluate,
    Forfeit,
    RecordTechnicalAssistance,
    Review,
    Terminate,
    Withdraw,
)
from choice_workflow.commands.registry import Registry
from choice_workflow.commands.spec import Target
from choice_workflow.domain.actors import Actor
from choice_workflow.domain.money import to_money
from choice_workflow.errors import Problem, UnknownGrant
from choice_workflow.lifecycle.compiled import source_problem
from choice_workflow.lifecycle.corrections import Cause
from choice_workflow.service.unit_of_work import UnitOfWork
from choice_workflow.store.base import Store
from choice_workflow.time.instants import ensure_instant


class Checks:
    """The refusals side of :class:`~choice_workflow.service.program.Program`."""

    _store: Store
    _uow: UnitOfWork
    _registry: Registry

    def may(self, command: object, actor: Actor) -> tuple[Problem, ...]:
        """Why ``command`` (any registered command) would be refused for ``actor`` now
        (empty: it would not). Unknown grants and employers are raised as such."""
        return self._uow.refusals(command, actor)

    def allowed(
        self, actor: Actor, grant_id: str | None = None
    ) -> Mapping[str, tuple[Problem, ...]]:
        """For a UI, like transitions' ``get_triggers``: every command of the grant
        ``grant_id`` (or, without it, every command that creates or acts beside a
        grant), with why ``actor`` may not run it from where things stand (empty: it
        may). Judged: the role, the own-employer rule and the grant's state; the
        guards that depend on a command's parameters are :meth:`may`'s."""
        grant = None
        if grant_id is not None:
            with self._store.transaction() as tx:
                grant = tx.grant(grant_id)
            if grant is None:
                raise UnknownGrant(grant_id=grant_id)
        out: dict[str, tuple[Problem, ...]] = {}
        for spec in self._registry:
            on_grant = spec.transition is not None and bool(spec.transition.sources)
            if spec.target is Target.SECURITY or on_grant != (grant_id is not None):
                continue
            refusal = spec.role_refusal(actor.role) or (
                None if grant is None else spec.owner_refusal(actor, grant.employer_id)
            )
            problems = [] if refusal is None else [refusal]
            if spec.transition is not None and grant is not None:
                state = source_problem(spec.transition, grant)
                if state is not None:
                    problems.append(state)
            out[spec.name] = tuple(problems)
        return out

    def may_approve(
        self, grant_id: str, amount: Decimal | str | int, actor: Actor
    ) -> tuple[Problem, ...]:
        """Why ``approve`` would be refused now (empty: it would not)."""
        return self.may(Approve(grant_id, to_money(amount, "amount", ("15(h)",))), actor)

    def may_accept(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``accept`` would be refused now (empty: it would not)."""
        return self.may(Accept(grant_id), actor)

    def may_decline(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``decline`` would be refused now."""
        return self.may(Decline(grant_id, ""), actor)

    def may_withdraw(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``withdraw`` would be refused now."""
        return self.may(Withdraw(grant_id, ""), actor)

    def may_review(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``review`` would be refused now."""
        return self.may(Review(grant_id, ""), actor)

    def may_deny(
        self, grant_id: str, actor: Actor, *, reason: str = "not stated"
    ) -> tuple[Problem, ...]:
        """Why ``deny`` would be refused now."""
        return self.may(Deny(grant_id, reason), actor)

    def may_confirm_notice(
        self, grant_id: str, actor: Actor, *, channel: str, confirmed_at: dt.datetime
    ) -> tuple[Problem, ...]:
        """Why ``confirm_notice`` would be refused now."""
        confirmed = ensure_instant(confirmed_at, "confirmed_at", "15(i)")
        return self.may(ConfirmNotice(grant_id, channel, confirmed), actor)

    def may_begin_transition(
        self, grant_id: str, actor: Actor, *, started_at: dt.datetime
    ) -> tuple[Problem, ...]:
        """Why ``begin_transition`` would be refused now."""
        started = ensure_instant(started_at, "started_at", "15(i)")
        return self.may(BeginTransition(grant_id, started), actor)

    def may_record_technical_assistance(
        self, grant_id: str, actor: Actor, *, description: str = "assistance"
    ) -> tuple[Problem, ...]:
        """Why ``record_technical_assistance`` would be refused now."""
        return self.may(RecordTechnicalAssistance(grant_id, description), actor)

    def may_terminate(
        self, grant_id: str, actor: Actor, *, reason: str = "not stated",
        cause: Cause | str = Cause.OTHER, evidence: Sequence[int] = (),
    ) -> tuple[Problem, ...]:  # fmt: skip
        """Why ``terminate`` would be refused now."""
        return self.may(Terminate(grant_id, reason, str(cause), None, tuple(evidence)), actor)

    def may_close_out(
        self, grant_id: str, actor: Actor, *, unspent: Decimal | str | int = "0.00"
    ) -> tuple[Problem, ...]:
        """Why ``close_out`` would be refused now: each missing record is named."""
        return self.may(CloseOut(grant_id, to_money(unspent, "unspent", ("15(a)",))), actor)

    def may_evaluate(
        self, grant_id: str, actor: Actor, *, evaluation: Mapping[str, Any] | None = None
    ) -> tuple[Problem, ...]:
        """Why ``evaluate`` would be refused now."""
        data = {"pending": True} if evaluation is None else dict(evaluation)
        return self.may(Evaluate(grant_id, data), actor)

    def may_disburse(self, grant_id: str, actor: Actor) -> tuple[Problem, ...]:
        """Why ``disburse`` would be refused now (empty: the next instalment is due)."""
        return self.may(Disburse(grant_id), actor)

    def may_forfeit(self, grant_id: str, actor: Actor | None = None) -> tuple[Problem, ...]:
        """Why the sweep would not forfeit this grant now."""
        return self.may(Forfeit(grant_id), actor or Actor.system())
