"""Stable, machine-readable error and warning codes for CAP input, and the typed exception.

Codes are dotted lower-case strings; they never change meaning once published, because
dead-letter headers, the ``cinealert parse`` output and tests all key on them.

=============================  =====================================================
code                           meaning
=============================  =====================================================
``input.empty``                no bytes, or only whitespace
``input.not_xml``              the bytes do not start like an XML document (binary)
``input.unreadable``           the input could not be read (CLI: missing file, ...)
``input.unknown_format``       well-formed XML, but neither CAP nor a known container
``xml.too_large``              more bytes than ``ParseLimits.max_bytes``
``xml.too_deep``               elements nested deeper than ``ParseLimits.max_depth``
``xml.too_many_elements``      more elements than ``ParseLimits.max_elements``
``xml.not_well_formed``        the XML parser refused the document
``xml.encoding``               bytes do not match the declared / detected encoding
``xml.dtd_forbidden``          a ``<!DOCTYPE>`` (internal or external DTD) is present
``xml.entity_forbidden``       an ``<!ENTITY>`` declaration or entity reference is present
``xml.xinclude_forbidden``     an ``xi:include`` element is present
``container.too_many_alerts``  a container carries more alerts than ``max_alerts``
``container.no_alert``         an envelope (EDXL-DE, ``<alerts>``) holds no CAP alert
``cap.unknown_namespace``      an ``<alert>`` whose namespace is no CAP version
``cap.missing_element``        a required element is absent or empty
``cap.invalid_enum``           a value outside its CAP enumeration
``cap.invalid_datetime``       a date-time that is not CAP's ``YYYY-MM-DDThh:mm:ss±hh:mm``
``cap.invalid_reference``      a ``<references>`` entry that is not ``sender,identifier,sent``
``cap.invalid_polygon``        a polygon that is not closed, has fewer than 4 points
                               or more than ``ParseLimits.max_polygon_points``
``cap.invalid_circle``         a circle that is not ``lat,lon radius``
``cap.invalid_coordinate``     latitude/longitude outside WGS 84 ranges, or not a number
``cap.invalid_number``         a numeric element (size, altitude, ceiling) that is not one
=============================  =====================================================

Warnings (the alert is kept). The first group are warnings under every parse policy; the
second are spec violations that the ``real-world`` policy (``cap.policy``) reads safely and
the ``strict`` policy refuses with the error code named in ``docs/cap-policy.md``:

=============================  =====================================================
``cap.datetime_utc_z``         a ``Z`` zone designator; CAP requires ``+00:00``/``-00:00``
``cap.deprecated_value``       a value CAP deprecated (e.g. certainty ``Very Likely``)
``cap.empty_element``          an optional element present but empty (``<references/>``)
``cap.empty_polygon``          a ``<polygon>`` or ``<circle>`` with no content
``cap.unknown_element``        an element in the CAP namespace that CAP does not define
``cap.cap10_password``         CAP 1.0 ``<password>`` element, dropped
``cap.invalid_language``       a ``<language>`` that is not an RFC 3066 tag
``cap.identifier_characters``  identifier/sender with spaces or commas (CAP forbids them)
``cap.missing_category``       an ``<info>`` without ``<category>`` (kept, no categories)
``cap.empty_enum``             empty urgency/severity/certainty, read as ``Unknown``
``cap.coordinate_format``      polygon numbers with stray spaces/commas, read pairwise
-----------------------------  -----------------------------------------------------
``cap.missing_enum``           urgency/severity/certainty absent, read as ``Unknown``
``cap.unknown_enum``           urgency/severity/certainty outside CAP's list, ``Unknown``
``cap.enum_case``              an enumerated value in the wrong case (``severe``), read
                               as CAP spells it
``cap.missing_required``       ``event``/``areaDesc``/``resourceDesc``/``valueName``
                               absent or empty, read as empty text
``cap.value_dropped``          an optional value without a safe reading (date-time,
                               number, reference, category, responseType, ceiling
                               without altitude) dropped, the rest of the alert kept
``cap.geometry_dropped``       a polygon or circle without a safe reading dropped from
                               its area; the area keeps its description and geocodes
``cap.coordinate_range``       a coordinate a hair (≤ 0.01°) out of range, clamped
``cap.stray_characters``       polygon with stray ``;()[]{}"'`` read as separators
=============================  =====================================================
"""

from __future__ import annotations

INPUT_EMPTY = "input.empty"
INPUT_NOT_XML = "input.not_xml"
INPUT_UNREADABLE = "input.unreadable"
INPUT_UNKNOWN_FORMAT = "input.unknown_format"

XML_TOO_LARGE = "xml.too_large"
XML_TOO_DEEP = "xml.too_deep"
XML_TOO_MANY_ELEMENTS = "xml.too_many_elements"
XML_NOT_WELL_FORMED = "xml.not_well_formed"
XML_ENCODING = "xml.encoding"
XML_DTD_FORBIDDEN = "xml.dtd_forbidden"
XML_ENTITY_FORBIDDEN = "xml.entity_forbidden"
XML_XINCLUDE_FORBIDDEN = "xml.xinclude_forbidden"

