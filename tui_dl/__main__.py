"""`python -m tui_dl` runs the same command line as `tui-dl`."""

from tui_dl.cli import main

raise SystemExit(main())
