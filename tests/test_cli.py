"""The ``choice-workflow`` command: every command and its options through click's
CliRunner, one real process per command, exit codes, ``--json``, one-line errors and
database passwords that never show."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest
from click.testing import CliRunner, Result
from freezegun import freeze_time
from sqlalchemy.engine import make_url

from choice_workflow import Actor, ManualClock, Program, Role
from choice_workflow._cli import output as cli_output
from choice_workflow.audit import export_log
from choice_workflow.cli import cli, main
from choice_workflow.demo import simulate
from choice_workflow.samples import sample_application, sample_employer
from choice_workflow.store.sql import SqlStore

ROOT = Path(__file__).resolve().parent.parent
EMPLOYERS = 8
PASSWORD = "Pa55-w0rd-never-shown"  # noqa: S105 - a made-up password the output must hide
UNREACHABLE = f"postgresql+psycopg://auditor:{PASSWORD}@127.0.0.1:1/grants"
"""A URL with a password and nothing listening: every command must fail without it."""
HEX = "0123456789abcdef"


@attrs.frozen
class Sealed:
    """A simulated, sealed program: its SQLite file, its exported log, its root and how
    many grants it holds."""

    database: Path
    log: Path
    root: str
    grants: int


@pytest.fixture(name="sealed", scope="module")
def fixture_sealed(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    """One small program for the module; tests work on copies of its files."""
    where = tmp_path_factory.mktemp("sealed")
    database = where / "grants.sqlite"
    store = SqlStore(f"sqlite:///{database}")
    program = simulate(EMPLOYERS, 2030, store)
    root = program.seal(Actor("seal-test", Role.SYSTEM))
    log = where / "log.jsonl"
    with log.open("wb") as handle:
        export_log(store.stored_events(), handle)
    grants = len(program.grants())
    store.dispose()
    return Sealed(database, log, root, grants)


@pytest.fixture(name="db")
def fixture_db(sealed: Sealed, tmp_path: Path) -> str:
    """The URL of a copy of the sealed program's database."""
    for part in sealed.database.parent.glob(f"{sealed.database.name}*"):
        shutil.copy(part, tmp_path / part.name)
    return f"sqlite:///{tmp_path / sealed.database.name}"


@pytest.fixture(name="log")
def fixture_log(sealed: Sealed, tmp_path: Path) -> Path:
    """A copy of the sealed program's exported log."""
    return Path(shutil.copy(sealed.log, tmp_path / "exported.jsonl"))


@pytest.fixture(name="runner")
def fixture_runner() -> CliRunner:
    """A runner that keeps stdout and stderr apart."""
    return CliRunner()


@pytest.fixture(name="no_env_db", autouse=True)
def fixture_no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a CHOICE_WORKFLOW_DB of the machine it runs on."""
    monkeypatch.delenv("CHOICE_WORKFLOW_DB", raising=False)


@pytest.fixture(name="lapsing")
def fixture_lapsing(tmp_path: Path) -> str:
    """A database with one approval, notice confirmed July 1, 2030 at 9:00 Chicago time."""
    url = f"sqlite:///{tmp_path / 'lapsing.sqlite'}"
    store = SqlStore(url)
    clock = ManualClock(pendulum.datetime(2030, 7, 1, 9, tz="America/Chicago"))
    program = Program(store, clock=clock)
    department = Actor("dol-1", Role.DEPARTMENT)
    director = Actor("director", Role.DIRECTOR)
    program.register_employer(sample_employer("E1", at=clock.now()), department)
    program.open_cycle(1, director, appropriation="100000.00")
    employer = Actor("e-1", Role.EMPLOYER, employer_id="E1")
    program.apply(sample_application("E1", at=clock.now()), employer, grant_id="G1")
    program.approve("G1", "25000.00", director)
    program.confirm_notice("G1", department, channel="email", confirmed_at=clock.now())
    store.dispose()
    return url


def run(runner: CliRunner, *args: str | Path) -> Result:
    """Invoke the command line in this process."""
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def document(result: Result) -> Any:
    """The one JSON document a ``--json`` run printed (and nothing on stderr)."""
    assert "" == result.stderr
    return json.loads(result.stdout)


def assert_input_error(result: Result, *words: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr naming ``words``, no traceback."""
    assert 2 == result.exit_code, result.output
    assert "" == result.stdout
    assert 1 == len(result.stderr.strip().splitlines()), result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr


def flip_a_digit(log: Path) -> None:
    """Flip one bit of a byte inside the first event record that requests an amount
    (a digit stays a digit: the record still parses, only its hash breaks)."""
    data = bytearray(log.read_bytes())
    marker = b'"amount_requested":"'
    at = data.index(marker) + len(marker)
    data[at] ^= 0x01
    log.write_bytes(bytes(data))


def is_root(text: str) -> bool:
    """True for 64 lowercase hex digits."""
    return 64 == len(text) and all(c in HEX for c in text)


