"""The sweep of the grant service as its own process: every ``--every`` seconds it
forfeits the approvals whose 48 hours have passed (15(j)) and refers their funds to the
next applicant, then sleeps. Several sweepers may run at once (each claims what it
forfeits). For cron or a systemd timer, ``choice-workflow sweep`` does one sweep.

Run: ``CHOICE_WORKFLOW_DB=... python examples/web_service/sweeper.py --every 900``.
"""

from __future__ import annotations

import argparse
import os
import time

from choice_workflow import ChoiceWorkflowError, Program, SweepInterrupted
from choice_workflow.store.sql import SqlStore


def sweep_once(program: Program) -> list[str]:
    """One sweep: the ids of the grants it forfeited (those of a sweep cut short too)."""
    try:
        return [g.id for g in program.sweep()]
    except SweepInterrupted as stopped:
        print(f"sweep stopped: {stopped}")
        return [g.id for g in stopped.forfeited]


def main() -> None:
    """Sweep forever, every ``--every`` seconds (``--once``: one sweep)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=900.0, help="seconds between sweeps")
    parser.add_argument("--once", action="store_true", help="sweep once and stop")
    args = parser.parse_args()
    url = os.environ.get("CHOICE_WORKFLOW_DB")
    if not url:
        raise SystemExit("Set CHOICE_WORKFLOW_DB to the store's URL.")
    program = Program(SqlStore(url, migrate=False))
    while True:
        try:
            print("forfeited:", ", ".join(sweep_once(program)) or "none", flush=True)
        except ChoiceWorkflowError as error:  # the database away: try again next time
            print(f"sweep failed: {error}", flush=True)
        if args.once:
            return
        time.sleep(args.every)


if __name__ == "__main__":
    main()
