"""The pytest plugin of choice_workflow, registered by the ``pytest11`` entry point.

Installed with the package, it gives every test suite in the environment these
fixtures (all function-scoped, none used unless requested):

- ``cw_clock``: a :class:`~choice_workflow.time.clock.ManualClock` at 9 a.m. in Chicago
  on July 1, 2030 (:data:`~choice_workflow.testing.scenarios.START`);
- ``cw_store``: an empty store, in memory by default, or a SQLite file in the test's
  ``tmp_path``;
- ``cw_program``: a :class:`~choice_workflow.service.program.Program` on ``cw_store`` and
  ``cw_clock``, with the Rules of ``Rules.illinois()``;
- ``cw_actors``: :class:`~choice_workflow.testing.scenarios.Actors`, one actor per
  role and ``cw_actors.employer("E1")``.

Which store ``cw_store`` is, first match wins: an indirect parametrization of
``cw_store`` or ``cw_program`` (``"memory"`` or ``"sqlite"``); the closest
``@pytest.mark.cw_store("sqlite")`` marker; the ``--cw-store`` option or the
``cw_store`` ini setting; else ``memory``. ``--cw-store=memory,sqlite`` runs every test
that uses the store once on each.

The module imports only pytest and the standard library: choice_workflow's stores
(SQLAlchemy among them) load when a fixture first needs them. Without entry-point
autoloading (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), load it with
``-p choice_workflow.testing.plugin``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from choice_workflow.service.program import Program
    from choice_workflow.store.base import Store
    from choice_workflow.testing.scenarios import Actors
    from choice_workflow.time.clock import ManualClock

STORE_KINDS = ("memory", "sqlite")
"""The stores ``cw_store`` can be: ``memory`` (MemoryStore) and ``sqlite`` (a SqlStore
on a file in the test's ``tmp_path``)."""

_OPTION = "cw_store"


def _kinds(value: str, where: str) -> list[str]:
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in STORE_KINDS]
    if unknown or not kinds:
        raise pytest.UsageError(
            f"{where}: unknown store {', '.join(unknown) or repr(value)}; "
            f"use {' or '.join(STORE_KINDS)} (or both, comma-separated)"
        )
    return list(dict.fromkeys(kinds))


def _configured(config: pytest.Config) -> list[str]:
    """The store kinds of the command line (``--cw-store``), else of the ini file."""
    option = config.getoption(_OPTION)
    if option is not None:
        return _kinds(str(option), "--cw-store")
    return _kinds(str(config.getini(_OPTION) or "memory"), "the cw_store ini setting")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--cw-store`` and the ``cw_store`` ini setting."""
    group = parser.getgroup("choice_workflow", "choice_workflow test fixtures")
    group.addoption(
        "--cw-store",
        dest=_OPTION,
        default=None,
        metavar="KINDS",
        help="store of the cw_program fixture: memory (default), sqlite, or memory,sqlite "
        "to run each test on both",
    )
    parser.addini(_OPTION, "store of the cw_program fixture (as --cw-store)", default="memory")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``cw_store`` marker (for ``--strict-markers``) and check the option."""
    config.addinivalue_line(
        "markers",
        "cw_store(kind): run the test's cw_store / cw_program on 'memory' or 'sqlite'",
    )
    _configured(config)


def _parametrized(metafunc: pytest.Metafunc) -> bool:
    """Whether the test already parametrizes the store itself."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if {"cw_store", "cw_program"} & set(names):
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With several kinds in ``--cw-store``, run each test that uses the store on each."""
    if "cw_store" not in metafunc.fixturenames:
        return
    kinds = _configured(metafunc.config)
    if len(kinds) < 2 or metafunc.definition.get_closest_marker("cw_store") is not None:
        return
    if _parametrized(metafunc):
        return
    metafunc.parametrize("cw_store", kinds, indirect=True, ids=kinds)


def _store_kind(request: pytest.FixtureRequest) -> str:
    param = getattr(request, "param", None)
    if param is None:
        # An indirect parametrization of cw_program names the store for cw_store.
        callspec = getattr(request.node, "callspec", None)
        param = None if callspec is None else callspec.params.get("cw_program")
    if isinstance(param, str):
        return _kinds(str(param), f"{request.node.nodeid}: parameter of cw_store")[0]
    marker = request.node.get_closest_marker("cw_store")
    if marker is not None:
        if len(marker.args) != 1:
            raise pytest.UsageError(
                f"{request.node.nodeid}: use @pytest.mark.cw_store('memory') or ('sqlite')"
            )
        return _kinds(str(marker.args[0]), f"{request.node.nodeid}: cw_store marker")[0]
    return _configured(request.config)[0]


@pytest.fixture(name="cw_clock")
def fixture_cw_clock() -> ManualClock:
    """A ManualClock at 9 a.m. in Chicago on July 1, 2030; it moves only when told."""
    from choice_workflow.testing.scenarios import START
    from choice_workflow.time.clock import ManualClock

    return ManualClock(START)


@pytest.fixture(name="cw_store")
def fixture_cw_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty store: memory by default, ``sqlite`` by marker, option or parameter.

    Override it in a ``conftest.py`` to run the fixtures on another backend.
    """
    if _store_kind(request) == "memory":
        from choice_workflow.store.memory import MemoryStore

        yield MemoryStore()
        return
    from choice_workflow.store.sql import SqlStore

    path = request.getfixturevalue("tmp_path") / "choice_workflow.sqlite"
    store = SqlStore(f"sqlite:///{path}")
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture(name="cw_program")
def fixture_cw_program(cw_store: Store, cw_clock: ManualClock) -> Program:
    """A new Program (``Rules.illinois()``) on ``cw_store``, driven by ``cw_clock``.

    No cycle is open: ``approve_and_accept`` and ``run_cycle`` open one, or call
    ``cw_program.open_cycle(1, cw_actors.director, appropriation=...)``.
    """
    from choice_workflow.service.program import Program

    return Program(cw_store, clock=cw_clock)


@pytest.fixture(name="cw_actors")
def fixture_cw_actors() -> Actors:
    """One actor per role (department, director, evaluator, auditor, system) and
    ``cw_actors.employer(employer_id)`` for an employer's user."""
    from choice_workflow.testing.scenarios import ACTORS

    return ACTORS
