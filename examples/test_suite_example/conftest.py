"""Fixtures of the agency's suite, built on the plugin's fixtures."""

from __future__ import annotations

import pytest

from choice_workflow import Program
from choice_workflow.testing import Actors


@pytest.fixture(name="funded_program")
def fixture_funded_program(cw_program: Program, cw_actors: Actors) -> Program:
    """The plugin's program with cycle 1 open and $100,000 appropriated (15(a))."""
    cw_program.open_cycle(1, cw_actors.director, appropriation="100000.00")
    return cw_program
