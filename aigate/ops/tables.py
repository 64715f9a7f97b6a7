"""Reading datasets for drift, column by column: CSV (streamed, gzip too) and Parquet (pyarrow).

A column is either numeric (float64, nulls/NaN/inf dropped) or categorical (string values, empty
and null dropped), as Evidently sees them after ``dropna``. CSV is parsed in chunks of rows and
each chunk is converted column-wise by numpy, so memory is the typed columns, never 20 million
Python strings. A field over ``MAX_FIELD`` bytes is bad input (exit 2 with file:line), not a
memory problem.

A table opened with a ``sample`` function keeps only each column's sample (the values are
counted first, in ``Column.present``): drift reads and samples the whole reference before the
current file is read, so at most one file's full columns are in memory at a time.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigate.errors import InputError, Position

MAX_FIELD = 128 * 1024
CHUNK_ROWS = 20_000
EXTRA = "numpy, scipy and pyarrow are needed for drift: pip install 'aigate[drift]'"

#: ``sample(np, values) -> values``: a column's values (numbers or codes) reduced to its sample
Sampler = Callable[[Any, Any], Any]


def _keep_all(np: Any, values: Any) -> Any:
    return values


class _Special:
    """scipy.special, imported on first use: only the chi-square and Z tests need it, and its
    import (≈ 0.5 s) would be most of a large Parquet run's fixed cost."""

    def __getattr__(self, name: str) -> Any:
        try:
            import scipy.special
        except ImportError:
            raise InputError(EXTRA) from None
        return getattr(scipy.special, name)


_SPECIAL = _Special()


def numeric_modules() -> tuple[Any, Any]:
    """numpy and scipy.special (loaded when first used), or an input error naming the extra.

    The scipy package itself is imported here so that a missing extra is reported before any
    file is read; scipy.stats (≈1 s to import) is imported only by the tests that need it (KS)."""
    try:
        import numpy
        import scipy  # noqa: F401 (present: the extra is installed)
    except ImportError:
        raise InputError(EXTRA) from None
    return numpy, _SPECIAL


@dataclass
class Column:
    """One column of one dataset: numeric values, or categorical codes into ``categories``."""

    name: str
    numeric: Any = None  # numpy float64 array
    codes: Any = None  # numpy int64 array, indices into categories
    categories: list[str] | None = None
    total: int = 0  # rows before nulls were dropped
    present: int = -1  # values after nulls were dropped, before sampling (-1: not sampled, the length)

    def __post_init__(self) -> None:
        if self.present < 0:
            held = self.numeric if self.numeric is not None else self.codes
            self.present = len(held) if held is not None else 0

    @property
    def kind(self) -> str:
        return "numeric" if self.numeric is not None else "categorical"

    def as_categorical(self, np: Any) -> tuple[Any, list[str]]:
        """(codes, categories); numbers become categories by their printed value."""
        if self.numeric is None:
            return self.codes, list(self.categories or [])
        uniq, inverse = np.unique(self.numeric, return_inverse=True)
        return inverse, [repr(float(u)) for u in uniq]


class Table:
    """A dataset opened for column-wise reading."""

    path: Path
    columns: list[str]
    rows: int
    sample: Sampler = staticmethod(_keep_all)

    def column(self, name: str, force_categorical: bool = False) -> Column:
        raise NotImplementedError


def open_table(path: Path, sample: Sampler | None = None) -> Table:
    """The dataset at ``path``; with ``sample``, columns are returned already sampled."""
    if not path.is_file():
        raise InputError("dataset not found", position=Position(str(path)))
    with path.open("rb") as fh:
        magic = fh.read(4)
    table: Table = (
        ParquetTable(path) if magic == b"PAR1" else CsvTable(path, gzipped=magic[:2] == b"\x1f\x8b")
    )
    if sample is not None:
        table.sample = sample
    return table


class ParquetTable(Table):
    def __init__(self, path: Path) -> None:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise InputError(EXTRA) from None
        self.path = path
        try:
            self._file = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid / OSError variants
            raise InputError(f"not a readable Parquet file: {exc}", position=Position(str(path))) from None
        self.columns = list(self._file.schema_arrow.names)
        self.rows = int(self._file.metadata.num_rows)

    def column(self, name: str, force_categorical: bool = False) -> Column:
        import pyarrow as pa
        import pyarrow.compute as pc

        np, _ = numeric_modules()
        arr = self._file.read(columns=[name]).column(0)
        total = len(arr)
        if arr.null_count:
            arr = pc.drop_null(arr)
        typ = arr.type
        if (pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ)) and not (
            force_categorical
        ):
            if typ != pa.float64():
                arr = arr.cast(pa.float64(), safe=False)  # as numpy's astype: large integers round
            values = _joined(np, arr, np.float64)
            values = values[np.isfinite(values)]
            return Column(name, numeric=self.sample(np, values), total=total, present=len(values))
        if pa.types.is_dictionary(typ):
            arr = arr.cast(typ.value_type)
        encoded = pc.dictionary_encode(pc.cast(arr, pa.string())).combine_chunks()
        categories = [str(c) for c in encoded.dictionary.to_pylist()]
        width = encoded.indices.type.bit_width
        codes = _joined(np, pa.chunked_array([encoded.indices]), np.dtype(f"int{width}")).astype(np.int64)
        if "" in categories:  # an empty string is no value (as the CSV reader's empty field)
            codes = codes[codes != categories.index("")]
        return Column(
            name, codes=self.sample(np, codes), categories=categories, total=total, present=len(codes)
        )


