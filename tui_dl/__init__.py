"""tui-dl: see how neural networks learn, live in the terminal.

Importing tui_dl must stay cheap and must not import textual: the engine and the headless
`tui-dl export` commands are used without the UI.
"""

__version__ = "0.1.0"
