"""An append-only history of per-step arrays with amortized growth.

Rows are never changed once written, so a snapshot can hand out `view()` slices without a copy:
when the buffer grows, the old buffer (and every view of it) stays as it was.
"""

from __future__ import annotations

import numpy as np


class History:
    """Rows of a fixed shape appended one per step, kept in a doubling buffer."""

    def __init__(self, row_shape: tuple[int, ...], dtype: np.dtype | type = np.float64, capacity: int = 256):
        self._buffer = np.empty((capacity, *tuple(row_shape)), dtype=dtype)
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def append(self, row: np.ndarray) -> None:
        """Add one row (copied into the buffer)."""
        if self._length == len(self._buffer):
            grown = np.empty((2 * len(self._buffer), *self._buffer.shape[1:]), dtype=self._buffer.dtype)
            grown[: self._length] = self._buffer
            self._buffer = grown
        self._buffer[self._length] = row
        self._length += 1

    def view(self) -> np.ndarray:
        """All rows so far, shape (len,) + row_shape; safe to keep, it will never change."""
        view = self._buffer[: self._length]
        view.flags.writeable = False
        return view

    def last(self) -> np.ndarray:
        """The newest row."""
        return self._buffer[self._length - 1]
