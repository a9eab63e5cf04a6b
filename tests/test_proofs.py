"""The log's Merkle tree in the stores: one tree over the whole log in position order
(gaps in the positions included), the same from a rebuild, an older database upgraded,
and proofs for any older size."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

import choice_workflow.store.sql as sql_module
from choice_workflow import Actor, InvalidInput, ManualClock, Program, Role
from choice_workflow.audit import export_log, import_log
from choice_workflow.events.chain import merkle_root
from choice_workflow.simulate import simulate
from choice_workflow.store.base import Store
from choice_workflow.store.sql import SqlStore
from choice_workflow.testing.scenarios import START

_prefixes = itertools.count()
SEALER = Actor("nightly", Role.SYSTEM)


@pytest.fixture(name="store")
def fixture_store(every_store: Store) -> Store:
    return every_store


def test_every_older_tree_of_a_simulated_program_is_answered_exactly(store: Store) -> None:
    program = simulate(3, 2030, store)
    records = [s.record for s in store.stored_events()]
    head = program.tree_head()
    assert (len(records), merkle_root(records)) == (head.size, head.root)
    for size in (1, 2, 7, 64, 65, len(records) // 2, len(records)):
        older = program.tree_head(size)
        assert merkle_root(records[:size]) == older.root
        proof = program.prove_consistency(size)
        assert proof.problem(older.root, head.root) is None
        assert program.prove_inclusion(size).problem(records[size - 1], head.root) is None
    with pytest.raises(InvalidInput, match="holds"):
        program.tree_head(len(records) + 1)
    with pytest.raises(InvalidInput, match="no consistency proof"):
        program.prove_consistency(0)


def test_a_rebuild_of_the_log_in_another_store_has_the_same_tree(tmp_path: Path) -> None:
    program = simulate(2, 2031)
    program.seal(SEALER)
    exported = io.BytesIO()
    export_log(program.store.stored_events(), exported)
    exported.seek(0)
    copy = SqlStore(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    import_log(exported, copy)
    assert program.tree_head() == Program(copy).tree_head()
    copy.dispose()


@pytest.mark.postgres
def test_positions_with_gaps_are_leaves_in_position_order(pg_url: str) -> None:
    prefix = f"g{next(_prefixes)}_"
    store = SqlStore(pg_url, prefix=prefix)
    program = Program(store, clock=ManualClock(START))
    assert store.engine is not None
    program.open_cycle(1, Actor("d", Role.DIRECTOR), appropriation="100000.00")
    burn = f"SELECT nextval(pg_get_serial_sequence('{prefix}events', 'position'))"
    for _ in range(3):  # as a rolled-back insert does: a hole in the events' sequence
        with store.engine.begin() as conn:
            conn.execute(sa.text(burn))
        program.seal(SEALER)
    stored = list(store.stored_events())
    positions = [s.position for s in stored]
    assert positions != list(range(1, len(stored) + 1))  # there are gaps
    head = program.tree_head()
    assert merkle_root([s.record for s in stored]) == head.root
    for index, s in enumerate(stored):
        proof = program.prove_inclusion(s.position)
        assert (index, None) == (proof.index, proof.problem(s.record, head.root))
    store.dispose()


def test_a_database_of_the_previous_schema_upgrades_and_grows_its_tree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = SqlStore(url)
    simulate(1, 2030, store)
    store.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # back to the schema before the tree
        cfg = Config(attributes={"connection": conn, "prefix": "", "schema": None})
        cfg.set_main_option(
            "script_location", str(Path(sql_module.__file__).with_name("migrations"))
        )
        command.downgrade(cfg, "0004")
        assert not sa.inspect(conn).has_table("tree")
    engine.dispose()
    store = SqlStore(url)  # upgraded again: an empty tree, grown from the log
    records = [s.record for s in store.stored_events()]
    assert merkle_root(records) == Program(store).tree_head().root
    store.dispose()
