"""Headless exports: experiment data as CSV or JSON, without the UI.

Each exporter returns a `Table` (CSV header and rows) and a JSON document; `write` renders one of
them, CSV with the csv module (a cell with a comma or a quote, such as a run named
`step_lr:lr=0.1,step_size=10`, is quoted). Numbers are written exactly (repr of the float); a
missing value is `nan` in CSV and null in JSON (which has no NaN).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np


@dataclass(frozen=True)
class Export:
    """One export: CSV header and rows, the JSON document, and notes for stderr."""

    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    document: dict[str, Any]
    notes: Sequence[str] = field(default_factory=tuple)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)


def jsonable(value: Any) -> Any:
    """value with numpy types turned into Python ones and NaN/inf into None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def write(export: Export, fmt: str, stream: TextIO) -> None:
    """Write export to stream as `csv` or `json`."""
    if fmt == "json":
        json.dump(jsonable(export.document), stream, allow_nan=False)
        stream.write("\n")
        return
    writer = csv.writer(stream, lineterminator="\n")  # quotes a cell with a comma (run names, lists)
    writer.writerow(export.header)
    writer.writerows([_csv_cell(v) for v in row] for row in export.rows)
