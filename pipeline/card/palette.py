"""Card colours by CAP severity, following the warning colours alerting authorities use.

MeteoAlarm and most national services colour warnings yellow (be aware), orange (be
prepared) and red (take action); CAP's ``Moderate``/``Severe``/``Extreme`` map onto
them, ``Minor`` gets the green of "no special awareness required" and ``Unknown`` a
neutral blue-grey, so that no colour claims a level the alert did not state. Text and
pictogram use black or white, whichever contrasts more with the background; every pair
is at least 4.5:1 (WCAG 2.x AA for normal text), which ``tests/pipeline`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]

BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)
# WCAG 2.x AA for body text; the card's smallest text is body-sized.
MIN_CONTRAST = 4.5


@dataclass(frozen=True)
class SeverityColours:
    """Background, ink (text and pictogram) and a darker panel tone for one severity."""

    name: str
    background: RGB
    ink: RGB
    panel: RGB


def relative_luminance(colour: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 = black, 1 = white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2.x contrast ratio, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def best_ink(background: RGB) -> RGB:
    """Black or white, whichever contrasts more with ``background``."""
    return max((BLACK, WHITE), key=lambda ink: contrast_ratio(ink, background))


def _towards(colour: RGB, target: RGB, amount: float) -> RGB:
    red, green, blue = (round(c + (t - c) * amount) for c, t in zip(colour, target, strict=True))
    return (red, green, blue)


def _colours(name: str, background: RGB) -> SeverityColours:
    ink = best_ink(background)
    # The text panel moves away from the ink (lighter under black text, darker under
    # white), so the text on it contrasts even more than on the background.
    panel = _towards(background, WHITE if ink == BLACK else BLACK, 0.3)
    return SeverityColours(name, background, ink, panel)


SEVERITY_COLOURS: dict[str, SeverityColours] = {
    "Extreme": _colours("red", (196, 18, 28)),
    "Severe": _colours("orange", (245, 130, 20)),
    "Moderate": _colours("yellow", (255, 214, 0)),
    "Minor": _colours("green", (46, 125, 50)),
    "Unknown": _colours("grey", (55, 71, 79)),
}


def colours_for(severity: str) -> SeverityColours:
    """The colours of a CAP severity; anything else is ``Unknown``."""
    return SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["Unknown"])
