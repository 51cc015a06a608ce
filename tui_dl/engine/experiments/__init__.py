"""Experiments: one module per pane, each `init(cfg, rng) -> state`, `step(state, n) -> state`,
`snapshot(state) -> dataclass of arrays`, batched over a runs axis.

`step` advances the state in place and returns it; a snapshot holds read-only arrays that later
steps never change, so the UI thread may keep it while the engine goes on.
"""
