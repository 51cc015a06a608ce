"""`e`: write the focused pane's current frame as JSON (every array as nested lists, NaN as null)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """A frame (dataclasses, NamedTuples, arrays, mappings) as JSON-ready Python values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def write_frame(directory: Path, kind: str, seed: int, position: int, frame: Any) -> Path:
    """Write frame to DIRECTORY/tui-dl-KIND-seedSEED-POSITION.json and return the path."""
    path = directory / f"tui-dl-{kind}-seed{seed}-{position}.json"
    path.write_text(json.dumps({"pane": kind, "seed": seed, "position": position, "frame": plain(frame)}))
    return path