CONTAINER_TOO_MANY_ALERTS = "container.too_many_alerts"
CONTAINER_NO_ALERT = "container.no_alert"

CAP_UNKNOWN_NAMESPACE = "cap.unknown_namespace"
CAP_MISSING_ELEMENT = "cap.missing_element"
CAP_INVALID_ENUM = "cap.invalid_enum"
CAP_INVALID_DATETIME = "cap.invalid_datetime"
CAP_INVALID_REFERENCE = "cap.invalid_reference"
CAP_INVALID_POLYGON = "cap.invalid_polygon"
CAP_INVALID_CIRCLE = "cap.invalid_circle"
CAP_INVALID_COORDINATE = "cap.invalid_coordinate"
CAP_INVALID_NUMBER = "cap.invalid_number"

WARN_DATETIME_UTC_Z = "cap.datetime_utc_z"
WARN_DEPRECATED_VALUE = "cap.deprecated_value"
WARN_EMPTY_ELEMENT = "cap.empty_element"
WARN_EMPTY_POLYGON = "cap.empty_polygon"
WARN_UNKNOWN_ELEMENT = "cap.unknown_element"
WARN_CAP10_PASSWORD = "cap.cap10_password"
WARN_INVALID_LANGUAGE = "cap.invalid_language"
WARN_IDENTIFIER_CHARACTERS = "cap.identifier_characters"
WARN_MISSING_CATEGORY = "cap.missing_category"
WARN_EMPTY_ENUM = "cap.empty_enum"
WARN_COORDINATE_FORMAT = "cap.coordinate_format"
# Tolerated under the real-world policy, refused under the strict one (cap.policy).
WARN_MISSING_ENUM = "cap.missing_enum"
WARN_UNKNOWN_ENUM = "cap.unknown_enum"
WARN_ENUM_CASE = "cap.enum_case"
WARN_MISSING_REQUIRED = "cap.missing_required"
WARN_VALUE_DROPPED = "cap.value_dropped"
WARN_GEOMETRY_DROPPED = "cap.geometry_dropped"
WARN_COORDINATE_RANGE = "cap.coordinate_range"
WARN_STRAY_CHARACTERS = "cap.stray_characters"

ERROR_CODES: frozenset[str] = frozenset(
    {
        INPUT_EMPTY,
        INPUT_NOT_XML,
        INPUT_UNREADABLE,
        INPUT_UNKNOWN_FORMAT,
        XML_TOO_LARGE,
        XML_TOO_DEEP,
        XML_TOO_MANY_ELEMENTS,
        XML_NOT_WELL_FORMED,
        XML_ENCODING,
        XML_DTD_FORBIDDEN,
        XML_ENTITY_FORBIDDEN,
        XML_XINCLUDE_FORBIDDEN,
        CONTAINER_TOO_MANY_ALERTS,
        CONTAINER_NO_ALERT,
        CAP_UNKNOWN_NAMESPACE,
        CAP_MISSING_ELEMENT,
        CAP_INVALID_ENUM,
        CAP_INVALID_DATETIME,
        CAP_INVALID_REFERENCE,
        CAP_INVALID_POLYGON,
        CAP_INVALID_CIRCLE,
        CAP_INVALID_COORDINATE,
        CAP_INVALID_NUMBER,
    }
)

WARNING_CODES: frozenset[str] = frozenset(
    {
        WARN_DATETIME_UTC_Z,
        WARN_DEPRECATED_VALUE,
        WARN_EMPTY_ELEMENT,
        WARN_EMPTY_POLYGON,
        WARN_UNKNOWN_ELEMENT,
        WARN_CAP10_PASSWORD,
        WARN_INVALID_LANGUAGE,
        WARN_IDENTIFIER_CHARACTERS,
        WARN_MISSING_CATEGORY,
        WARN_EMPTY_ENUM,
        WARN_COORDINATE_FORMAT,
        WARN_MISSING_ENUM,
        WARN_UNKNOWN_ENUM,
        WARN_ENUM_CASE,
        WARN_MISSING_REQUIRED,
        WARN_VALUE_DROPPED,
        WARN_GEOMETRY_DROPPED,
        WARN_COORDINATE_RANGE,
        WARN_STRAY_CHARACTERS,
    }
)

# Warnings that stand for a refusal under the strict policy.
TOLERATED_CODES: frozenset[str] = frozenset(
    {
        WARN_MISSING_ENUM,
        WARN_UNKNOWN_ENUM,
        WARN_ENUM_CASE,
        WARN_MISSING_REQUIRED,
        WARN_VALUE_DROPPED,
        WARN_GEOMETRY_DROPPED,
        WARN_COORDINATE_RANGE,
        WARN_STRAY_CHARACTERS,
    }
)


class CapError(ValueError):
    """A refusal of CAP input: a stable ``code``, a message naming the value, and where."""

    def __init__(self, code: str, message: str, location: str | None = None) -> None:
        super().__init__(f"{code}: {message}" + (f" (at {location})" if location else ""))
        self.code = code
        self.message = message
        self.location = location
