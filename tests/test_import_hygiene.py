"""RULE 1: the engine and the headless export import numpy and the standard library only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

ENGINE_MODULES = [
    "tui_dl.engine.catalog",
    "tui_dl.engine.experiments.optimizer_race",
    "tui_dl.engine.experiments.initialization",
    "tui_dl.engine.early_stopping",
    "tui_dl.engine.datasets",
    "tui_dl.engine.mlp",
    "tui_dl.engine.experiments.training",
    "tui_dl.engine.experiments.basins",
    "tui_dl.engine.experiments.quadratic_theory",
    "tui_dl.engine.experiments.lr_range",
    "tui_dl.engine.experiments.schedule_race",
    "tui_dl.engine.experiments.optimizer_groups",
]


def _foreign_modules(code: str) -> list[str]:
    """Run code in a fresh interpreter; return the imported modules outside stdlib, numpy and tui_dl."""
    probe = textwrap.dedent(
        """
        import sys
        {code}
        allowed = set(sys.stdlib_module_names) | {{"numpy", "tui_dl"}}
        foreign = sorted({{m.split(".")[0] for m in sys.modules}} - allowed)
        # interpreter internals that are not packages anyone installs
        foreign = [m for m in foreign if not m.startswith("_") and m != "cython_runtime"]
        print(",".join(foreign))
        """
    ).format(code=code)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in result.stdout.strip().split(",") if m]


def test_engine_imports_only_numpy_and_the_standard_library():
    code = "\n".join(f"import {module}" for module in ENGINE_MODULES)
    assert _foreign_modules(code) == []


def test_importing_tui_dl_is_cheap():
    assert _foreign_modules("import tui_dl") == []


def test_export_does_not_import_textual():
    code = textwrap.dedent(
        """
        import io, contextlib
        from tui_dl.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            main(["export", "schedule", "cosine_decay", "--steps", "3"])
            main(["export", "path", "--surface", "quadratic", "--optimizer", "adam", "--steps", "3"])
            main(["export", "init", "--init", "he_normal", "--activation", "relu", "--samples", "10"])
            main(["export", "--list"])
        """
    )
    foreign = _foreign_modules(code)
    assert "textual" not in foreign and "plotext" not in foreign and "rich" not in foreign
    assert foreign == []


def test_the_command_line_sets_one_blas_thread_before_numpy_loads_unless_the_user_set_it():
    script = (
        "import sys, os\n"
        "order = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        order.append(name)\n"
        "sys.meta_path.insert(0, Watch())\n"
        "import tui_dl.cli\n"
        "tui_dl.cli.build_parser()  # numpy loads here (the heavy imports wait for main)\n"
        "print(order.index('tui_dl.blas_threads') < order.index('numpy'), os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                                          "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["True", "1"]
    mine = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**env, "OPENBLAS_NUM_THREADS": "4"}).stdout
    assert mine.split() == ["True", "4"]