def _joined(np: Any, arr: Any, dtype: Any) -> Any:
    """A null-free primitive ChunkedArray as one numpy array, read from its data buffers.

    (pyarrow's ``to_numpy`` imports pandas, ≈ 0.6 s, for nothing a primitive array needs.)"""
    width = np.dtype(dtype).itemsize
    parts = [
        np.frombuffer(c.buffers()[1], dtype=dtype, count=len(c), offset=c.offset * width)
        for c in arr.chunks
        if len(c)
    ]
    if not parts:
        return np.empty(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)  # a read-only view: callers copy


class _Retype(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


class CsvTable(Table):
    """CSV read once, all columns at a time (a CSV cannot be read column-wise)."""

    def __init__(self, path: Path, gzipped: bool) -> None:
        self.path = path
        self._gzipped = gzipped
        self._cols: dict[str, Column] | None = None
        self._forced: set[str] = set()
        header = next(self._rows(), None)
        if header is None:
            raise InputError("empty CSV (no header)", position=Position(str(path), 1))
        if len(set(header[1])) != len(header[1]):
            raise InputError("duplicate column names in the header", position=Position(str(path), 1))
        self.columns = header[1]
        self.rows = 0

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        raw: Any = gzip.open(self.path, "rb") if self._gzipped else self.path.open("rb")  # noqa: SIM115 (closed by the with below)
        with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            csv.field_size_limit(MAX_FIELD)
            reader = csv.reader(text)
            try:
                for row in reader:
                    yield reader.line_num, row
            except csv.Error as exc:
                msg = str(exc)
                if msg.startswith("field larger than field limit"):
                    msg = "field larger than 128 KiB"
                raise InputError(msg, position=Position(str(self.path), reader.line_num)) from None
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 near line {reader.line_num + 1}: byte {exc.start} of a chunk",
                    position=Position(str(self.path), reader.line_num + 1),
                ) from None
            except (OSError, EOFError) as exc:
                raise InputError(
                    f"unreadable (corrupt gzip?): {exc}", position=Position(str(self.path))
                ) from None

    def column(self, name: str, force_categorical: bool = False) -> Column:
        if force_categorical and name not in self._forced:
            self._forced.add(name)
            self._cols = None
        while self._cols is None:
            try:
                self._cols = self._read_all()
            except _Retype as exc:
                self._forced.add(exc.name)
        return self._cols[name]

    def _read_all(self) -> dict[str, Column]:
        np, _ = numeric_modules()
        width = len(self.columns)
        parts: list[list[Any]] = [[] for _ in self.columns]
        kinds = ["categorical" if c in self._forced else None for c in self.columns]
        vocab: list[dict[str, int]] = [{} for _ in self.columns]
        chunk: list[list[str]] = []
        rows = 0
        rows_iter = self._rows()
        next(rows_iter)  # header
        for line, row in rows_iter:
            if not row:
                continue
            if len(row) != width:
                raise InputError(
                    f"{len(row)} fields, header has {width}", position=Position(str(self.path), line)
                )
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                rows += len(chunk)
                self._convert(np, chunk, parts, kinds, vocab)
                chunk = []
        rows += len(chunk)
        if chunk:
            self._convert(np, chunk, parts, kinds, vocab)
        self.rows = rows
        out: dict[str, Column] = {}
        for i, name in enumerate(self.columns):
            # each column's chunks are joined, sampled and released before the next column's
            held, parts[i] = parts[i], []
            numeric = kinds[i] == "numeric"
            joined = np.concatenate(held) if held else np.empty(0, dtype=np.float64 if numeric else np.int64)
            del held
            kept, present = self.sample(np, joined), len(joined)
            del joined
            if numeric:
                out[name] = Column(name, numeric=kept, total=rows, present=present)
            else:
                out[name] = Column(name, codes=kept, categories=list(vocab[i]), total=rows, present=present)
        return out

    def _convert(
        self,
        np: Any,
        chunk: list[list[str]],
        parts: list[list[Any]],
        kinds: list[str | None],
        vocab: list[dict[str, int]],
    ) -> None:
        """One chunk, column-wise: floats, or codes into the column's vocabulary (never strings)."""
        for i, values in enumerate(zip(*chunk, strict=True)):
            strings = np.array(values, dtype=object)
            present = strings[strings != ""]
            if kinds[i] != "categorical":
                floats = _floats(np, present)
                if floats is None:
                    if kinds[i] == "numeric":
                        raise _Retype(self.columns[i])
                    kinds[i] = "categorical"
                else:
                    kinds[i] = "numeric"
                    parts[i].append(floats[np.isfinite(floats)])
                    continue
            index = vocab[i]
            parts[i].append(
                np.fromiter(
                    (index.setdefault(v, len(index)) for v in present), dtype=np.int64, count=len(present)
                )
            )


def _floats(np: Any, present: Any) -> Any:
    """The chunk as float64 (float() accepts surrounding blanks), or None when it is not numeric."""
    try:
        return present.astype(np.float64)
    except ValueError:
        pass
    stripped = np.array([v.strip() for v in present], dtype=object)
    stripped = stripped[stripped != ""]
    try:
        return stripped.astype(np.float64)
    except ValueError:
        return None
