"""Time: the Clock, instants, and the Act's calendar (fiscal years, windows, quarters).

Every instant at the API is an aware :class:`pendulum.DateTime`; it is stored in UTC
and shown in America/Chicago. Nothing in the library reads the wall clock except
:class:`SystemClock`.
"""

from choice_workflow.time.calendar import (
    FiscalYear,
    GrantQuarter,
    acceptance_deadline,
    cycle_two_earliest,
    final_report_deadline,
    final_report_due,
    first_award_instant,
    fiscal_year,
    grant_period_end,
    grant_quarter,
    grant_quarters,
    local_midnight,
    previous_fiscal_years,
    task_force_report_deadline,
    task_force_report_due,
    transition_start_window,
)
from choice_workflow.time.clock import Clock, ManualClock, SystemClock
from choice_workflow.time.instants import ensure_instant, plus, to_local, to_utc

__all__ = [
    "Clock",
    "FiscalYear",
    "GrantQuarter",
    "ManualClock",
    "SystemClock",
    "acceptance_deadline",
    "cycle_two_earliest",
    "ensure_instant",
    "final_report_deadline",
    "final_report_due",
    "first_award_instant",
    "fiscal_year",
    "grant_period_end",
    "grant_quarter",
    "grant_quarters",
    "local_midnight",
    "plus",
    "previous_fiscal_years",
    "task_force_report_deadline",
    "task_force_report_due",
    "to_local",
    "to_utc",
    "transition_start_window",
]
