"""The results store: streamed Parquet writes, limited reads, and hostile locations refused.

(It lives in services/results.py; these tests sit beside the worker tests that use it.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from services.errors import InvalidResultLocation
from services.results import ResultsStore

SCHEMA = pa.schema([("n", pa.int64()), ("label", pa.string())])


def _batch(start: int, count: int) -> pa.RecordBatch:
    numbers = list(range(start, start + count))
    return pa.record_batch([numbers, [f"row {n}" for n in numbers]], schema=SCHEMA)


def test_path_for_gives_a_relative_key_under_executions(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    assert store.path_for("exe_ab12cd34") == "executions/exe_ab12cd34.parquet"


@pytest.mark.parametrize("bad_id", ["", "../exe", "exe/ab", "exe.ab", ".exe", "exe\x00", "a" * 65])
def test_path_for_refuses_what_is_not_an_execution_id(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(InvalidResultLocation):
        ResultsStore(tmp_path).path_for(bad_id)


def test_sink_writes_each_batch_as_it_comes_and_reports_rows_and_size(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_00000001")

    with store.open_writer(location, SCHEMA) as sink:
        for start in (0, 100, 200):
            sink.write(_batch(start, 100))
        sink.write(_batch(300, 0))  # an empty batch adds nothing

    result = sink.result
    path = tmp_path / "executions" / "exe_00000001.parquet"
    assert result.location == location
    assert result.row_count == 300
    assert result.size_bytes == path.stat().st_size > 0
    # One row group per batch: the rows were written as they came, not gathered first.
    assert pq.ParquetFile(path).metadata.num_row_groups == 3
    table = store.read_table(location)
    assert table.schema == SCHEMA
    assert table.column("n").to_pylist() == list(range(300))


def test_a_result_without_rows_is_a_valid_file_with_the_schema(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_empty")

    result = store.write_batches(location, SCHEMA, [])

    assert result.row_count == 0
    table = store.read_table(location)
    assert table.num_rows == 0
    assert table.schema == SCHEMA


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_failed")

    with (
        pytest.raises(RuntimeError, match="engine died"),
        store.open_writer(location, SCHEMA) as sink,
    ):
        sink.write(_batch(0, 10))
        raise RuntimeError("engine died")

    assert not store.exists(location)
    assert os.listdir(tmp_path / "executions") == []
    with pytest.raises(RuntimeError):
        _ = sink.result


def test_rewriting_a_location_replaces_the_previous_result(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_again")
    store.write_batches(location, SCHEMA, [_batch(0, 5)])

    store.write_batches(location, SCHEMA, [_batch(10, 2)])

    assert store.read_table(location).column("n").to_pylist() == [10, 11]


def test_read_table_with_a_limit_returns_only_the_first_rows(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_limit")
    store.write_batches(location, SCHEMA, [_batch(0, 50), _batch(50, 50)])

    assert store.read_table(location, limit=70).column("n").to_pylist() == list(range(70))
    assert store.read_table(location, limit=0).num_rows == 0
    assert store.read_table(location, limit=0).schema == SCHEMA
    assert store.read_table(location, limit=1000).num_rows == 100


def test_delete_removes_the_result_once(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_gone")
    store.write_batches(location, SCHEMA, [_batch(0, 1)])

    assert store.delete(location) is True
    assert not store.exists(location)
    assert store.delete(location) is False


HOSTILE_LOCATIONS = [
    "",
    "../outside.parquet",
    "executions/../../outside.parquet",
    "/etc/passwd",
    "/tmp/outside.parquet",
    "executions//exe.parquet",
    "./executions/exe.parquet",
    "executions/./exe.parquet",
    "executions\\..\\..\\outside.parquet",
    "executions/%2e%2e/outside.parquet",
    "executions/.hidden.parquet",
    "executions/exe.csv",
    "executions/exe.parquet\x00.txt",
    "executions/exe.parquet/",
    "~/exe.parquet",
]


@pytest.mark.parametrize("location", HOSTILE_LOCATIONS)
def test_locations_that_could_escape_the_root_are_refused(tmp_path: Path, location: str) -> None:
    store = ResultsStore(tmp_path / "results")

    with pytest.raises(InvalidResultLocation):
        store.open_writer(location, SCHEMA)
    with pytest.raises(InvalidResultLocation):
        store.read_table(location)
    with pytest.raises(InvalidResultLocation):
        store.delete(location)
    assert not (tmp_path / "outside.parquet").exists()


def test_a_symlink_inside_the_root_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "results"
    root.mkdir()
    (root / "executions").symlink_to(outside, target_is_directory=True)
    store = ResultsStore(root)

    with pytest.raises(InvalidResultLocation):
        store.write_batches("executions/exe_link.parquet", SCHEMA, [_batch(0, 1)])
    assert list(outside.iterdir()) == []


def test_iter_batches_reads_the_result_a_batch_at_a_time(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    location = store.path_for("exe_iter")
    store.write_batches(location, SCHEMA, [_batch(0, 25)])

    batches = list(store.iter_batches(location, batch_size=10))

    assert [batch.num_rows for batch in batches] == [10, 10, 5]
    assert [n for batch in batches for n in batch.column("n").to_pylist()] == list(range(25))
    with pytest.raises(InvalidResultLocation):
        store.iter_batches("../outside.parquet")
