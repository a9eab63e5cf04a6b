"""Secrets: a database password never shows, and no SQL is built from values by
string formatting.

Every command of the CLI (found by walking the click groups, so that a new command is
covered without a new test), in this process and in a real one, and the library's own
errors (SqlStore, upgrade, apply_roles) are run with URLs that hold a distinctive
password; stdout, stderr, every log record of SQLAlchemy, alembic and choice_workflow
at DEBUG, and every exception's message, repr and chained causes are searched for it.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from choice_workflow import Actor, Role
from choice_workflow.audit import export_log
from choice_workflow.cli import cli
from choice_workflow.demo import simulate
from choice_workflow.errors import ChoiceWorkflowError
from choice_workflow.store.roles import apply_roles
from choice_workflow.store.sql import SqlStore, StoreError, upgrade

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "choice_workflow"

PASSWORD = "Sw0rdf1sh-never-printed-7f3a"  # noqa: S105 - made up; the output must hide it
ODD_PASSWORD = "p@ss:w/rd%never-shown"  # noqa: S105 - needs percent-encoding in a URL
"""A password with the characters a URL must encode: neither its encoded nor its
decoded form may show."""
SECRETS = (PASSWORD, ODD_PASSWORD, quote(ODD_PASSWORD, safe=""))

UNREACHABLE = [
    f"postgresql+psycopg://auditor:{PASSWORD}@127.0.0.1:1/grants",
    f"postgresql+psycopg://auditor:{quote(ODD_PASSWORD, safe='')}@127.0.0.1:1/grants",
    f"postgresql+psycopg://auditor:{PASSWORD}@127.0.0.1:99999/grants",
    f"postgresql://auditor:{PASSWORD}@host:port/grants",
    f"mysql://auditor:{PASSWORD}@127.0.0.1/grants",
]
"""URLs that hold a password and reach nothing: a refused port, an out-of-range port,
a port that does not parse, a driver that is not installed."""
URL_IDS = ["refused", "encoded", "port", "unparsed", "driver"]

LOGGERS = ("sqlalchemy", "alembic", "choice_workflow", "psycopg")


def leaks(text: str) -> list[str]:
    """The secrets in ``text``."""
    return [s for s in SECRETS if s in text]


def exception_texts(exc: BaseException) -> Iterator[str]:
    """What an exception can show: its traceback as printed, and the message and repr of
    it and of every exception chained to it, shown or suppressed."""
    yield "".join(traceback.format_exception(exc))
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(getattr(current, "args", ()))
        todo += [current.__cause__, current.__context__]


@pytest.fixture(name="logs")
def fixture_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record of the database libraries and of choice_workflow, at DEBUG.

    SQLAlchemy decides when an engine is created whether to log: the levels are set
    before any engine of the test exists."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_no_secret_logged(logs: pytest.LogCaptureFixture) -> None:
    """Neither the formatted log nor any record's arguments hold a secret."""
    assert [] == leaks(logs.text)
    for record in logs.records:
        assert [] == leaks(record.getMessage() + repr(record.args)), record.name


# -- the command line --------------------------------------------------------------------


def commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command, groups walked."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


def command_of(path: tuple[str, ...]) -> click.Command:
    """The click command at ``path``."""
    found: click.Command = cli
    for name in path:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    return found


DB_COMMANDS = [p for p in commands() if any(param.name == "db" for param in command_of(p).params)]


def arguments(path: tuple[str, ...], url: str, files: dict[str, str]) -> list[str]:
    """The command line of ``path`` on ``url``, with its required options filled in."""
    args = [*path, "--db", url]
    for param in command_of(path).params:
        if isinstance(param, click.Option) and param.required:
            assert param.name in files, f"give the test a value for {path} --{param.name}"
            args += [f"--{param.name}", files[param.name]]
    return args


@pytest.fixture(name="files")
def fixture_files(tmp_path: Path) -> dict[str, str]:
    """Values for required options: an exported log to read, a file to write."""
    program = simulate(1, 2030)
    program.seal(Actor("nightly", Role.SYSTEM))
    log = tmp_path / "log.jsonl"
    with log.open("wb") as handle:
        export_log(program.store.stored_events(), handle)
    return {"log": str(log), "out": str(tmp_path / "out.file"), "state": str(tmp_path / "m.json")}


def test_every_database_command_is_covered() -> None:
    assert ("db", "upgrade") in DB_COMMANDS
    assert {
        "simulate",
        "sweep",
        "seal",
        "replay",
        "verify",
        "export",
        "import",
        "report",
        "checkpoint",
        "monitor",
    } <= {p[-1] for p in DB_COMMANDS}


