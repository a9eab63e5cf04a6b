"""The pytest plugin (choice_workflow.testing): its fixtures, options and scenario helpers.

The helpers are checked here directly, through the plugin's own fixtures (the plugin is
loaded in this suite by its entry point too). What a user's suite sees, options,
markers and failures included, is checked by running small suites with pytester.
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from importlib.metadata import entry_points

import attrs
import pendulum
import pytest

from choice_workflow import Program, Role, Rules, State, SystemClock, TransitionRefused
from choice_workflow.errors import ClockError
from choice_workflow.rules import NextApplicant, Shortfall
from choice_workflow.store.base import Store
from choice_workflow.store.memory import MemoryStore
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing import (
    Actors,
    ScenarioError,
    StoreContract,
    advance_past_deadline,
    approve_and_accept,
    register_and_apply,
    run_cycle,
)
from choice_workflow.testing.scenarios import START
from choice_workflow.time.clock import ManualClock

OLDER = attrs.evolve(
    Rules.illinois(), next_applicant=NextApplicant.WAITLIST, shortfall=Shortfall.PRO_RATA
)

pytest_plugins = ["pytester"]

CHICAGO = "America/Chicago"


# A user's suite with this project's strictness: unknown markers and warnings are errors.
# Runs in this process meet choice_workflow already imported, so pytest cannot rewrite
# the asserts of the plugin's package there and says so; a fresh process does not.
INI = """[pytest]
addopts = --strict-markers
filterwarnings =
    error
    ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning
"""


@pytest.fixture(name="sql_loaded", scope="module")
def fixture_sql_loaded(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Open a SQLite store once in this process before any in-process run: such a run
    drops the modules first imported inside it, and SQLAlchemy warns when its dialects
    are imported again by the next run."""
    SqlStore(f"sqlite:///{tmp_path_factory.mktemp('warm') / 'warm.sqlite'}").dispose()


@pytest.fixture(name="suite")
def fixture_suite(pytester: pytest.Pytester, sql_loaded: None) -> pytest.Pytester:
    """A user's test directory, with the ini file above."""
    pytester.makeini(INI)
    return pytester


# -- the plugin as such ------------------------------------------------------------------


def test_the_plugin_is_registered_by_its_pytest11_entry_point(
    request: pytest.FixtureRequest,
) -> None:
    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert "choice_workflow.testing.plugin" == found.get("choice_workflow")
    assert request.config.pluginmanager.has_plugin("choice_workflow")


