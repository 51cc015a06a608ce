"""Setups and preferences: what a user saves, what tui-dl remembers between starts, and how a start uses them.

- `file.py`: setup files, every pane's parameters and the seed as TOML (`w` writes one, `--config` loads it).
- `toml_io.py`: TOML in and out: our writer, tomllib with line numbers, and a write that never leaves half a file.
- `preferences.py`: the one small file remembered between starts (the setup last saved with `w`, the theme).
- `presets.py`: named presets by their command-line names (`--preset`).
- `launch.py`: from the command line to the app's config: `--config`, `--preset`, `--reset` and what is resumed.
- `session.py`: the app's side while it runs: loading at start, `w`, remembering.

Nothing here imports Textual at import time: the headless commands (`snapshot`'s checks, `export`)
may use it.
"""
