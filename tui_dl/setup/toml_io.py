"""TOML in and out: our writer (the standard library only reads TOML), tomllib with line numbers, and
a write that never leaves half a file.

Used by setup files (file.py) and the preferences (preferences.py); imports no Textual.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")


class SetupError(ValueError):
    """A setup or preferences file that cannot be used; the message is one line `file:line: what`."""


# ---------------------------------------------------------------------- writing TOML
def dumps(document: Mapping[str, Any], comments: Mapping[tuple[str, str], str] | None = None,
          header: str = "") -> str:
    """TOML text of a document: scalars and lists at the top, then one `[table]` per dict value.

    Args:
        document: str -> scalar, list, or a table (str -> scalar or list; nested tables become `[a.b]`).
        comments: (table, key) -> a trailing comment (table "" is the top level).
        header: comment lines written first.
    """
    comments = comments or {}
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    _write_table(lines, "", document, comments)
    return "\n".join(lines).strip("\n") + "\n"


def _write_table(lines: list[str], name: str, table: Mapping[str, Any], comments: Mapping[tuple[str, str], str]
                 ) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if name and (scalars or not tables):
        lines += ["", f"[{name}]"]
    for key, value in scalars.items():
        comment = comments.get((name, key))
        lines.append(f"{toml_key(key)} = {toml_value(value)}" + (f"  # {comment}" if comment else ""))
    for key, value in tables.items():
        _write_table(lines, f"{name}.{toml_key(key)}" if name else toml_key(key), value, comments)


def toml_key(key: str) -> str:
    """A bare key where TOML allows one, else a quoted one."""
    return key if _BARE_KEY.match(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """A scalar or a list as TOML; None is written as the string "none" (TOML has no null)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):  # a NumPy scalar
        value = value.item()
    if value is None:
        return '"none"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, str):
        return "".join(map(_escaped, json.dumps(value, ensure_ascii=False)))  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) to TOML")


# ---------------------------------------------------------------------- reading TOML
MAX_SETUP_BYTES = 1_000_000


def _escaped(char: str) -> str:
    """A character as a TOML basic string holds it: as itself, or as \\uXXXX when it does not print (DEL must
    be escaped in TOML; a right-to-left override would turn an error line around on the terminal)."""
    if char.isprintable():
        return char
    return f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08X}"


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed document and its text; SetupError `path:line: ...` for a file TOML cannot read.

    A path that is not a regular file (/dev/zero, a directory, a pipe) or is larger than MAX_SETUP_BYTES
    is refused before it is read: a setup file is a few kilobytes, and /dev/zero would never end.
    """
    path = Path(path)
    try:
        if not path.is_file():
            what = "not found" if not path.exists() else "not a regular file"
            raise SetupError(f"{path}: {what}: expected a setup file (.toml, as w writes one)")
        size = path.stat().st_size
        if size > MAX_SETUP_BYTES:
            raise SetupError(f"{path}: {size} bytes is too large for a setup file (at most {MAX_SETUP_BYTES}; "
                             "w writes a few kilobytes)")
        text = path.read_text(encoding="utf-8-sig")  # an editor's byte-order mark is not a TOML statement
    except (OSError, UnicodeDecodeError) as error:
        raise SetupError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = re.search(r"line (\d+)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise SetupError(f"{path}:{line.group(1) if line else 1}: TOML syntax error: {reason}") from None
    except ValueError:  # Python reads at most 4300 digits into an int (sys.get_int_max_str_digits)
        digits = max(re.findall(r"\d+", text), key=len)
        line = text[: text.index(digits)].count("\n") + 1
        raise SetupError(f"{path}:{line}: an integer of {len(digits)} digits: expected a value of at most "
                         f"{sys.get_int_max_str_digits()} digits (and within the parameter's range)") from None


def locate(text: str, table: str, key: str | None = None) -> int:
    """The line (1-based) where key is set in table (the table's header if key is None, or if not found).

    tomllib keeps no positions, so the line is found again in the text: the `[table]` header (or a
    `[table.sub]` one), then the first line of that table whose key, unquoted, is key or ends it; else the
    line of an inline table that holds it (`epochs = {a = 1}` sets `epochs.a`).
    """
    header_line, holder_line, current = 0, 0, ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            current = _unquote_dotted(header.group(1))
            if current == table and not header_line:
                header_line = number
            continue
        if key is None or "=" not in line or line.lstrip().startswith("#"):
            continue
        full = ".".join(part for part in (current, _unquote_dotted(line.split("=", 1)[0])) if part)
        target = f"{table}.{key}" if table else key
        if full == target:
            return number
        if not holder_line and target.startswith(f"{full}.") and "{" in line.split("=", 1)[1]:
            holder_line = number
    return holder_line or header_line or 1


def _unquote_dotted(text: str) -> str:
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\s"\']+)', text)
    return ".".join(a or b or c for a, b, c in parts)


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"racer": {"0": {"lr": 1}}}` -> `{"racer.0.lr": 1}`: dotted keys written unquoted read back the same."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat



# ---------------------------------------------------------------------- writing files
def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same directory and a rename.

    Whoever reads path sees the old file or the new one, never half of one: a full disk, a kill or
    a closed terminal in the middle leaves the user's file as it was. OSError if it cannot be written.
    """
    path = Path(path)
    if path.is_symlink():  # replace the file it points to, not the link
        path = path.resolve()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(OSError):  # keep the mode of the file it replaces (mkstemp makes it 0600)
            os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    """The process's umask, read without setting it (os.umask would change it for every thread a moment)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path("/proc/self/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    return 0o022
