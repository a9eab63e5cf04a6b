"""PostgreSQL roles (store/roles.sql): the application appends to the log and never
changes it, the auditor only reads, PUBLIC gets nothing, and the grants refuse on
their own, without the triggers.

Each role is used through a LOGIN role that is a member of it, as an agency would
(the throwaway server trusts local connections, so no password is needed).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from choice_workflow import Actor, Program, Role
from choice_workflow.audit import export_log, import_log, verify
from choice_workflow.demo import simulate
from choice_workflow.errors import InvalidInput
from choice_workflow.store.roles import (
    APP_ROLE,
    AUDITOR_ROLE,
    apply_roles,
    roles_sql,
    statements,
)
from choice_workflow.store.sql import SqlStore, StoreError, upgrade

pytestmark = pytest.mark.postgres

APP_LOGIN = "cw_test_app_login"
AUDITOR_LOGIN = "cw_test_auditor_login"
NOBODY_LOGIN = "cw_test_nobody_login"
PERMISSION_DENIED = "42501"
"""SQLSTATE insufficient_privilege."""
RAISED_BY_A_TRIGGER = "P0001"
"""SQLSTATE raise_exception: the append-only triggers' refusal."""

WITH_TRIGGERS = "raw_"
WITHOUT_TRIGGERS = "bare_"


def as_user(url: str, user: str) -> str:
    """``url`` with another user."""
    return make_url(url).set(username=user).render_as_string(hide_password=False)


def qualified(prefix: str, table: str) -> str:
    """A quoted table name of the test database (fixed names, no input)."""
    return f'"{prefix}{table}"'


@pytest.fixture(name="owner", scope="module")
def fixture_owner(pg_url: str) -> Iterator[Engine]:
    """The module's database as its owner (the superuser that runs the tests), with the
    tables under three prefixes, the roles applied to each, the triggers dropped under
    one, and a login role for the app, the auditor and nobody."""
    for prefix in ("", WITH_TRIGGERS, WITHOUT_TRIGGERS, "imp_"):
        upgrade(pg_url, prefix=prefix)
        apply_roles(pg_url, prefix=prefix)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f'DROP TRIGGER "{WITHOUT_TRIGGERS}events_no_update_delete" '
            f"ON {qualified(WITHOUT_TRIGGERS, 'events')}"
        )
        conn.exec_driver_sql(
            f'DROP TRIGGER "{WITHOUT_TRIGGERS}events_no_truncate" '
            f"ON {qualified(WITHOUT_TRIGGERS, 'events')}"
        )
        for login, member_of in (
            (APP_LOGIN, APP_ROLE),
            (AUDITOR_LOGIN, AUDITOR_ROLE),
            (NOBODY_LOGIN, None),
        ):
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": login}
            ).first()
            if exists is None:
                conn.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN')
            if member_of is not None:
                conn.exec_driver_sql(f'GRANT "{member_of}" TO "{login}"')
        for prefix in (WITH_TRIGGERS, WITHOUT_TRIGGERS):
            conn.execute(sa.text(insert_event(prefix)), event_row("owner"))
    yield engine
    engine.dispose()


def insert_event(prefix: str) -> str:
    """An INSERT of one made-up events row (the privileges, not the log, are tested)."""
    return (
        f"INSERT INTO {qualified(prefix, 'events')} (stream_id, version, type, schema_version, "
        "occurred_us, recorded_us, actor_id, actor_role, command_id, record, prev_hash, hash) "
        "VALUES (:stream, 1, 'Test', 1, 0, 0, 'tester', 'system', :stream, :record, :h, :h)"
    )


def event_row(stream: str) -> dict[str, object]:
    """The values of :func:`insert_event`."""
    return {"stream": stream, "record": b"{}", "h": "0" * 64}


@pytest.fixture(name="app")
def fixture_app(owner: Engine, pg_url: str) -> Iterator[Engine]:
    """The database as a login member of the app role."""
    engine = sa.create_engine(as_user(pg_url, APP_LOGIN))
    yield engine
    engine.dispose()


@pytest.fixture(name="auditor")
def fixture_auditor(owner: Engine, pg_url: str) -> Iterator[Engine]:
    """The database as a login member of the auditor role."""
    engine = sa.create_engine(as_user(pg_url, AUDITOR_LOGIN))
    yield engine
    engine.dispose()


def refused(engine: Engine, statement: str, params: dict[str, object] | None = None) -> str:
    """Run ``statement``; return the SQLSTATE of its refusal (fail if it ran)."""
    with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
        conn.execute(sa.text(statement), params or {})
    return str(getattr(caught.value.orig, "sqlstate", ""))


