"""Memory returns to its level once a heavy run is replaced (issue 13): the Overfitting pane's runner with
thread workers, as in the app, in a fresh process whose resident memory is read from /proc."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import json, threading
    from tui_dl.app.runner.core import Runner
    from tui_dl.app.runner.training import TrainModel

    def rss():
        return int(open("/proc/self/statm").read().split()[1]) * 4096

    model, posted, threads = TrainModel(), [], []
    runner = Runner("train", model, lambda work, group: threads.append(threading.Thread(target=work)) or
                    threads[-1].start(), posted.append, seed=0)

    def settle():  # the app's message loop, in short: join the workers, hand their frames to the runner
        while threads:
            threads.pop().join()
            while posted:
                runner.accept(posted.pop(0))

    def run(hidden):
        model.set("hidden", hidden)
        runner.restart(); settle(); runner.request(2); settle()
        return rss()

    figures = {"base": run("100,100")}
    for cycle in range(2):
        figures[f"heavy{cycle}"] = run("800,800")
        figures[f"back{cycle}"] = run("100,100")
    print(json.dumps(figures))
""")


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads resident memory from /proc (Linux)")
def test_a_replaced_heavy_run_gives_its_memory_back():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    figures = json.loads(result.stdout)
    base = figures["base"]
    for cycle in range(2):
        grown = figures[f"heavy{cycle}"] - base
        assert grown > 100e6, figures  # the heavy run did hold its memory
        assert figures[f"back{cycle}"] - base < 0.25 * grown, figures  # and it is given back (was 70%: 342 MB of 471)
