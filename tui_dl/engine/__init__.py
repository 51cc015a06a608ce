"""The UI-free engine of tui-dl: NumPy and the standard library only (a test enforces it).

Schedules, optimizers, initializers, activations and surfaces are registered in catalogs
(`tui_dl.engine.catalog`) with their parameter declarations; experiments/ runs them many at a time.
"""
