"""One BLAS thread for the command line and the app, unless the user asked for more.

The engine multiplies small matrices (a mini-batch of a few hundred rows through layers of a few
hundred units, batched over runs), where OpenBLAS's worker threads only add synchronization; on a
busy two-core machine they spin against the interface thread and each other. Measured at load 5: a
training step of one 64-100x5-10 ReLU network on a batch of 100 took 62 ms with two BLAS threads
and 0.6 ms with one. The thread count is read when numpy loads its BLAS, so `tui_dl.cli` imports
this module before anything that imports numpy; a value already in the environment wins. Importing
the library (`tui_dl.engine`) changes nothing: a program that embeds it keeps its own settings.
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

for _name in THREAD_VARIABLES:
    os.environ.setdefault(_name, "1")
