"""docs/stores.md documents the results store as the file has it: every table, every column with
its type and primary key, and every index, compared with a real store's ``PRAGMA``s."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from pytest_orchestrator.store import ResultsStore

DOC = (Path(__file__).resolve().parents[1] / "docs" / "stores.md").read_text(encoding="utf-8")
SECTION = DOC.split("## The results store", 1)[1]


def documented_tables() -> dict[str, list[tuple[str, str, bool]]]:
    """``**table**:`` then a markdown table: (column, type, primary key) per documented column;
    a row may document several columns (`` `started`, `ended` ``)."""
    tables = {}
    for name, body in re.findall(r"^\*\*(\w+)\*\*:(?:.|\n)*?\n\n((?:\|.*\n)+)", SECTION, re.M):
        columns = []
        for row in body.splitlines()[2:]:
            names, kind = (cell.strip() for cell in row.strip("|").split("|")[:2])
            for column in re.findall(r"`(\w+)`", names):
                columns.append((column, kind.split()[0].rstrip(","), "primary key" in kind))
        tables[name] = columns
    return tables


def documented_indexes() -> set[tuple[str, tuple[str, ...]]]:
    table = SECTION.split("Indexes:", 1)[1]
    return {(name, tuple(c.strip() for c in columns.split(",")))
            for name, columns in re.findall(r"^\| `(\w+)` \| `\(([\w, ]+)\)` \|", table, re.M)}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path = tmp_path_factory.mktemp("store") / "results.db"
    ResultsStore(path).close()
    return sqlite3.connect(path)


def tables_of(store: sqlite3.Connection) -> list[str]:
    return [row[0] for row in store.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]


def test_the_doc_documents_every_table_of_the_store_in_its_order(store):
    assert list(documented_tables()) == tables_of(store)


@pytest.mark.parametrize("table", documented_tables())
def test_each_documented_table_has_exactly_the_columns_types_and_keys_of_the_file(store, table):
    actual = [(name, kind, pk > 0) for _cid, name, kind, _null, _default, pk
              in store.execute(f"PRAGMA table_info({table})")]
    assert documented_tables()[table] == actual


def test_the_doc_lists_every_index_of_the_store(store):
    actual = set()
    for table in tables_of(store):
        for _seq, index, _unique, origin, _partial in store.execute(f"PRAGMA index_list({table})"):
            if origin == "c":  # created by the store, not the primary key's own
                columns = tuple(r[2] for r in store.execute(f"PRAGMA index_info({index})"))
                actual.add((table, columns))
    assert documented_indexes() == actual


def test_the_run_statuses_and_step_outcomes_are_documented():
    statuses = re.search(r"^\| `status` \|.*$", SECTION, re.M)
    assert statuses is not None
    for status in ("running", "passed", "failed", "interrupted", "collection_error", "no_tests"):
        assert f"`{status}`" in statuses.group(0)
    assert "`restored` (not run, restored from an earlier run" in SECTION