def test_loading_the_plugin_imports_no_store_backend_and_no_helpers() -> None:
    heavy = (
        "sqlalchemy",
        "alembic",
        "psycopg",
        "choice_workflow.store.sql",
        "choice_workflow.testing.contract",
        "choice_workflow.testing.scenarios",
    )
    code = (
        "import sys, choice_workflow.testing.plugin\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "[]" == done.stdout.strip()


def test_the_clock_starts_at_9_am_on_july_1_2030_in_chicago(cw_clock: ManualClock) -> None:
    assert pendulum.datetime(2030, 7, 1, 9, tz=CHICAGO) == cw_clock.now()
    assert START == cw_clock.now()


def test_the_program_starts_empty_on_a_memory_store_and_the_clock(
    cw_program: Program, cw_clock: ManualClock
) -> None:
    assert isinstance(cw_program.store, MemoryStore)
    assert cw_clock is cw_program.clock
    assert [] == cw_program.grants()


def test_the_actors_hold_one_actor_per_role_and_make_employer_actors(cw_actors: Actors) -> None:
    roles = [
        cw_actors.department.role,
        cw_actors.director.role,
        cw_actors.evaluator.role,
        cw_actors.auditor.role,
        cw_actors.system.role,
    ]
    assert [Role.DEPARTMENT, Role.DIRECTOR, Role.EVALUATOR, Role.AUDITOR, Role.SYSTEM] == roles
    employer = cw_actors.employer("E7")
    assert (Role.EMPLOYER, "E7") == (employer.role, employer.employer_id)


# -- scenario helpers ----------------------------------------------------------------------


def test_register_and_apply_registers_the_employer_once_and_applies(cw_program: Program) -> None:
    first = register_and_apply(cw_program, "E1", amount="30000.00")
    second = register_and_apply(cw_program, "E1", grant_id="G-second")
    assert ("G-E1", State.APPLIED, Decimal("30000.00")) == (
        first.id,
        first.state,
        first.amount_requested,
    )
    assert ("G-second", "E1") == (second.id, second.employer_id)
    assert 1 == len(cw_program.events("employer:E1"))


def test_approve_and_accept_opens_cycle_one_when_it_is_not_open(cw_program: Program) -> None:
    register_and_apply(cw_program, "E1", amount="20000.00")
    grant = approve_and_accept(cw_program, "G-E1")
    assert (State.ACCEPTED, Decimal("20000.00")) == (grant.state, grant.amount)
    assert Decimal("1000000.00") == cw_program.cycle(1).appropriation
    assert Decimal("980000.00") == cw_program.cycle(1).available


def test_approve_and_accept_keeps_an_open_cycle_and_approves_the_amount_given(
    cw_program: Program, cw_actors: Actors
) -> None:
    cw_program.open_cycle(1, cw_actors.director, appropriation="50000.00")
    register_and_apply(cw_program, "E1", amount="40000.00")
    grant = approve_and_accept(cw_program, "G-E1", amount="15000.00")
    assert Decimal("15000.00") == grant.amount
    assert Decimal("35000.00") == cw_program.cycle(1).available


def test_approve_and_accept_is_refused_like_any_approval_above_the_maximum_award(
    cw_program: Program,
) -> None:
    register_and_apply(cw_program, "E1")
    with pytest.raises(TransitionRefused) as refused:
        approve_and_accept(cw_program, "G-E1", amount="50000.01")
    assert "15(h)" in refused.value.cites
    assert State.APPLIED == cw_program.grant("G-E1").state


def test_advance_past_deadline_moves_the_clock_one_microsecond_past_accept_by(
    cw_program: Program, cw_actors: Actors, cw_clock: ManualClock
) -> None:
    register_and_apply(cw_program, "E1")
    cw_program.open_cycle(1, cw_actors.director, appropriation="100000.00")
    cw_program.approve("G-E1", "25000.00", cw_actors.director)
    grant = cw_program.confirm_notice(
        "G-E1", cw_actors.department, channel="email", confirmed_at=cw_clock.now()
    )
    assert grant.accept_by is not None
    now = advance_past_deadline(cw_program, "G-E1")
    assert grant.accept_by.add(microseconds=1) == now == cw_clock.now()
    with pytest.raises(TransitionRefused) as refused:
        cw_program.accept("G-E1", cw_actors.employer("E1"))
    assert ("15(j)",) == refused.value.cites
    assert ["G-E1"] == [g.id for g in cw_program.sweep()]


def test_advance_past_deadline_refuses_a_grant_whose_notice_is_not_confirmed(
    cw_program: Program,
) -> None:
    register_and_apply(cw_program, "E1")
    with pytest.raises(ScenarioError, match="no acceptance deadline yet") as refused:
        advance_past_deadline(cw_program, "G-E1")
    assert ("15(j)",) == refused.value.cites


def test_advance_past_deadline_never_moves_the_clock_back(
    cw_program: Program, cw_clock: ManualClock
) -> None:
    register_and_apply(cw_program, "E1")
    approve_and_accept(cw_program, "G-E1")
    cw_clock.advance(days=3)
    with pytest.raises(ClockError):
        advance_past_deadline(cw_program, "G-E1")


def test_advance_past_deadline_needs_a_manual_clock() -> None:
    program = Program(MemoryStore(), clock=SystemClock())
    with pytest.raises(ScenarioError, match="not a ManualClock"):
        advance_past_deadline(program, "G-E1")


def test_run_cycle_with_funds_for_every_request_accepts_every_application(
    cw_program: Program,
) -> None:
    selection = run_cycle(cw_program, employers=4)
    assert 4 == len(selection.proposals)
    assert [] == list(selection.waitlist)
    assert 4 == len(cw_program.grants(State.ACCEPTED))
    assert Decimal("0.00") == cw_program.cycle(1).available


def test_run_cycle_with_some_accepting_forfeits_the_others_and_refers_the_waitlist(
    cw_store: Store, cw_clock: ManualClock
) -> None:
    program = Program(cw_store, clock=cw_clock, rules=OLDER)  # six pro-rata awards
    selection = run_cycle(program, employers=10, appropriation="60000.00", accept="some")
    proposed = [p.grant_id for p in selection.proposals]
    states = {g.id: g.state for g in program.grants()}
    assert [State.ACCEPTED, State.FORFEITED] * 3 == [states[g] for g in proposed]
    referred = [g for g in program.grants(State.APPLIED) if g.referred_from is not None]
    assert 3 == len(referred)
    assert {g.referred_from for g in referred} <= set(proposed)


def test_run_cycle_with_some_accepting_refers_the_queue_for_each_forfeit(
    cw_program: Program,
) -> None:
    selection = run_cycle(cw_program, employers=10, appropriation="60000.00", accept="some")
    proposed = [p.grant_id for p in selection.proposals]
    assert ["25000.00", "25000.00", "10000.00"] == [str(p.amount) for p in selection.proposals]
    states = {g.id: g.state for g in cw_program.grants()}
    assert [State.ACCEPTED, State.FORFEITED, State.ACCEPTED] == [states[g] for g in proposed]
    referred = [g for g in cw_program.grants(State.APPLIED) if g.referred_from is not None]
    assert [(selection.waitlist[0].grant_id, proposed[1])] == [
        (g.id, g.referred_from) for g in referred
    ]


def test_run_cycle_with_none_accepting_leaves_the_approvals_waiting(
    cw_program: Program, cw_clock: ManualClock
) -> None:
    selection = run_cycle(cw_program, employers=["A", "B"], accept="none")
    assert ["G-A", "G-B"] == sorted(p.grant_id for p in selection.proposals)
    assert ["G-A", "G-B"] == [g.id for g in cw_program.grants(State.APPROVED)]
    assert START == cw_clock.now()


def test_run_cycle_of_cycle_two_moves_the_clock_to_its_opening(
    cw_program: Program, cw_clock: ManualClock
) -> None:
    run_cycle(cw_program, employers=2)
    run_cycle(cw_program, employers=2, cycle=2)
    assert pendulum.datetime(2032, 7, 1, tz=CHICAGO) == cw_clock.now()
    assert ["G-C2-E001", "G-C2-E002"] == [
        g.id for g in cw_program.grants(State.ACCEPTED) if g.cycle == 2
    ]


def test_run_cycle_refuses_an_unknown_acceptance_mode(cw_program: Program) -> None:
    with pytest.raises(ScenarioError, match="'all', 'some' or 'none'"):
        run_cycle(cw_program, accept="most")  # type: ignore[arg-type]  # the wrong value is the point
    assert [] == cw_program.grants()


# -- what a user's suite sees ------------------------------------------------------------------

USER_TESTS = """
import pytest

from choice_workflow import State, TransitionRefused
from choice_workflow.testing import advance_past_deadline, approve_and_accept, register_and_apply


def test_an_accepted_grant(cw_program, cw_actors):
    register_and_apply(cw_program, "E1")
    assert State.ACCEPTED == approve_and_accept(cw_program, "G-E1").state


def test_a_late_acceptance_is_refused(cw_program, cw_actors, cw_clock):
    register_and_apply(cw_program, "E1")
    cw_program.open_cycle(1, cw_actors.director, appropriation="50000.00")
    cw_program.approve("G-E1", "25000.00", cw_actors.director)
    cw_program.confirm_notice("G-E1", cw_actors.department, channel="email", confirmed_at=cw_clock.now())
    advance_past_deadline(cw_program, "G-E1")
    with pytest.raises(TransitionRefused):
        cw_program.accept("G-E1", cw_actors.employer("E1"))
"""


def test_a_users_suite_gets_the_fixtures_and_helpers(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_user=USER_TESTS)
    suite.runpytest().assert_outcomes(passed=2)


def test_a_users_suite_gets_the_plugin_by_entry_point_in_a_fresh_process(
    suite: pytest.Pytester,
) -> None:
    suite.makepyfile(test_user=USER_TESTS)
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_users_wrong_expectation_fails_and_shows_the_cite(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_user="""
        from choice_workflow.testing import advance_past_deadline, register_and_apply


        def test_accepting_after_the_window(cw_program, cw_actors, cw_clock):
            register_and_apply(cw_program, "E1")
            cw_program.open_cycle(1, cw_actors.director, appropriation="50000.00")
            cw_program.approve("G-E1", "25000.00", cw_actors.director)
            cw_program.confirm_notice(
                "G-E1", cw_actors.department, channel="email", confirmed_at=cw_clock.now()
            )
            advance_past_deadline(cw_program, "G-E1")
            cw_program.accept("G-E1", cw_actors.employer("E1"))
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TransitionRefused*accept of grant G-E1 refused*[[]15(j)[]]*"])


STORE_PROBE = """
import pytest


def test_store(cw_program):
    print("store:", type(cw_program.store).__name__)
"""


def test_the_cw_store_marker_puts_the_program_on_a_sqlite_file(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_user="""
        import pytest


        @pytest.mark.cw_store("sqlite")
        def test_store(cw_program, tmp_path):
            assert "SqlStore" == type(cw_program.store).__name__
            assert (tmp_path / "choice_workflow.sqlite").exists()
        """
    )
    suite.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "ini", "expected"),
    [
        ((), "", "MemoryStore"),
        (("--cw-store=sqlite",), "", "SqlStore"),
        ((), "cw_store = sqlite\n", "SqlStore"),
        (("--cw-store=memory",), "cw_store = sqlite\n", "MemoryStore"),
    ],
    ids=["default", "option", "ini", "option-over-ini"],
)
def test_the_option_and_the_ini_setting_choose_the_store(
    suite: pytest.Pytester, args: tuple[str, ...], ini: str, expected: str
) -> None:
    suite.makeini(INI + ini)
    suite.makepyfile(test_user=STORE_PROBE)
    result = suite.runpytest("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*store: {expected}*"])


def test_two_stores_in_the_option_run_each_test_on_both(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_user="""
        import pytest


        def test_store(cw_program):
            pass


        @pytest.mark.cw_store("memory")
        def test_marked(cw_program):
            assert "MemoryStore" == type(cw_program.store).__name__


        def test_no_store(cw_clock):
            pass
        """
    )
    result = suite.runpytest("-v", "--cw-store=memory,sqlite")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*test_store?memory? PASSED*",
            "*test_store?sqlite? PASSED*",
            "*test_marked PASSED*",
            "*test_no_store PASSED*",
        ]
    )


def test_indirect_parametrization_of_cw_program_chooses_the_store(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_user="""
        import pytest


        @pytest.mark.parametrize("cw_program", ["memory", "sqlite"], indirect=True)
        def test_program(cw_program, cw_store):
            assert cw_store is cw_program.store


        @pytest.mark.parametrize("cw_store", ["sqlite"], indirect=True)
        def test_store(cw_program):
            assert "SqlStore" == type(cw_program.store).__name__
        """
    )
    result = suite.runpytest("-v", "--cw-store=memory,sqlite")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_program?memory? PASSED*", "*test_program?sqlite? PASSED*"])


def test_an_unknown_store_in_the_option_is_a_usage_error(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_user=STORE_PROBE)
    result = suite.runpytest("--cw-store=oracle")
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(["*--cw-store: unknown store oracle; use memory or sqlite*"])


def test_an_unknown_store_in_a_marker_errors_the_test(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_user="""
        import pytest


        @pytest.mark.cw_store("oracle")
        def test_store(cw_program):
            pass
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cw_store marker: unknown store oracle*"])


def test_a_conftest_can_put_the_fixtures_on_its_own_store(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        """
        import pytest

        from choice_workflow.store.memory import MemoryStore


        class AgencyStore(MemoryStore):
            pass


        @pytest.fixture(name="cw_store")
        def fixture_cw_store():
            return AgencyStore()
        """
    )
    suite.makepyfile(
        test_user="""
        def test_store(cw_program):
            assert "AgencyStore" == type(cw_program.store).__name__
        """
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_a_users_backend_runs_the_store_contract(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_contract="""
        import pytest

        from choice_workflow.store.memory import MemoryStore
        from choice_workflow.testing import StoreContract


        class AgencyStore(MemoryStore):
            pass


        class TestAgencyStore(StoreContract):
            @pytest.fixture(name="store")
            def fixture_store(self):
                return AgencyStore()
        """
    )
    contract = [name for name in dir(StoreContract) if name.startswith("test_")]
    suite.runpytest().assert_outcomes(passed=len(contract))


def test_a_broken_backend_fails_the_store_contract(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_contract="""
        import pytest

        from choice_workflow.store.memory import MemoryStore
        from choice_workflow.testing import StoreContract


        class ForgetfulStore(MemoryStore):
            def stored_events(self, after=0):
                return iter(())


        class TestForgetfulStore(StoreContract):
            @pytest.fixture(name="store")
            def fixture_store(self):
                return ForgetfulStore()
        """
    )
    result = suite.runpytest()
    result.stdout.fnmatch_lines(["FAILED *::test_stored_events_form_a_hash_chain_per_stream*"])
    assert 1 <= result.parseoutcomes().get("failed", 0)


def test_a_sqlite_store_of_the_fixtures_is_a_file_in_tmp_path(suite: pytest.Pytester) -> None:
    # The fixture disposes of the engine after the test: the file can be removed then.
    suite.makepyfile(
        test_user="""
        import pytest


        @pytest.mark.cw_store("sqlite")
        def test_store(cw_store, tmp_path):
            assert str(tmp_path) in str(cw_store.engine.url)
        """
    )
    suite.runpytest().assert_outcomes(passed=1)