@pytest.mark.parametrize("path", DB_COMMANDS, ids=[" ".join(p) for p in DB_COMMANDS])
def test_no_command_shows_a_password_of_a_database_it_cannot_reach(
    path: tuple[str, ...],
    files: dict[str, str],
    logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    for url in UNREACHABLE:
        for extra in ([], ["--json"]):
            result = runner.invoke(cli, [*arguments(path, url, files), *extra])
            assert 2 == result.exit_code, result.output
            assert [] == leaks(result.stdout + result.stderr), result.stderr
    monkeypatch.setenv("CHOICE_WORKFLOW_DB", UNREACHABLE[0])
    from_env = runner.invoke(
        cli, [p for p in arguments(path, "X", files) if p not in ("--db", "X")]
    )
    assert 2 == from_env.exit_code, from_env.output
    assert [] == leaks(from_env.stdout + from_env.stderr)
    assert_no_secret_logged(logs)


def test_db_upgrade_with_roles_shows_no_password_of_a_database_it_cannot_reach(
    logs: pytest.LogCaptureFixture,
) -> None:
    for url in UNREACHABLE:
        result = CliRunner().invoke(cli, ["db", "upgrade", "--roles", "--db", url])
        assert 2 == result.exit_code
        assert [] == leaks(result.stdout + result.stderr)
    assert_no_secret_logged(logs)


def test_no_command_shows_the_password_of_a_postgresql_database_it_works_on(
    pg_url: str, files: dict[str, str], logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # The test server trusts local connections: a URL with a password connects.
    url = make_url(pg_url).set(password=ODD_PASSWORD).render_as_string(hide_password=False)
    assert quote(ODD_PASSWORD, safe="") in url
    runner = CliRunner()
    run = [
        ["db", "upgrade", "--roles", "--db", url, "--prefix", "sec_"],
        ["simulate", "--employers", "1", "--db", url, "--prefix", "sec_"],
    ]
    run += [
        [*arguments(p, url, files), "--prefix", "sec_"]
        for p in DB_COMMANDS
        if p[-1] not in ("simulate", "import")
    ]
    run += [["import", "--log", files["log"], "--db", url, "--prefix", "sec_copy_"]]
    for args in run:
        for extra in ([], ["--json"]):
            result = runner.invoke(cli, [*args, *extra])
            assert result.exit_code in (0, 1, 2), result.output
            assert [] == leaks(result.stdout + result.stderr), args
    assert_no_secret_logged(logs)


def test_a_real_process_shows_no_password(tmp_path: Path) -> None:
    # The URL from the environment, with the password that needs encoding.
    env = {**os.environ, "CHOICE_WORKFLOW_DB": UNREACHABLE[1]}
    done = subprocess.run(
        [sys.executable, "-m", "choice_workflow.cli", "db", "upgrade", "--roles"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert 2 == done.returncode, done.stderr
    assert "auditor:***@127.0.0.1" in done.stderr
    assert [] == leaks(done.stdout + done.stderr)


# -- the library's errors ----------------------------------------------------------------

LIBRARY_CALLS: dict[str, Callable[[str], object]] = {
    "SqlStore": SqlStore,
    "SqlStore without migrations": lambda url: SqlStore(url, migrate=False).stored_events(),
    "upgrade": upgrade,
    "apply_roles": apply_roles,
}


@pytest.mark.parametrize("call", LIBRARY_CALLS)
@pytest.mark.parametrize("url", UNREACHABLE, ids=URL_IDS)
def test_no_error_of_the_library_holds_a_password(
    call: str, url: str, logs: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(Exception) as caught:  # noqa: PT011, PT012 - any error, whether the call or the first read raises it: its text is what is checked
        result = LIBRARY_CALLS[call](url)
        if isinstance(result, Iterator):
            next(result)
    for text in exception_texts(caught.value):
        assert [] == leaks(text)
    assert_no_secret_logged(logs)


@pytest.mark.parametrize(
    ("call", "url"),
    [
        pytest.param(
            call,
            url,
            id=f"{call}-{name}",
            marks=(),
        )
        for call in ("SqlStore", "apply_roles")
        for name, url in zip(URL_IDS, UNREACHABLE, strict=True)
    ],
)
def test_a_database_that_cannot_be_used_is_a_store_error(call: str, url: str) -> None:
    with pytest.raises(StoreError):
        LIBRARY_CALLS[call](url)


def test_an_error_as_a_role_without_rights_holds_no_password(
    pg_url: str, logs: pytest.LogCaptureFixture
) -> None:
    upgrade(pg_url, prefix="sec_roles_")
    url = make_url(pg_url).set(username="cw_test_no_rights", password=PASSWORD)
    owner = SqlStore(pg_url, prefix="sec_roles_", migrate=False)
    assert owner.engine is not None
    with owner.engine.begin() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = 'cw_test_no_rights'"
        ).first()
        if exists is None:
            conn.exec_driver_sql('CREATE ROLE "cw_test_no_rights" LOGIN')
    owner.dispose()
    with pytest.raises(ChoiceWorkflowError) as caught:
        apply_roles(url.render_as_string(hide_password=False), prefix="sec_roles_")
    assert "permission denied" in str(caught.value) or "must be" in str(caught.value)
    for text in exception_texts(caught.value):
        assert [] == leaks(text)
    assert_no_secret_logged(logs)


# -- no SQL built from values by string formatting ---------------------------------------

SQL_START = re.compile(
    r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|LOCK|GRANT|REVOKE|TRUNCATE|BEGIN|"
    r"PRAGMA|SET|WITH|DO|COPY|VACUUM|ANALYZE|EXPLAIN)\b"
)
SQL_CALLS = {"execute", "executemany", "executescript", "exec_driver_sql", "text", "SQL"}
ALLOWED = {
    ("store/schema.py", "name"),
    ("store/schema.py", "qualified"),
    ("store/schema.py", "fn"),
}
"""Interpolations into SQL text that are identifiers of the schema: the events table's
name and its schema-qualified forms, built from the prefix and schema (see
test_a_prefix_or_schema_that_is_not_an_identifier_is_refused)."""


def _constant_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
        value = node.value
        return value.decode(errors="replace") if isinstance(value, bytes) else value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def formatted_sql(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, interpolated expression) for every SQL text built by formatting: an
    f-string, ``%`` or ``str.format()`` whose text starts like SQL, and any formatted or
    concatenated string handed to execute(), exec_driver_sql(), text() or SQL().
    psycopg's ``sql.SQL(...).format(...)`` quotes what it composes: not formatting."""
    handed = {
        id(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and getattr(node.func, "attr", getattr(node.func, "id", "")) in SQL_CALLS
    }
    for node in ast.walk(tree):
        text: str | None
        if isinstance(node, ast.JoinedStr):
            text = _constant_text(node)
            values = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            text = _constant_text(node.left)
            values = [node.right]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            text = "" if id(node) in handed else None
            values = [v for v in (node.left, node.right) if _constant_text(v) is None]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
        ):
            text = _constant_text(node.func.value)
            values = [*node.args, *(k.value for k in node.keywords)]
        else:
            continue
        if text is None or not values:
            continue
        if id(node) in handed or SQL_START.match(text):
            for value in values:
                yield node.lineno, ast.unparse(value)


def test_no_sql_of_the_package_is_built_by_formatting_values() -> None:
    found = []
    allowed = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for line, expr in formatted_sql(ast.parse(path.read_text(encoding="utf-8"))):
            if (where, expr) in ALLOWED:
                allowed.add((where, expr))
            else:
                found.append(f"{where}:{line}: {{{expr}}}")
    assert [] == found
    assert ALLOWED == allowed  # an entry no code needs any more goes


def test_the_sql_formatting_check_finds_what_it_looks_for() -> None:
    code = """
conn.execute(f"SELECT * FROM t WHERE id = {user_id}")
conn.exec_driver_sql("DELETE FROM t WHERE id = %s" % user_id)
sa.text("UPDATE t SET a = {}".format(value))
statement = f"INSERT INTO t VALUES ('{name}')"
conn.execute("SELECT 1 FROM t WHERE a = " + value)
conn.execute(sa.text("SELECT 1 FROM t WHERE a = :a"), {"a": value})
message = f"cannot open {url}"
"""
    assert [
        (2, "user_id"),
        (3, "user_id"),
        (4, "value"),
        (5, "name"),
        (6, "value"),
    ] == sorted(formatted_sql(ast.parse(code)))


@pytest.mark.parametrize(
    ("prefix", "schema"),
    [('cw"; DROP TABLE x; --', None), ("", 'grants"."x'), ("cw-", None)],
    ids=["quote in prefix", "quote in schema", "dash in prefix"],
)
def test_a_prefix_or_schema_that_is_not_an_identifier_is_refused(
    prefix: str, schema: str | None
) -> None:
    from choice_workflow.store.schema import make_tables

    try:
        make_tables(prefix, schema)
    except (ChoiceWorkflowError, ValueError):
        return
    raise AssertionError(f"make_tables accepted prefix {prefix!r}, schema {schema!r}")


# -- the Department's signing key ----------------------------------------------------------


def test_no_command_shows_the_signing_key_whatever_fails(
    files: dict[str, str], logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    from choice_workflow.events.checkpoint import Signer

    signer = Signer.generate("dol.illinois.gov/choice-workflow")
    secret = signer.text().split("+", 4)[4]  # PRIVATE+KEY+<name>+<hash>+<key data>
    key = tmp_path / "dol.key"
    key.write_text(signer.text() + "\n")
    broken = tmp_path / "broken.key"
    broken.write_text(signer.text()[:-6] + "!!!!!!\n")
    monkeypatch.setenv("CHOICE_WORKFLOW_SEAL_KEY", str(key))
    runner = CliRunner()
    shown = []
    for path in DB_COMMANDS:
        result = runner.invoke(cli, arguments(path, UNREACHABLE[0], files))
        shown.append(result.stdout + result.stderr)
    for key_file in (key, broken):
        result = runner.invoke(cli, ["seal", "--db", UNREACHABLE[0], "--key", str(key_file)])
        assert 2 == result.exit_code
        shown.append(result.stdout + result.stderr)
    assert [] == [text for text in shown if secret in text or secret[:16] in text]
    assert [] == [r.getMessage() for r in logs.records if secret[:16] in r.getMessage()]
