"""The results store: where run results live as Parquet files.

A local folder now; object storage (S3) later, so that workers and web servers on different
hosts share results. Locations are relative keys (``executions/exe_ab12cd34.parquet``), and
no other module builds result paths. Keys are treated as hostile input: anything that could
leave the root is refused.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from services.errors import InvalidResultLocation

#: Folder (key prefix) of execution results inside the store.
EXECUTIONS_PREFIX = "executions"
#: Every location ends with this suffix; nothing else is ever read or deleted.
PARQUET_SUFFIX = ".parquet"
#: Rows per batch when a read is limited, so a preview never loads the whole file.
READ_BATCH_ROWS = 10_000

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_EXECUTION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class WrittenResult:
    """What a finished write left in the store."""

    location: str
    row_count: int
    size_bytes: int


class ParquetSink:
    """Writes record batches to one location as they come; the file appears only when complete.

    Use as a context manager: the result is committed (renamed into place) when the block
    ends normally and discarded when it raises, so readers never see a partial file.
    """

    def __init__(self, *, location: str, path: Path, schema: pa.Schema) -> None:
        self.location = location
        self.schema = schema
        self._path = path
        self._tmp_path = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        self._writer: pq.ParquetWriter | None = None
        self._row_count = 0
        self._result: WrittenResult | None = None

    def __enter__(self) -> ParquetSink:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self._tmp_path, self.schema, compression="zstd")
        return self

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one batch (one row group); only this batch is held in memory."""
        if self._writer is None:
            raise RuntimeError("ParquetSink.write called outside its `with` block")
        if batch.num_rows == 0:
            return
        self._writer.write_batch(batch)
        self._row_count += batch.num_rows

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        committed = False
        try:
            writer.close()
            if exc_type is None:
                os.replace(self._tmp_path, self._path)
                committed = True
        finally:
            if not committed:
                self._tmp_path.unlink(missing_ok=True)
        if committed:
            self._result = WrittenResult(
                location=self.location,
                row_count=self._row_count,
                size_bytes=self._path.stat().st_size,
            )

    @property
    def result(self) -> WrittenResult:
        """The committed result; available once the `with` block has ended normally."""
        if self._result is None:
            raise RuntimeError("the result is not committed yet")
        return self._result


class ResultsStore:
    """Result files under `root`, addressed by relative locations."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    def path_for(self, execution_id: str) -> str:
        """The location where the result of `execution_id` is stored."""
        if not _EXECUTION_ID.fullmatch(execution_id):
            raise InvalidResultLocation(f"not an execution id: {execution_id!r}")
        return f"{EXECUTIONS_PREFIX}/{execution_id}{PARQUET_SUFFIX}"

    def open_writer(self, location: str, schema: pa.Schema) -> ParquetSink:
        """A sink writing `location` batch by batch; use it as a context manager."""
        return ParquetSink(location=location, path=self._resolve(location), schema=schema)

    def write_batches(
        self, location: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
    ) -> WrittenResult:
        """Stream `batches` into `location` and return what was written."""
        with self.open_writer(location, schema) as sink:
            for batch in batches:
                sink.write(batch)
        return sink.result

    def exists(self, location: str) -> bool:
        return self._resolve(location).is_file()

    def read_table(self, location: str, limit: int | None = None) -> pa.Table:
        """The stored result, or only its first `limit` rows (read batch by batch)."""
        path = self._resolve(location)
        if limit is None:
            return pq.read_table(path)
        if limit < 0:
            raise ValueError("limit must be >= 0")
        parquet_file = pq.ParquetFile(path)
        batches: list[pa.RecordBatch] = []
        remaining = limit
        for batch in parquet_file.iter_batches(batch_size=min(max(limit, 1), READ_BATCH_ROWS)):
            if remaining <= 0:
                break
            batches.append(batch.slice(0, remaining))
            remaining -= min(batch.num_rows, remaining)
        return pa.Table.from_batches(batches, schema=parquet_file.schema_arrow)

    def iter_batches(
        self, location: str, batch_size: int = READ_BATCH_ROWS
    ) -> Iterator[pa.RecordBatch]:
        """The stored result batch by batch, for exports that must not load it whole."""
        parquet_file = pq.ParquetFile(self._resolve(location))
        batches: Iterator[pa.RecordBatch] = parquet_file.iter_batches(batch_size=batch_size)
        return batches

    def delete(self, location: str) -> bool:
        """Remove the result at `location`; False when there was none."""
        path = self._resolve(location)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _resolve(self, location: str) -> Path:
        """The file for `location`, refusing anything that could escape the root."""
        if not isinstance(location, str) or "\\" in location or "\x00" in location:
            raise InvalidResultLocation(f"invalid result location: {location!r}")
        key = PurePosixPath(location)
        if (
            key.is_absolute()
            or not key.parts
            or str(key) != location
            or not all(_SEGMENT.fullmatch(part) for part in key.parts)
            or not location.endswith(PARQUET_SUFFIX)
        ):
            raise InvalidResultLocation(f"invalid result location: {location!r}")
        root = self.root.resolve()
        path = (root / key).resolve()
        # A symlink inside the root could still point elsewhere.
        if not path.is_relative_to(root):
            raise InvalidResultLocation(f"result location escapes the store: {location!r}")
        return path