def runs(engine: Engine, statement: str, params: dict[str, object] | None = None) -> int:
    """Run ``statement`` in a transaction that is rolled back; return its rowcount."""
    with engine.connect() as conn, conn.begin() as tx:
        rowcount = conn.execute(sa.text(statement), params or {}).rowcount
        tx.rollback()
    return rowcount


CHANGES = {
    "UPDATE": "UPDATE {events} SET actor_id = 'forger'",
    "DELETE": "DELETE FROM {events}",
    "TRUNCATE": "TRUNCATE {events}",
}


# -- the app role ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix", [WITH_TRIGGERS, WITHOUT_TRIGGERS], ids=["triggers", "no triggers"]
)
def test_the_app_role_may_append_to_and_read_the_log(app: Engine, prefix: str) -> None:
    assert 1 == runs(app, insert_event(prefix), event_row("app"))
    with app.connect() as conn:
        count = conn.execute(sa.text(f"SELECT count(*) FROM {qualified(prefix, 'events')}"))
        assert 1 <= count.scalar_one()


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize(
    "prefix", [WITH_TRIGGERS, WITHOUT_TRIGGERS], ids=["triggers", "no triggers"]
)
def test_the_app_role_may_never_update_delete_or_truncate_the_log(
    app: Engine, prefix: str, change: str
) -> None:
    statement = CHANGES[change].format(events=qualified(prefix, "events"))
    assert PERMISSION_DENIED == refused(app, statement)


@pytest.mark.parametrize("change", CHANGES)
def test_without_triggers_only_the_grants_stand_between_the_log_and_a_change(
    owner: Engine, change: str
) -> None:
    # The owner's change goes through: the triggers are really gone under this prefix,
    # so the app role's refusal above comes from its grants alone.
    statement = CHANGES[change].format(events=qualified(WITHOUT_TRIGGERS, "events"))
    runs(owner, statement)
    with_triggers = CHANGES[change].format(events=qualified(WITH_TRIGGERS, "events"))
    assert RAISED_BY_A_TRIGGER == refused(owner, with_triggers)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {commands} SET first_position = 0",
        "DELETE FROM {commands}",
        "DELETE FROM {grants}",
        "TRUNCATE {grants}",
        "ALTER TABLE {events} DISABLE TRIGGER ALL",
        "DROP TRIGGER raw_events_no_update_delete ON {events}",
        "DROP TABLE {events}",
        "CREATE TABLE raw_mine (x int)",
    ],
)
def test_the_app_role_may_not_remove_the_log_s_defences(app: Engine, statement: str) -> None:
    names = {t: qualified(WITH_TRIGGERS, t) for t in ("events", "commands", "grants")}
    assert PERMISSION_DENIED == refused(app, statement.format(**names))


def test_a_program_runs_end_to_end_as_the_app_role(app: Engine, auditor: Engine) -> None:
    store = SqlStore(app)  # migrations at head: reading their version is enough
    program = simulate(2, 2030, store)
    program.sweep(Actor("nightly", Role.SYSTEM))
    root = program.seal(Actor("nightly", Role.SYSTEM))
    assert verify(store, expected_root=root).ok
    head = program.tree_head()  # the app role grows the log's tree
    audited_program = Program(SqlStore(auditor, migrate=False))
    assert head == audited_program.tree_head(head.size)  # the auditor reads its proofs
    audited = verify(SqlStore(auditor, migrate=False), expected_root=root)
    assert audited.ok
    assert len(program.grants()) == len(audited.grants)


def test_the_app_role_may_import_a_log_and_the_auditor_may_verify_it(
    app: Engine, auditor: Engine
) -> None:
    program = simulate(1, 2031)
    root = program.seal(Actor("nightly", Role.SYSTEM))
    exported = io.BytesIO()
    export_log(program.store.stored_events(), exported)
    exported.seek(0)
    import_log(exported, SqlStore(app, prefix="imp_", migrate=False), expected_root=root)
    assert verify(SqlStore(auditor, prefix="imp_", migrate=False), expected_root=root).ok


# -- the auditor role and PUBLIC ---------------------------------------------------------

TABLES = ("events", "commands", "tree", "grants", "employers", "applications", "cycles", "awards")


@pytest.mark.parametrize("table", [*TABLES, "alembic_version"])
def test_the_auditor_role_may_read_every_table(auditor: Engine, table: str) -> None:
    with auditor.connect() as conn:
        conn.execute(sa.text(f"SELECT * FROM {qualified(WITH_TRIGGERS, table)}")).all()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT",
        "UPDATE {events} SET actor_id = 'auditor'",
        "DELETE FROM {events}",
        "TRUNCATE {events}",
        "UPDATE {grants} SET state = 'evaluated'",
        "INSERT INTO {employers} (id, data) VALUES ('E', '{{}}')",
        "DELETE FROM {cycles}",
        "DELETE FROM {tree}",
    ],
)
def test_the_auditor_role_may_write_nothing(auditor: Engine, statement: str) -> None:
    names = {t: qualified(WITH_TRIGGERS, t) for t in TABLES}
    if statement == "INSERT":
        assert PERMISSION_DENIED == refused(auditor, insert_event(WITH_TRIGGERS), event_row("a"))
    else:
        assert PERMISSION_DENIED == refused(auditor, statement.format(**names))


