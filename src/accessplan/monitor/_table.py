"""Reading an import file and checking its rows column by column, vectorised.

Every check returns the parsed values and, per row, the reason it failed (empty when it did
not). Reasons never repeat a cell's value: they go into reports and the audit log, and a cell
may hold an identity number. Line numbers count the header as line 1.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from accessplan._errors import InputError, InputFileNotFoundError
from accessplan.monitor.security import id_problems

#: Rejects kept in a batch's record (the count is always complete).
MAX_KEPT_REJECTS = 1_000


@dataclass(frozen=True)
class Reject:
    """A refused row: its line in the file, the column and why."""

    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class Checked:
    """Rows being checked: the text table and the reasons found so far, per row."""

    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    bad: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        self.bad = np.zeros(len(self.frame), dtype=bool)

    @property
    def lines(self) -> np.ndarray:
        return self.frame.index.to_numpy() + 2

    def fail(self, mask: np.ndarray, column: str, reason: str | np.ndarray) -> None:
        """Mark rows of ``mask`` refused for ``reason`` (one text, or one per row)."""
        where = np.flatnonzero(mask)
        reasons = np.broadcast_to(np.asarray(reason, dtype=object), mask.shape)
        lines = self.lines
        self.rejects.extend(Reject(int(lines[i]), column, str(reasons[i])) for i in where)
        self.bad |= mask

    def text(self, column: str, *, required: bool = True) -> pd.Series:
        values = self.frame[column].fillna("").str.strip()
        if required:
            self.fail((values == "").to_numpy(), column, "empty")
        return values

    def amount(self, column: str, *, required: bool = True) -> np.ndarray:
        raw = self.frame[column].fillna("").str.strip()
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype="float64")
        empty = (raw == "").to_numpy()
        if required:
            self.fail(empty, column, "empty")
        self.fail(~empty & ~np.isfinite(values), column, "not a number")
        self.fail(np.isfinite(values) & (values < 0), column, "negative")
        return values

    def date(self, column: str, *, today: dt.date) -> pd.Series:
        raw = self.frame[column].fillna("").str.strip()
        values = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        self.fail(
            values.isna().to_numpy() & (raw != "").to_numpy(), column, "not a YYYY-MM-DD date"
        )
        self.fail((raw == "").to_numpy(), column, "empty")
        late = (values > pd.Timestamp(today)).fillna(False).to_numpy(dtype=bool)
        self.fail(late, column, f"in the future (after {today.isoformat()})")
        return values.dt.date

    def digits(self, column: str, n: int) -> pd.Series:
        values = self.text(column)
        wrong = (
            ~values.str.fullmatch(rf"\d{{{n}}}").to_numpy(dtype=bool) & (values != "").to_numpy()
        )
        self.fail(wrong, column, f"not a {n}-digit code")
        return values

    def choice(self, column: str, allowed: tuple[str, ...]) -> pd.Series:
        values = self.text(column)
        wrong = ~values.isin(allowed).to_numpy() & (values != "").to_numpy()
        self.fail(wrong, column, f"not one of {list(allowed)}")
        return values

    def id_number(self, column: str, *, today: dt.date) -> pd.Series:
        """Identity numbers normalised (upper case); malformed ones refused with the reason."""
        values = self.text(column).str.upper()
        unique = values[values != ""].unique()
        problems = dict(zip(unique, id_problems(unique, today=today), strict=True))
        reasons = values.map(lambda v: problems.get(v) or "").to_numpy(dtype=object)
        self.fail(reasons != "", column, reasons)
        return values

    def first_of_repeats(self, values: pd.Series, column: str) -> None:
        """Refuse later rows repeating an earlier row's ``values``."""
        repeated = values.duplicated(keep="first").to_numpy() & (values != "").to_numpy()
        if not repeated.any():
            return
        first = values.drop_duplicates(keep="first")
        line = pd.Series(first.index.to_numpy() + 2, index=first.to_numpy())
        reasons = np.full(len(values), "", dtype=object)
        reasons[repeated] = [f"repeats line {n}" for n in values[repeated].map(line)]
        self.fail(repeated, column, reasons)

    def kept_rejects(self) -> list[dict[str, object]]:
        ordered = sorted(self.rejects, key=lambda r: (r.line, r.column))
        return [r.as_dict() for r in ordered[:MAX_KEPT_REJECTS]]


def read(
    path: str | Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> tuple[str, Checked]:
    """The file's SHA-256 and its rows as text; missing columns are refused by name."""
    file = Path(path)
    if not file.is_file():
        raise InputFileNotFoundError(f"import file {str(file)!r} not found; check the path.")
    data = file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{file.name}: not a UTF-8 CSV file with a header line ({exc}); save it as CSV UTF-8."
        raise InputError(msg) from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{file.name} lacks column(s) {missing}; it has {list(frame.columns)}."
        raise InputError(msg)
    for name in optional:
        if name not in frame.columns:
            frame[name] = ""
    return digest, Checked(frame.reset_index(drop=True))
