"""Widgets shared by the panes: the plot, the parameter panel, histograms, the formula panel, the status line."""
