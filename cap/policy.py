"""Parse policies: which CAP defects refuse an alert, and which are read with a warning.

Two policies (``docs/cap-policy.md`` lists every rule and what each policy does with it):

- ``real-world`` (the default): refuse only what makes an alert unusable or unsafe —
  hostile XML, no identity (``identifier``, ``sender``, ``sent``), a missing or unknown
  ``status``/``msgType``/``scope``, a document that is not CAP. Every other defect with a
  safe reading is read that way, with a warning that names the defect and what was done
  (a missing ``certainty`` read as ``Unknown``, a broken polygon dropped from its area, a
  longitude of -180.005 clamped to -180).
- ``strict``: the CAP specification as validators want it. Every defect the real-world
  policy tolerates refuses the alert, with the error code it has always had.

Readers record what they find in a ``Findings`` object, which knows the policy:
``warn`` for profile oddities that are warnings under every policy, ``tolerate`` for
spec violations that the real-world policy reads safely and the strict policy refuses.
"""

from __future__ import annotations

import enum

from cap.errors import CapError
from cap.model import Issue


class ParsePolicy(enum.StrEnum):
    """How strictly CAP rules are enforced; see the module docstring."""

    REAL_WORLD = "real-world"
    STRICT = "strict"


DEFAULT_POLICY = ParsePolicy.REAL_WORLD

# Under the real-world policy a latitude/longitude at most this many degrees outside its
# WGS 84 range (e.g. longitude -180.005 next to the antimeridian: rounding in the sender's
# geometry tools) is clamped to the range; farther out, the shape is dropped (~1 km).
COORDINATE_TOLERANCE_DEG = 0.01

# Points one <polygon> may hold. Real NWS alerts carry polygons of 34,000 points (coast
# lines); the byte limit bounds the document, this bounds the geometry work per shape.
DEFAULT_MAX_POLYGON_POINTS = 100_000


class Findings:
    """The warnings found while reading one alert, and the policy that judges defects."""

    __slots__ = ("max_polygon_points", "policy", "strict", "warnings")

    def __init__(
        self,
        policy: ParsePolicy = DEFAULT_POLICY,
        max_polygon_points: int = DEFAULT_MAX_POLYGON_POINTS,
    ) -> None:
        self.policy = policy
        self.strict = policy is ParsePolicy.STRICT
        self.max_polygon_points = max_polygon_points
        self.warnings: list[Issue] = []

    def warn(self, code: str, message: str, location: str | None) -> None:
        """A warning under every policy (a profile oddity that CAP readers accept)."""
        self.warnings.append(Issue(code, message, location))

    def tolerate(self, error: CapError, code: str, action: str) -> None:
        """A spec violation with a safe reading: raise ``error`` under the strict policy,
        otherwise record warning ``code`` saying what was wrong (``error``'s message and
        location) and what was done about it (``action``, e.g. ``"read as 'Unknown'"``).
        """
        if self.strict:
            raise error
        self.warnings.append(Issue(code, f"{error.message}; {action}", error.location))

    def fork(self) -> Findings:
        """An empty ``Findings`` of the same policy, for a part that may still be dropped
        whole: its warnings are kept (``absorb``) only if the part is.
        """
        return Findings(self.policy, self.max_polygon_points)

    def absorb(self, other: Findings) -> None:
        """Keep the warnings of a part read with ``fork``."""
        self.warnings.extend(other.warnings)
