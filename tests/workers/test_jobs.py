"""The slice job run in-process: placeholders bound as values, rows streamed, files refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from services.results import InvalidResultLocation, ResultsStore
from tests.workers.helpers import make_sales_database
from workers import jobs
from workers.jobs import SliceSQLError, bind_placeholders, run_sql_to_parquet

WINDOW_SQL = (
    "SELECT day, region, amount FROM sales "
    "WHERE day >= {{ window_start }} AND day < {{window_end}} ORDER BY day, region"
)


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(make_sales_database(tmp_path / "sales.duckdb", first_day=date(2025, 1, 1), days=10))


def test_placeholders_become_binds_and_never_values() -> None:
    sql = bind_placeholders(WINDOW_SQL, {"window_start": "x' OR 1=1 --", "window_end": 1})
    assert "$window_start" in sql and "$window_end" in sql
    assert "OR 1=1" not in sql


def test_a_placeholder_without_a_value_is_an_error() -> None:
    with pytest.raises(SliceSQLError, match="window_end"):
        bind_placeholders(WINDOW_SQL, {"window_start": date(2025, 1, 1)})


def test_run_sql_to_parquet_writes_the_rows_of_the_half_open_window(
    tmp_path: Path, database: str
) -> None:
    results = tmp_path / "results"

    outcome = run_sql_to_parquet(
        database,
        WINDOW_SQL,
        "executions/exe_window.parquet",
        str(results),
        {"window_start": date(2025, 1, 3), "window_end": date(2025, 1, 5)},
    )

    assert outcome["location"] == "executions/exe_window.parquet"
    assert outcome["row_count"] == 4
    table = ResultsStore(results).read_table(outcome["location"])
    assert table.to_pylist() == [
        {"day": date(2025, 1, 3), "region": "north", "amount": 20},
        {"day": date(2025, 1, 3), "region": "south", "amount": 21},
        {"day": date(2025, 1, 4), "region": "north", "amount": 30},
        {"day": date(2025, 1, 4), "region": "south", "amount": 31},
    ]
    assert outcome["size_bytes"] == (results / outcome["location"]).stat().st_size


def test_a_hostile_value_is_compared_as_a_value(tmp_path: Path, database: str) -> None:
    outcome = run_sql_to_parquet(
        database,
        "SELECT * FROM sales WHERE region = {{ region }}",
        "executions/exe_hostile.parquet",
        str(tmp_path),
        {"region": "north' OR '1'='1"},
    )
    assert outcome["row_count"] == 0


def test_rows_are_streamed_in_batches(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "BATCH_ROWS", 4)

    outcome = run_sql_to_parquet(
        database,
        "SELECT * FROM sales ORDER BY day, region",
        "executions/exe_b.parquet",
        str(tmp_path),
    )

    assert outcome["row_count"] == 20
    # Each batch became its own row group: never more than one batch in memory.
    assert pq.ParquetFile(tmp_path / "executions/exe_b.parquet").metadata.num_row_groups == 5


@pytest.mark.parametrize(
    "sql",
    [
        "COPY sales TO '{outside}'",
        "SELECT * FROM read_csv('{outside}')",
        "ATTACH '{outside}' AS other",
        "INSERT INTO sales VALUES (DATE '2025-02-01', 'east', 1)",
        "SET enable_external_access = true",
    ],
)
def test_the_sql_can_neither_write_nor_touch_files(tmp_path: Path, database: str, sql: str) -> None:
    outside = tmp_path / "outside.csv"
    with pytest.raises(duckdb.Error):
        run_sql_to_parquet(
            database, sql.format(outside=outside), "executions/exe_x.parquet", str(tmp_path)
        )
    assert not outside.exists()
    assert not (tmp_path / "executions" / "exe_x.parquet").exists()


def test_a_result_key_outside_the_store_is_refused(tmp_path: Path, database: str) -> None:
    with pytest.raises(InvalidResultLocation):
        run_sql_to_parquet(database, "SELECT 1 AS one", "../escape.parquet", str(tmp_path))
