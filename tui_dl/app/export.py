"""`e`: an SVG screenshot and the focused pane's current frame as JSON, side by side in the export folder.

Both files share one stem, `tui-dl-KIND-seedSEED-POSITION`, so a slide and its numbers stay paired;
a stem already taken by either file gets `-2`, `-3` ... : an export never overwrites anything.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

MAX_COPIES = 10_000  # stems tried before giving up (a folder full of exports of one step: surely a mistake)


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


def frame_json(kind: str, seed: int, position: int, frame: Any) -> str:
    """The JSON document of a frame: which pane, seed and step, and the frame's arrays as nested lists."""
    return json.dumps({"pane": kind, "seed": seed, "position": position, "frame": plain(frame)})


def free_stem(directory: Path, stem: str, suffixes: tuple[str, ...] = (".svg", ".json")) -> Path:
    """DIRECTORY/STEM, or STEM-2, STEM-3 ..., the first for which no file with any of the suffixes exists."""
    for copy in range(1, MAX_COPIES + 1):
        candidate = directory / (stem if copy == 1 else f"{stem}-{copy}")
        if not any(candidate.with_name(candidate.name + suffix).exists() for suffix in suffixes):
            return candidate
    raise FileExistsError(f"{MAX_COPIES} exports named {stem} already in {directory}")


def write_export(directory: Path, kind: str, seed: int, position: int, frame: Any, svg: str) -> tuple[Path, Path]:
    """Write the screenshot and the frame under a free stem; returns (svg path, json path).

    Files are opened in exclusive mode, so a file appearing between the check and the write is
    never overwritten (the OSError is the caller's to report).
    """
    stem = free_stem(directory, f"tui-dl-{kind}-seed{seed}-{position}")
    paths = stem.with_name(stem.name + ".svg"), stem.with_name(stem.name + ".json")
    for path, text in zip(paths, (svg, frame_json(kind, seed, position, frame)), strict=True):
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    return paths
