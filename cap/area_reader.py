"""One CAP ``<area>`` element to a validated ``cap.model.Area``.

Areas are the most numerous blocks of real alerts (thousands of geocodes per feed, every
area repeated in each language's ``<info>``), so this reader owns their hot path: one pass
over an area's children instead of a generic child map, and each distinct area element
read once per alert. Polygon and circle rules are ``cap.geometry``'s, number rules
``cap.validate``'s; geocode pairs are read by ``cap.elements.NamedValueReader``. Under the
real-world policy (``cap.policy``) an area is never refused: a missing ``<areaDesc>`` reads
as empty, unreadable shapes and numbers are dropped, each with a warning.
"""

from __future__ import annotations

from lxml import etree

from cap import errors
from cap.elements import NamedValueReader, element_text, tag_names, warn_if_unknown_cap_element
from cap.errors import CapError
from cap.geometry import parse_circle, parse_polygon
from cap.model import Area, Circle, Polygon
from cap.policy import Findings
from cap.validate import read_optional_number

# The elements an <area> defines in any CAP version.
AREA_ELEMENTS = frozenset(["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"])


class AreaReader:
    """Reads the ``<area>`` elements of one alert; collects warnings into a shared list."""

    __slots__ = ("_findings", "_kinds", "_named_values", "_prefix", "_seen")

    def __init__(self, namespace: str, named_values: NamedValueReader, findings: Findings) -> None:
        self._kinds = tag_names(namespace, AREA_ELEMENTS)
        self._prefix = "{" + namespace + "}"
        self._named_values = named_values
        self._findings = findings
        self._seen: dict[str, Area] = {}

    def read(self, element: etree._Element, path: str) -> Area:
        """The area at ``path``; identical area elements of this alert are read once."""
        # Multilingual alerts repeat every area in each <info> (a DWD alert: 8 x 169), and
        # areas are immutable, so identical area elements are read once per alert. Their
        # warnings, if any, are reported once, at the first occurrence.
        # Serialised to str: lossless like bytes, and faster, since the default ASCII output
        # writes every non-ASCII character (German area names) as a character reference.
        key = etree.tostring(element, encoding="unicode", with_tail=False)
        known = self._seen.get(key)
        if known is None:
            known = self._read(element, path)
            self._seen[key] = known
        return known

    def _read(self, element: etree._Element, path: str) -> Area:
        # Areas are the most numerous blocks, so they are read in one pass over the children
        # instead of through a generic child map.
        kinds = self._kinds
        area_desc: str | None = None
        polygon_texts: list[str] = []
        circle_texts: list[str] = []
        geocodes: list[etree._Element] = []
        altitude_text: str | None = None
        ceiling_text: str | None = None
        for child in element:
            kind = kinds.get(child.tag)  # comments have a function as tag: not found
            if kind is None:
                warn_if_unknown_cap_element(child, self._prefix, path, self._findings.warnings)
                continue
            if kind == "geocode":
                geocodes.append(child)
                continue
            text = element_text(child)
            if kind == "areaDesc":
                area_desc = text if area_desc is None else area_desc
            elif kind == "altitude":
                altitude_text = text if altitude_text is None else altitude_text
            elif kind == "ceiling":
                ceiling_text = text if ceiling_text is None else ceiling_text
            elif kind == "polygon":
                polygon_texts.append(text)
            else:
                circle_texts.append(text)
        findings = self._findings
        if not area_desc:
            state = "is missing" if area_desc is None else "is empty"
            findings.tolerate(
                CapError(
                    errors.CAP_MISSING_ELEMENT, f"required <areaDesc> {state}", f"{path}/areaDesc"
                ),
                errors.WARN_MISSING_REQUIRED,
                "read as ''; the area's shapes and geocodes are kept",
            )
        altitude = ceiling = None
        if altitude_text:
            altitude = read_optional_number(altitude_text, f"{path}/altitude", "altitude", findings)
        if ceiling_text:
            ceiling = read_optional_number(ceiling_text, f"{path}/ceiling", "ceiling", findings)
        if ceiling is not None and altitude is None:
            findings.tolerate(
                CapError(
                    errors.CAP_MISSING_ELEMENT,
                    f"<ceiling> {ceiling_text!r} needs an <altitude>",
                    f"{path}/altitude",
                ),
                errors.WARN_VALUE_DROPPED,
                "ceiling dropped",
            )
            ceiling = None
        return Area(
            area_desc=area_desc or "",
            polygons=self._polygons(polygon_texts, path) if polygon_texts else (),
            circles=self._circles(circle_texts, path) if circle_texts else (),
            geocodes=self._named_values.read(geocodes, path, "geocode") if geocodes else (),
            altitude=altitude,
            ceiling=ceiling,
        )

    def _polygons(self, texts: list[str], path: str) -> tuple[Polygon, ...]:
        return tuple(
            polygon
            for i, text in enumerate(texts, start=1)
            if (polygon := parse_polygon(text, f"{path}/polygon[{i}]", self._findings)) is not None
        )

    def _circles(self, texts: list[str], path: str) -> tuple[Circle, ...]:
        return tuple(
            circle
            for i, text in enumerate(texts, start=1)
            if (circle := parse_circle(text, f"{path}/circle[{i}]", self._findings)) is not None
        )
