"""Random streams keyed by what they draw, so the variants of a comparison share their randomness.

A comparison teaches only if its variants differ in the one thing compared. Every random draw of a
training run (each layer's initial kernel, each epoch's shuffle, each batch's dropout uniforms)
therefore comes from a stream keyed by *what* is drawn and by a stream id, never by the run's
position in the batch:

- paired (the default): a run's stream id is its seed index (0 .. seeds-1), so all variants under
  seed s start from the same kernels wherever their layer shapes agree, visit the mini-batches in
  the same order, and draw the same dropout uniforms (equal rates give equal masks; a higher rate
  drops a superset of the units a lower one drops).
- independent (`paired=False`): the stream id is the run's index, so every run draws its own.

A stream is `SeedSequence(root.entropy, spawn_key=root.spawn_key + (kind, id, *rest))`: the same
root, kind and key give the same numbers in any batch, so a run trains alike alone or next to
others (pass the same root and its stream id). The root is a child spawned from the experiment's
Generator after the data set is drawn (see `root_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# what a stream draws: the first element of its key after the root's
INIT, SHUFFLE, DROPOUT = 0, 1, 2


def root_of(rng: np.random.Generator) -> np.random.SeedSequence:
    """A fresh root for an experiment's streams: the next child of rng's SeedSequence."""
    return rng.spawn(1)[0].bit_generator.seed_seq


def stream(root: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """The Generator of the stream with this key under root (same root and key: same numbers)."""
    sequence = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *(int(k) for k in key)),
                                      pool_size=root.pool_size)
    return np.random.Generator(np.random.PCG64(sequence))


@dataclass
class Streams:
    """The random streams of R runs: a root and one stream id per run.

    Attributes:
        root: the experiment's root SeedSequence.
        ids: (R,) int stream id of each run; runs with equal ids draw the same numbers.

    The shuffle and dropout streams are stateful per id (one Generator each, advanced once per
    epoch and once per mini-batch for every id), so a run's draws do not depend on the others.
    """

    root: np.random.SeedSequence
    ids: np.ndarray
    _shuffle: dict[int, np.random.Generator] = field(default_factory=dict, repr=False)
    _dropout: dict[int, np.random.Generator] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
        self.unique, self.inverse = np.unique(self.ids, return_inverse=True)

    @property
    def shared(self) -> bool:
        """Whether every run has the same stream id (then they all see the same mini-batches)."""
        return len(self.unique) == 1

    def subset(self, index: Sequence[int] | np.ndarray) -> Streams:
        """The streams of the runs at index (same root: their draws are unchanged)."""
        return Streams(self.root, self.ids[np.asarray(index, dtype=np.int64)])

    def init_generator(self, run: int, layer: int) -> np.random.Generator:
        """The Generator that draws run's initial kernel of this layer (0-based)."""
        return stream(self.root, INIT, self.ids[run], layer)

    def epoch_orders(self, n: int) -> np.ndarray:
        """(U, n) this epoch's shuffle of n samples for each distinct id (rows in `unique` order).

        Each id's shuffle Generator advances by one permutation per call.
        """
        return np.stack([self._generator(self._shuffle, SHUFFLE, i).permutation(n) for i in self.unique])

    def uniforms(self, shape: tuple[int, ...], dtype: np.dtype, ids: np.ndarray) -> np.ndarray:
        """(len(ids), *shape) dropout uniforms in [0, 1) of this mini-batch for the given distinct ids."""
        out = np.empty((len(ids), *shape), dtype=dtype)
        for row, i in enumerate(ids):  # one draw per distinct stream, not per run
            self._generator(self._dropout, DROPOUT, int(i)).random(shape, dtype=dtype, out=out[row])
        return out

    def _generator(self, table: dict[int, np.random.Generator], kind: int, stream_id: int) -> np.random.Generator:
        if stream_id not in table:
            table[stream_id] = stream(self.root, kind, stream_id)
        return table[stream_id]