# -- the group ---------------------------------------------------------------------------


def test_help_lists_every_command(runner: CliRunner) -> None:
    result = run(runner, "--help")
    assert 0 == result.exit_code
    for name in (
        "demo", "simulate", "sweep", "seal", "replay", "verify", "export", "import",
        "diagram", "db",
    ):  # fmt: skip
        assert f"  {name} " in result.stdout


def test_version_prints_the_package_version(runner: CliRunner) -> None:
    from choice_workflow import __version__

    result = run(runner, "--version")
    assert 0 == result.exit_code
    assert __version__ in result.stdout


def test_main_returns_the_exit_code_instead_of_exiting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert 0 == main(["diagram", "--format", "dot"])
    assert capsys.readouterr().out.startswith("digraph")
    assert 2 == main(["verify", "--root", "abc"])


def test_no_command_shows_the_help(runner: CliRunner) -> None:
    result = run(runner)
    assert 2 == result.exit_code
    assert "Commands:" in result.output


# -- demo --------------------------------------------------------------------------------


def test_demo_seals_exports_and_verifies_with_zero_findings(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = run(runner, "demo", "--employers", "3", "--out", tmp_path)
    assert 0 == result.exit_code, result.output
    assert result.stdout.startswith("choice_workflow demo: ")
    assert "0 findings" in result.stdout.splitlines()[-1]
    assert (tmp_path / "choice_workflow.sqlite").exists()
    assert (tmp_path / "log.jsonl").read_bytes().startswith(b'{"format":"choice_workflow-log"')


def test_demo_json_names_the_root_and_the_files(runner: CliRunner, tmp_path: Path) -> None:
    doc = document(run(runner, "demo", "--employers", "2", "--out", tmp_path, "--json"))
    assert is_root(doc["root"])
    assert str(tmp_path / "log.jsonl") == doc["log"]
    assert 2 <= doc["grants"] == sum(doc["states"].values())
    assert [] == doc["findings"]


# -- simulate ----------------------------------------------------------------------------


def test_simulate_prints_grants_by_state(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    result = run(runner, "simulate", "--employers", "3", "--seed", "7", "--db", url)
    assert 0 == result.exit_code, result.output
    assert "Simulated: 3 employers, seed 7" in result.stdout
    assert "total" in result.stdout
    assert f"events in {url}" in result.stdout


def test_simulate_json_counts_every_grant_and_event(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    doc = document(run(runner, "simulate", "--employers", "3", "--db", url, "--json"))
    assert 3 <= doc["grants"] == sum(doc["states"].values())
    store = SqlStore(url)
    assert doc["events"] == sum(1 for _ in store.stored_events())
    store.dispose()


def test_simulate_takes_the_database_from_the_environment(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHOICE_WORKFLOW_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    result = run(runner, "simulate", "--employers", "1")
    assert 0 == result.exit_code, result.output
    assert (tmp_path / "env.sqlite").exists()


def test_simulate_into_a_database_that_holds_a_program_is_refused(
    runner: CliRunner, db: str
) -> None:
    assert_input_error(run(runner, "simulate", "--employers", "1", "--db", db), "already holds")


@pytest.mark.parametrize("command", ["simulate", "sweep", "seal", "export", "db upgrade"])
def test_a_command_without_a_database_says_how_to_give_one(
    runner: CliRunner, command: str, tmp_path: Path
) -> None:
    extra = ["--out", str(tmp_path / "x.jsonl")] if command == "export" else []
    result = run(runner, *command.split(), *extra)
    assert_input_error(result, "--db", "CHOICE_WORKFLOW_DB")


# -- sweep -------------------------------------------------------------------------------


def test_sweep_forfeits_the_lapsed_approval_once_on_the_system_clock(
    runner: CliRunner, lapsing: str
) -> None:
    with freeze_time("2030-07-03T14:00:00.000001Z"):  # 48 hours and 1 us after the notice
        first = run(runner, "sweep", "--db", lapsing)
        again = document(run(runner, "sweep", "--db", lapsing, "--json"))
    assert 0 == first.exit_code, first.output
    assert "G1" in first.stdout
    assert "1 approval forfeited [15(j)]" in first.stdout
    assert [] == again["forfeited"]
    assert "2030-07-03T14:00:00.000001Z" == again["at"]


def test_sweep_json_lists_the_forfeited_grant_with_its_deadline(
    runner: CliRunner, lapsing: str
) -> None:
    with freeze_time("2030-07-10T00:00:00Z"):
        doc = document(run(runner, "sweep", "--db", lapsing, "--json"))
    expected = [
        {
            "grant_id": "G1",
            "employer_id": "E1",
            "amount": "25000.00",
            "accept_by": "2030-07-03T14:00:00.000000Z",
        }
    ]
    assert expected == doc["forfeited"]


def test_sweep_before_the_deadline_forfeits_nothing(runner: CliRunner, lapsing: str) -> None:
    with freeze_time("2030-07-03T14:00:00Z"):  # exactly at accept_by: still in time
        doc = document(run(runner, "sweep", "--db", lapsing, "--json"))
    assert [] == doc["forfeited"]


def test_sweep_of_a_database_without_a_program_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert 0 == run(runner, "db", "upgrade", "--db", url).exit_code
    assert_input_error(run(runner, "sweep", "--db", url), "no grant program")


# -- seal --------------------------------------------------------------------------------


AFTER_THE_SIMULATION = "2040-01-01T00:00:00Z"
"""A system clock past every event of the simulated program (2030-2035): a seal is never
recorded before what it covers (a clock behind the log is a ClockError)."""


def test_seal_prints_the_root_alone_and_verify_finds_it(runner: CliRunner, db: str) -> None:
    with freeze_time(AFTER_THE_SIMULATION):
        result = run(runner, "seal", "--db", db)
    assert 0 == result.exit_code, result.output
    root = result.stdout.strip()
    assert is_root(root)
    assert [root] == result.stdout.splitlines()
    assert 0 == run(runner, "verify", "--db", db, "--root", root).exit_code


def test_seal_json_gives_the_root_and_the_masked_database(runner: CliRunner, db: str) -> None:
    with freeze_time(AFTER_THE_SIMULATION):
        doc = document(run(runner, "seal", "--db", db, "--actor", "nightly", "--json"))
    assert is_root(doc["root"])
    assert db == doc["database"]


def test_seal_of_a_missing_sqlite_file_creates_nothing(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite"
    assert_input_error(run(runner, "seal", "--db", f"sqlite:///{missing}"), str(missing))
    assert not missing.exists()


# -- replay ------------------------------------------------------------------------------


def test_replay_of_the_database_and_of_its_export_agree(
    runner: CliRunner, db: str, log: Path, sealed: Sealed
) -> None:
    from_db = document(run(runner, "replay", "--db", db, "--json"))
    from_log = document(run(runner, "replay", "--log", log, "--json"))
    assert sealed.grants == len(from_db["grant_states"])
    assert from_db["grant_states"] == from_log["grant_states"]
    assert from_db["events"] == from_log["events"]


def test_replay_prints_states_and_counts(runner: CliRunner, log: Path, sealed: Sealed) -> None:
    result = run(runner, "replay", "--log", log)
    assert 0 == result.exit_code, result.output
    assert "Grants by state" in result.stdout
    assert f"{sealed.grants} grants; 0 findings" in result.stdout


def test_replay_as_of_an_instant_leaves_out_later_events(runner: CliRunner, log: Path) -> None:
    whole = document(run(runner, "replay", "--log", log, "--json"))
    early = document(
        run(runner, "replay", "--log", log, "--as-of", "2030-07-02T00:00:00-05:00", "--json")
    )
    assert early["events"] < whole["events"]
    assert "2030-07-02T05:00:00.000000Z" == early["as_of"]
    assert "evaluated" not in early["states"]


def test_as_of_a_date_is_the_midnight_that_begins_it_in_chicago(
    runner: CliRunner, log: Path
) -> None:
    by_date = document(run(runner, "replay", "--log", log, "--as-of", "2030-07-02", "--json"))
    by_instant = document(
        run(runner, "replay", "--log", log, "--as-of", "2030-07-02T00:00:00-05:00", "--json")
    )
    assert by_instant == by_date
    assert "2030-07-02T05:00:00.000000Z" == by_date["as_of"]


def test_replay_of_a_log_missing_an_approval_exits_1(runner: CliRunner, log: Path) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if b'"type":"Approved"' in line)
    log.write_bytes(b"".join(lines[:cut] + lines[cut + 1 :]))
    result = run(runner, "replay", "--log", log)
    assert 1 == result.exit_code, result.output
    assert "illegal_transition" in result.stdout


def test_replay_reads_the_log_even_when_the_environment_names_a_database(
    runner: CliRunner, log: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHOICE_WORKFLOW_DB", f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    doc = document(run(runner, "replay", "--log", log, "--json"))
    assert str(log) == doc["log"]


def test_replay_with_both_a_database_and_a_log_is_a_usage_error(
    runner: CliRunner, db: str, log: Path
) -> None:
    assert_input_error(run(runner, "replay", "--db", db, "--log", log), "not both")


def test_replay_without_a_source_is_a_usage_error(runner: CliRunner) -> None:
    assert_input_error(run(runner, "replay"), "--log", "--db")


# -- verify ------------------------------------------------------------------------------


def test_verify_of_the_database_with_its_root_finds_nothing(
    runner: CliRunner, db: str, sealed: Sealed
) -> None:
    result = run(runner, "verify", "--db", db, "--root", sealed.root.upper())
    assert 0 == result.exit_code, result.output
    assert "0 findings" in result.stdout
    assert f"last seal: root {sealed.root}" in result.stdout


def test_verify_of_a_log_with_a_flipped_byte_exits_1(runner: CliRunner, log: Path) -> None:
    flip_a_digit(log)
    result = run(runner, "verify", "--log", log)
    assert 1 == result.exit_code, result.output
    assert "broken_chain" in result.stdout
    assert "1 finding" in result.stdout


def test_verify_json_of_a_tampered_log_lists_the_broken_chain(
    runner: CliRunner, log: Path, sealed: Sealed
) -> None:
    flip_a_digit(log)
    result = run(runner, "verify", "--log", log, "--root", sealed.root, "--json")
    assert 1 == result.exit_code
    doc = document(result)
    assert not doc["ok"]
    assert ["broken_chain"] == [f["kind"] for f in doc["findings"]]
    assert sealed.root == doc["root"]


def test_verify_with_a_root_that_no_seal_has_exits_1(runner: CliRunner, log: Path) -> None:
    result = run(runner, "verify", "--log", log, "--root", "0" * 64, "--json")
    assert 1 == result.exit_code
    assert ["root_mismatch"] == [f["kind"] for f in document(result)["findings"]]


def test_verify_as_of_reads_the_database_up_to_that_instant(runner: CliRunner, db: str) -> None:
    doc = document(run(runner, "verify", "--db", db, "--as-of", "2030-07-01T16:00:00Z", "--json"))
    assert doc["ok"]
    assert 0 < doc["events"]
    assert "evaluated" not in doc["states"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "line 1"),
        (b"hello\n", "line 1"),
    ],
    ids=["empty", "no-header"],
)
def test_verify_of_a_file_that_is_not_a_log_is_an_input_error(
    runner: CliRunner, tmp_path: Path, content: bytes, words: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    assert_input_error(run(runner, "verify", "--log", bad), words)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"format":"choice_workflow-log","version":1}\n{"hash":', "cut off"),
        (b'{"format":"choice_workflow-log","version":1}\n[1, 2]\n', "line 2"),
    ],
    ids=["truncated", "not-an-event"],
)
def test_verify_of_a_log_with_a_damaged_line_reports_it_and_exits_1(
    runner: CliRunner, tmp_path: Path, content: bytes, words: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    result = run(runner, "verify", "--log", bad, "--json")
    assert 1 == result.exit_code, result.output
    [finding] = document(result)["findings"]
    assert ("damaged_line", 2) == (finding["kind"], finding["line"])
    assert words in finding["message"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["verify", "--log", "missing.jsonl"], "does not exist"),
        (["verify", "--log", "."], "is a directory"),
        (["verify", "--root", "abc"], "64 hex digits"),
        (["verify", "--db", "nonsense"], "not a database URL"),
        (["verify", "--db", "postgresql://u:pw@host:port/db"], "not a database URL"),
        (["replay", "--as-of", "yesterday"], "not an ISO 8601 instant"),
        (["replay", "--as-of", "2031-07-01T00:00:00"], "no UTC offset"),
        (["replay", "--as-of", "2031-02-30"], "is not a date"),
        (["simulate", "--employers", "0", "--db", "sqlite://"], "--employers"),
        (["simulate", "--employers", "many", "--db", "sqlite://"], "--employers"),
        (["diagram", "--format", "png"], "--format"),
        (["verify", "--bogus"], "--bogus"),
        (["sweep", "--db"], "--db"),
        (["import", "--db", "sqlite://"], "--log"),
        (["export", "--db", "sqlite://"], "--out"),
        (["nonexistent-command"], "nonexistent-command"),
        (["db", "downgrade"], "downgrade"),
    ],
)
def test_bad_arguments_give_exit_2_and_one_line(
    runner: CliRunner, args: list[str], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_input_error(run(runner, *args), words)


def test_verify_of_a_database_without_the_tables_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    other = tmp_path / "other.sqlite"
    other.write_bytes(b"")
    assert_input_error(run(runner, "verify", "--db", f"sqlite:///{other}"), "no choice_workflow")


def test_verify_of_a_file_that_is_not_a_database_is_an_input_error(
    runner: CliRunner, log: Path
) -> None:
    assert_input_error(run(runner, "verify", "--db", f"sqlite:///{log}"), "not a database")


# -- export ------------------------------------------------------------------------------


def test_export_writes_a_log_that_verifies_against_the_root(
    runner: CliRunner, db: str, sealed: Sealed, tmp_path: Path
) -> None:
    out = tmp_path / "audit" / "log.jsonl"
    out.parent.mkdir()
    result = run(runner, "export", "--db", db, "--out", out)
    assert 0 == result.exit_code, result.output
    assert f"to {out}" in result.stdout
    assert [out] == list(out.parent.iterdir())  # no partial file left beside it
    assert sealed.log.read_bytes() == out.read_bytes()
    assert 0 == run(runner, "verify", "--log", out, "--root", sealed.root).exit_code


def test_export_json_counts_the_events(runner: CliRunner, db: str, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    doc = document(run(runner, "export", "--db", db, "--out", out, "--json"))
    assert len(out.read_bytes().splitlines()) - 1 == doc["events"]


def test_export_into_a_missing_directory_is_an_input_error(
    runner: CliRunner, db: str, tmp_path: Path
) -> None:
    result = run(runner, "export", "--db", db, "--out", tmp_path / "nowhere" / "log.jsonl")
    assert_input_error(result, "No such file or directory")


# -- import ------------------------------------------------------------------------------


def test_import_of_an_export_rebuilds_a_program_that_verifies(
    runner: CliRunner, log: Path, sealed: Sealed, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    result = run(runner, "import", "--log", log, "--db", url, "--root", sealed.root)
    assert 0 == result.exit_code, result.output
    assert f"imported {log} into {url}" in result.stdout
    assert 0 == run(runner, "verify", "--db", url, "--root", sealed.root).exit_code


def test_import_json_reports_the_imported_log(
    runner: CliRunner, log: Path, sealed: Sealed, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    doc = document(run(runner, "import", "--log", log, "--db", url, "--json"))
    assert doc["ok"]
    assert sealed.grants == doc["grants"]


def test_import_of_a_tampered_log_is_refused_and_writes_nothing(
    runner: CliRunner, log: Path, tmp_path: Path
) -> None:
    flip_a_digit(log)
    url = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    assert_input_error(run(runner, "import", "--log", log, "--db", url), "integrity finding")
    store = SqlStore(url)
    assert [] == list(store.stored_events())
    store.dispose()


def test_a_refused_import_leaves_no_new_file_behind(
    runner: CliRunner, log: Path, tmp_path: Path
) -> None:
    flip_a_digit(log)
    path = tmp_path / "new.sqlite"
    assert_input_error(
        run(runner, "import", "--log", log, "--db", f"sqlite:///{path}"), "integrity"
    )
    assert [] == sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("new.sqlite"))


def test_a_refused_import_leaves_no_tables_in_a_database_that_had_none(
    runner: CliRunner, log: Path, tmp_path: Path
) -> None:
    flip_a_digit(log)
    path = tmp_path / "theirs.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    url = f"sqlite:///{path}"
    assert_input_error(
        run(runner, "import", "--log", log, "--db", url, "--prefix", "cw_"), "integrity"
    )
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert ["notes"] == tables


def test_import_with_a_root_that_no_seal_has_is_refused(
    runner: CliRunner, log: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'imported.sqlite'}"
    result = run(runner, "import", "--log", log, "--db", url, "--root", "f" * 64)
    assert_input_error(result, "root")


def test_import_into_a_database_that_holds_events_is_refused(
    runner: CliRunner, log: Path, db: str
) -> None:
    assert_input_error(run(runner, "import", "--log", log, "--db", db), "already holds events")


# -- diagram -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "first_line"),
    [([], "stateDiagram-v2"), (["--format", "mermaid"], "stateDiagram-v2"), (["--format", "dot"], "digraph grant_lifecycle {")],
)  # fmt: skip
def test_diagram_prints_the_lifecycle(runner: CliRunner, args: list[str], first_line: str) -> None:
    result = run(runner, "diagram", *args)
    assert 0 == result.exit_code
    assert first_line == result.stdout.splitlines()[0]
    assert "[15(j)]" in result.stdout  # cites printed as they are, not read as markup


def test_diagram_json_holds_the_diagram_text(runner: CliRunner) -> None:
    from choice_workflow.lifecycle.diagram import diagram

    doc = document(run(runner, "diagram", "--format", "dot", "--json"))
    assert {"format": "dot", "diagram": diagram("dot")} == doc


@pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz is not installed here",
)
def test_diagram_as_svg_is_drawn_by_graphviz_with_every_state(runner: CliRunner) -> None:
    from xml.etree import ElementTree

    from choice_workflow.domain.state import State

    result = run(runner, "diagram", "--format", "svg")
    assert 0 == result.exit_code, result.output
    root = ElementTree.fromstring(result.stdout.encode())  # noqa: S314 - what our own Graphviz call drew
    assert root.tag.endswith("svg")
    drawn = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert all(s.value in drawn for s in State)
    assert "record_technical_assistance [90]" in drawn  # a loop's labels, one line each


def test_diagram_as_svg_without_graphviz_says_what_to_install(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without Graphviz's dot
    result = run(runner, "diagram", "--format", "svg")
    assert 2 == result.exit_code
    assert "apt install graphviz" in result.output
    assert "Traceback" not in result.output


# -- db upgrade --------------------------------------------------------------------------


def test_db_upgrade_creates_the_tables_once(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    first = run(runner, "db", "upgrade", "--db", url)
    assert 0 == first.exit_code, first.output
    assert "schema at revision" in first.stdout
    again = document(run(runner, "db", "upgrade", "--db", url, "--json"))
    assert again["revision"] is not None
    empty = document(run(runner, "verify", "--db", url, "--json"))
    assert 0 == empty["events"]


def test_db_upgrade_with_a_prefix_places_tables_that_need_the_prefix(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    doc = document(run(runner, "db", "upgrade", "--db", url, "--prefix", "cw_", "--json"))
    assert "cw_" == doc["prefix"]
    simulated = run(runner, "simulate", "--employers", "1", "--db", url, "--prefix", "cw_")
    assert 0 == simulated.exit_code, simulated.output
    assert 0 == run(runner, "verify", "--db", url, "--prefix", "cw_").exit_code
    assert_input_error(run(runner, "verify", "--db", url), "no choice_workflow tables")


def test_db_upgrade_of_an_unopenable_sqlite_path_is_an_input_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.sqlite'}"
    assert_input_error(run(runner, "db", "upgrade", "--db", url), "cannot upgrade")


def test_db_upgrade_with_roles_on_sqlite_is_a_usage_error_and_creates_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "roles.sqlite"
    result = run(runner, "db", "upgrade", "--roles", "--db", f"sqlite:///{path}")
    assert_input_error(result, "--roles needs a PostgreSQL database")
    assert not path.exists()


def test_db_upgrade_with_roles_and_a_prefix_that_is_not_an_identifier_is_refused_first(
    runner: CliRunner,
) -> None:
    # Refused before any connection: the URL reaches nothing.
    result = run(runner, "db", "upgrade", "--roles", "--db", UNREACHABLE, "--prefix", "cw-")
    assert_input_error(result, "'cw-' is not a table prefix")


def test_db_upgrade_with_roles_creates_the_roles_with_their_grants(
    pg_url: str, runner: CliRunner
) -> None:
    import sqlalchemy as sa

    args = ["db", "upgrade", "--roles", "--db", pg_url, "--prefix", "cli_roles_"]
    doc = document(run(runner, *args, "--json"))
    assert {"app": "choice_workflow_app", "auditor": "choice_workflow_auditor"} == doc["roles"]
    again = run(runner, *args)
    assert 0 == again.exit_code, again.output
    assert "roles: choice_workflow_app" in again.stdout
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                    "WHERE table_name = 'cli_roles_events' AND grantee LIKE 'choice_workflow_%'"
                )
            ).all()
    finally:
        engine.dispose()
    assert {
        ("choice_workflow_app", "INSERT"),
        ("choice_workflow_app", "SELECT"),
        ("choice_workflow_auditor", "SELECT"),
    } == {(str(r[0]), str(r[1])) for r in rows}


# -- passwords, progress, defects --------------------------------------------------------

DB_COMMANDS = [
    ["simulate", "--employers", "1"],
    ["sweep"],
    ["seal"],
    ["replay"],
    ["verify"],
    ["export", "--out", "out.jsonl"],
    ["import", "--log", "LOG"],
    ["db", "upgrade"],
]


@pytest.mark.parametrize("args", DB_COMMANDS, ids=[" ".join(a[:2]) for a in DB_COMMANDS])
@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_a_password_in_a_database_url_never_shows(
    runner: CliRunner,
    args: list[str],
    json_flag: list[str],
    log: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [str(log) if a == "LOG" else a for a in args]
    result = run(runner, *args, "--db", UNREACHABLE, *json_flag)
    assert_input_error(result, "auditor:***@127.0.0.1")
    assert PASSWORD not in result.output


def test_a_password_from_the_environment_never_shows(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHOICE_WORKFLOW_DB", UNREACHABLE)
    result = run(runner, "verify")
    assert_input_error(result, "***")
    assert PASSWORD not in result.output


def test_a_password_in_a_url_that_does_not_parse_never_shows(runner: CliRunner) -> None:
    result = run(runner, "seal", "--db", f"postgresql://auditor:{PASSWORD}@host:port/db")
    assert_input_error(result, "not a database URL")
    assert PASSWORD not in result.output


def test_a_defect_exits_70_with_a_masked_traceback(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from choice_workflow._cli import diagram as diagram_module

    def broken(_format: str) -> str:
        raise RuntimeError(f"cannot reach postgresql://auditor:{PASSWORD}@db/grants")

    monkeypatch.setattr(diagram_module, "draw", broken)
    result = run(runner, "diagram")
    assert 70 == result.exit_code
    assert "Traceback" in result.stderr
    assert "internal error (RuntimeError)" in result.stderr.splitlines()[-1]
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--employers", "2", "--db", "NEW"],
        ["replay", "--log", "LOG"],
        ["verify", "--log", "LOG"],
        ["export", "--db", "DB", "--out", "OUT"],
        ["import", "--log", "LOG", "--db", "NEW"],
    ],
    ids=["simulate", "replay", "verify", "export", "import"],
)
def test_progress_goes_to_a_terminal_stderr_and_leaves_stdout_alone(
    runner: CliRunner,
    args: list[str],
    db: str,
    log: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fill(values: Sequence[str], out: str) -> list[str]:
        names = {"NEW": f"sqlite:///{tmp_path / out}", "LOG": str(log), "DB": db}
        return [names.get(v, str(tmp_path / f"{out}.jsonl") if v == "OUT" else v) for v in values]

    quiet = run(runner, *fill(args, "quiet.sqlite"), "--json")
    monkeypatch.setattr(cli_output, "stderr_is_terminal", lambda: True)
    with_json = run(runner, *fill(args, "json.sqlite"), "--json")
    drawn = run(runner, *fill(args, "drawn.sqlite"))
    assert 0 == quiet.exit_code == with_json.exit_code == drawn.exit_code, drawn.output
    assert "" == with_json.stderr  # never progress with --json, even on a terminal
    assert document(quiet).keys() == document(with_json).keys()
    assert drawn.stdout.strip()


def test_without_a_terminal_nothing_goes_to_stderr(runner: CliRunner, log: Path) -> None:
    result = run(runner, "verify", "--log", log)
    assert 0 == result.exit_code
    assert "" == result.stderr


# -- real processes: one per command -----------------------------------------------------


def _process(
    args: Sequence[str | Path], cwd: Path, *, frozen: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CHOICE_WORKFLOW_DB"}
    # A child whose system clock is ``frozen`` (freezegun, started before the CLI runs).
    start = (
        []
        if frozen is None
        else [
            "-c",
            "import sys; from freezegun import freeze_time; freeze_time(sys.argv.pop(1)).start(); "
            "from choice_workflow.cli import main; sys.argv[0] = 'choice-workflow'; main()",
            frozen,
        ]
    )
    return subprocess.run(
        [sys.executable, *(start or ["-m", "choice_workflow.cli"]), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


PROCESSES: list[tuple[str, list[str], int, str]] = [
    ("demo", ["demo", "--employers", "2", "--out", "demo"], 0, " 0 findings"),
    ("simulate", ["simulate", "--employers", "2", "--db", "NEW"], 0, "Simulated: 2 employers"),
    ("sweep", ["sweep", "--db", "DB"], 0, "0 approvals forfeited"),
    ("seal", ["seal", "--db", "DB"], 0, ""),
    ("replay", ["replay", "--log", "LOG"], 0, "0 findings"),
    ("verify", ["verify", "--log", "TAMPERED"], 1, "broken_chain"),
    ("export", ["export", "--db", "DB", "--out", "out.jsonl"], 0, "exported"),
    ("import", ["import", "--log", "TAMPERED", "--db", "NEW"], 2, "integrity finding"),
    ("diagram", ["diagram", "--format", "dot"], 0, "digraph grant_lifecycle"),
    ("db upgrade", ["db", "upgrade", "--db", "NEW", "--json"], 0, '"revision"'),
    (
        "report",
        [
            "report",
            "--log",
            "LOG",
            "--kind",
            "final",
            "--format",
            "json",
            "--out",
            "r.json",
            "--as-of",
            "2031-07-01T00:00:00-05:00",
        ],
        0,
        "final report (20(b))",
    ),
]


@pytest.mark.parametrize(
    ("args", "code", "words"), [p[1:] for p in PROCESSES], ids=[p[0] for p in PROCESSES]
)
def test_each_command_runs_as_a_real_process(
    args: list[str], code: int, words: str, db: str, log: Path, tmp_path: Path
) -> None:
    tampered = Path(shutil.copy(log, tmp_path / "tampered.jsonl"))
    flip_a_digit(tampered)
    names = {
        "DB": db,
        "NEW": f"sqlite:///{tmp_path / 'new.sqlite'}",
        "LOG": str(log),
        "TAMPERED": str(tampered),
    }
    frozen = AFTER_THE_SIMULATION if args[0] == "seal" else None
    done = _process([names.get(a, a) for a in args], tmp_path, frozen=frozen)
    assert code == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    if code == 2:
        assert 1 == len(done.stderr.strip().splitlines())
        assert words in done.stderr
    else:
        assert words in done.stdout
    if args[0] == "seal":
        assert is_root(done.stdout.strip())


def test_the_installed_script_runs() -> None:
    script = Path(sys.executable).with_name("choice-workflow")
    if not script.exists():
        pytest.skip("the package is not installed in this interpreter's environment")
    done = subprocess.run(
        [str(script), "diagram"], capture_output=True, text=True, timeout=120, check=False
    )
    assert 0 == done.returncode, done.stderr
    assert done.stdout.startswith("stateDiagram-v2")


# -- PostgreSQL: a password in a URL that connects ---------------------------------------


def _frozen(at: str, run_: Any, *args: Any) -> Any:
    with freeze_time(at):
        return run_(*args)


def test_a_password_in_a_working_postgres_url_never_shows(
    pg_url: str, runner: CliRunner, tmp_path: Path
) -> None:
    # The test server trusts local connections, so a URL with a password connects.
    url = make_url(pg_url).set(password=PASSWORD).render_as_string(hide_password=False)
    out = tmp_path / "pg.jsonl"
    results = [
        run(runner, "db", "upgrade", "--db", url, "--prefix", "cli_"),
        run(runner, "simulate", "--employers", "2", "--db", url, "--prefix", "cli_"),
        run(runner, "sweep", "--db", url, "--prefix", "cli_"),
        _frozen(
            AFTER_THE_SIMULATION, run, runner, "seal", "--db", url, "--prefix", "cli_", "--json"
        ),
        run(runner, "verify", "--db", url, "--prefix", "cli_"),
        run(runner, "replay", "--db", url, "--prefix", "cli_", "--json"),
        run(runner, "export", "--db", url, "--prefix", "cli_", "--out", out),
        run(runner, "import", "--log", out, "--db", url, "--prefix", "cli_copy_"),
        run(runner, "import", "--log", out, "--db", url, "--prefix", "cli_copy_"),
    ]
    assert [0, 0, 0, 0, 0, 0, 0, 0, 2] == [r.exit_code for r in results], results[-2].output
    for result in results:
        assert PASSWORD not in result.output
    assert "***" in results[1].stdout


# -- docs --------------------------------------------------------------------------------


def test_every_command_is_documented_with_its_exit_codes() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    names = [n for n in sorted(cli.commands) if n != "db"] + ["db upgrade"]
    for name in names:
        assert f"## `choice-workflow {name}`" in page, name
        section = page.split(f"## `choice-workflow {name}`", 1)[1].split("\n## ", 1)[0]
        assert "```console" in section, name
        assert "Exit codes" in section, name


def test_verify_prints_findings_grouped_and_wrapped_between_words(
    runner: CliRunner, log: Path
) -> None:
    flip_a_digit(log)
    lines = log.read_bytes().split(b"\n")
    lines.insert(3, b"")  # a damaged line too
    log.write_bytes(b"\n".join(lines))
    result = runner.invoke(
        cli, ["verify", "--log", str(log)], catch_exceptions=False, terminal_width=80
    )
    assert 1 == result.exit_code
    out = result.stdout.splitlines()
    start = out.index(next(line for line in out if line.startswith("Findings of the log's")))
    end = next(i for i, line in enumerate(out) if line.startswith("verify:"))
    assert all(len(line) <= 80 for line in out[start:end])
    assert any(line.startswith("checked: hash chains and versions") for line in out)
    assert re.search(r"\d+ findings? \(\d+ of the log's integrity", result.stdout)


def test_findings_are_wrapped_only_between_words() -> None:
    from choice_workflow.audit import Finding, Kind

    long = "word " * 40 + "a_very_long_identifier_that_does_not_fit_anywhere_near_the_width_at_all"
    findings = [
        Finding(Kind.BROKEN_CHAIN, "the hash chain breaks", "G1", 2, 7),
        Finding(Kind.GUARD_FAILED, long.strip(), "G1", 3, 8, ("15(j)",)),
        Finding(Kind.NOT_JUDGED, "1 later event was not judged", "G1", 3, cause=0),
    ]
    text = cli_output.findings_text(findings, 60)
    assert [
        "Findings of the log's integrity (1)",
        "Findings of the Act (1)",
        "Findings of what could not be judged (1)",
    ] == [line for line in text if line.startswith("Findings")]
    act = text[
        text.index("Findings of the Act (1)") + 1 : text.index(
            "Findings of what could not be judged (1)"
        )
    ]
    assert f"#2 [15(j)] G1 v3 @8: {long.strip()}" == " ".join(line.strip() for line in act)
    assert all(len(line) <= 60 for line in act[:-1])
    assert text[-1].endswith("(follows #1)")


def test_the_demo_output_shown_in_the_docs_is_what_the_demo_prints(
    runner: CliRunner, tmp_path: Path
) -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()
    block = page.split("$ choice-workflow demo --employers 12 --out demo-output\n", 1)[1]
    shown = block.split("```", 1)[0].splitlines()
    out = tmp_path / "demo-output"
    result = runner.invoke(
        cli, ["demo", "--employers", "12", "--out", str(out)], catch_exceptions=False
    )
    assert 0 == result.exit_code, result.output
    printed = [
        line.rstrip() for line in result.stdout.replace(str(out), "demo-output").splitlines()
    ]
    root = re.compile(r"root [0-9a-f]{64}")
    assert [root.sub("root ROOT", line) for line in shown] == [
        root.sub("root ROOT", line) for line in printed
    ]
