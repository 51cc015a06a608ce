"""Colors shared by every pane: one color per run, the same in plots, legends and parameter groups."""

from __future__ import annotations

RGB = tuple[int, int, int]

# Distinct on dark and light backgrounds; run i always gets SERIES[i].
SERIES: tuple[RGB, ...] = (
    (255, 99, 71),    # tomato
    (80, 200, 120),   # green
    (70, 160, 255),   # blue
    (255, 200, 40),   # amber
    (200, 110, 255),  # violet
    (60, 220, 220),   # cyan
)
MARKER: RGB = (235, 235, 235)
# classes of a data set, minima of a surface: muted enough to sit behind bright markers once dimmed
CATEGORIES: tuple[RGB, ...] = ((230, 90, 90), (90, 170, 240), (120, 210, 110), (240, 200, 70), (190, 120, 240),
                               (80, 220, 210), (240, 140, 60), (200, 200, 200))
FOREGROUND_DIM = "grey50"


def series(index: int) -> RGB:
    """The color of run index."""
    return SERIES[index % len(SERIES)]


def category(index: int) -> RGB:
    """The color of class or minimum index."""
    return CATEGORIES[index % len(CATEGORIES)]


def hex_color(rgb: RGB) -> str:
    """#rrggbb for Rich markup."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def dim(rgb: RGB, amount: float = 0.5) -> RGB:
    """The color mixed toward grey: for the train curve under a solid val curve."""
    return tuple(int(c * (1 - amount) + 110 * amount) for c in rgb)  # type: ignore[return-value]


def tint(rgb: RGB, strength: float = 0.3) -> RGB:
    """The color darkened toward the plot's background: a shaded band behind the lines drawn in rgb."""
    return tuple(int(c * strength + 24 * (1 - strength)) for c in rgb)  # type: ignore[return-value]


GREY_RAMP = ((12, 12, 12), (140, 140, 140))  # without colour (NO_COLOR) levels differ in lightness only


def ramp(levels: int, low: RGB = (16, 32, 64), high: RGB = (96, 72, 40)) -> list[RGB]:
    """levels background colors from low to high, for the surface's levels (dark, under the bright paths)."""
    if levels == 1:
        return [low]
    return [tuple(int(a + (b - a) * i / (levels - 1)) for a, b in zip(low, high, strict=True))  # type: ignore[misc]
            for i in range(levels)]