@pytest.mark.parametrize("table", TABLES)
def test_a_role_of_neither_may_read_anything(owner: Engine, pg_url: str, table: str) -> None:
    nobody = sa.create_engine(as_user(pg_url, NOBODY_LOGIN))
    try:
        statement = f"SELECT * FROM {qualified(WITH_TRIGGERS, table)}"
        assert PERMISSION_DENIED == refused(nobody, statement)
    finally:
        nobody.dispose()


# -- applying the roles ------------------------------------------------------------------


def _grants(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT grantee, table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee IN (:app, :auditor, 'PUBLIC') ORDER BY 1, 2, 3"
            ),
            {"app": APP_ROLE, "auditor": AUDITOR_ROLE},
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def test_applying_the_roles_again_resets_the_grants_to_the_same(owner: Engine, pg_url: str) -> None:
    before = _grants(owner)
    with owner.begin() as conn:
        conn.exec_driver_sql(f"GRANT DELETE ON {qualified(WITH_TRIGGERS, 'events')} TO PUBLIC")
        conn.exec_driver_sql(
            f'GRANT UPDATE ON {qualified(WITH_TRIGGERS, "events")} TO "{APP_ROLE}"'
        )
    apply_roles(pg_url, prefix=WITH_TRIGGERS)
    assert before == _grants(owner)
    assert ("choice_workflow_app", "raw_events", "UPDATE") not in before


def test_the_roles_are_created_without_login(owner: Engine) -> None:
    with owner.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN (:a, :b)"),
            {"a": APP_ROLE, "b": AUDITOR_ROLE},
        ).all()
    assert {(APP_ROLE, False), (AUDITOR_ROLE, False)} == {(r[0], r[1]) for r in rows}


def test_roles_in_a_schema_get_the_schema_too(owner: Engine, pg_url: str, auditor: Engine) -> None:
    with owner.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS grants_schema")
    upgrade(pg_url, schema="grants_schema")
    apply_roles(pg_url, schema="grants_schema")
    with auditor.connect() as conn:
        conn.execute(sa.text('SELECT * FROM "grants_schema"."events"')).all()


def test_applying_the_roles_as_the_app_role_is_refused_with_a_store_error(
    app: Engine, owner: Engine
) -> None:
    # The app role holds rights on the tables but no grant option: PostgreSQL would only
    # warn, so apply_roles refuses unless run by the tables' owner.
    before = _grants(owner)
    with pytest.raises(StoreError, match="only the owner of the tables"):
        apply_roles(app)
    assert before == _grants(owner)


@pytest.mark.parametrize(
    ("names", "field"),
    [
        ({"app_role": 'app"; DROP TABLE events; --'}, "app_role"),
        ({"auditor_role": "Auditor"}, "auditor_role"),
        ({"app_role": "pg_read_all_data"}, "app_role"),
        ({"app_role": "x" * 64}, "app_role"),
        ({"app_role": "same", "auditor_role": "same"}, "auditor_role"),
        ({"prefix": "cw-"}, "prefix"),
        ({"schema": 'grants"."x'}, "schema"),
    ],
    ids=["injection", "upper case", "pg_", "too long", "the same", "prefix", "schema"],
)
def test_a_name_that_is_not_a_plain_identifier_is_refused_before_any_sql(
    names: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_roles("sqlite://", **names)  # refused before the URL is even opened
    assert field in {p.field for p in caught.value.problems}


def test_roles_on_sqlite_are_a_store_error() -> None:
    with pytest.raises(StoreError, match="roles are a PostgreSQL feature"):
        apply_roles("sqlite://")


def test_the_roles_file_is_shipped_and_splits_into_its_statements() -> None:
    found = statements(roles_sql())
    assert all(s.startswith("DO $$") and s.endswith("$$;") for s in found[:2])
    assert "GRANT SELECT, INSERT ON {events}, {commands}, {tree} TO {app};" in found


def test_the_roles_file_grants_nothing_but_select_and_insert_on_the_log() -> None:
    for statement in statements(roles_sql()):
        if statement.startswith("GRANT") and "{events}" in statement:
            privileges = statement.removeprefix("GRANT").split(" ON ")[0]
            assert {"SELECT", "INSERT"} >= {p.strip() for p in privileges.split(",")}
