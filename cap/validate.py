"""CAP value rules: enumerations, identifiers, languages, references, numbers.

Each function checks one kind of CAP value and either returns the typed value, raises
``CapError`` (the alert is refused), or records a warning in ``findings`` (the alert is
kept). Which defects refuse and which are read with a warning depends on the parse policy
(``cap.policy``; every rule and its decision: ``docs/cap-policy.md``). Every message names
the offending value; ``location`` is the element path. Geometry (polygons, circles,
coordinates) is ``cap.geometry``'s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from cap import errors
from cap.datetimes import parse_cap_datetime
from cap.errors import CapError
from cap.model import Reference
from cap.policy import Findings

# Values older CAP versions allowed that CAP 1.2 replaced: old -> CAP 1.2 spelling.
DEPRECATED_CERTAINTIES: Mapping[str, str] = {"Very Likely": "Likely"}
# What an absent or unreadable urgency/severity/certainty is read as (real-world policy).
UNKNOWN = "Unknown"

# RFC 3066 language tag, as CAP's <language> requires.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
# CAP 1.2 §3.2.1: identifier and sender must not contain spaces, commas, '<' or '&'.
_FORBIDDEN_IN_ID = re.compile(r"[\s,<&]")


def _enum_error(value: str, allowed: tuple[str, ...], location: str) -> CapError:
    return CapError(
        errors.CAP_INVALID_ENUM, f"{value!r} is not one of {', '.join(allowed)}", location
    )


def _known_enum(
    value: str,
    allowed: tuple[str, ...],
    location: str,
    findings: Findings,
    deprecated: Mapping[str, str] | None,
) -> str | None:
    """``value`` if allowed, a deprecated alias mapped (with a warning), else ``None``."""
    if value in allowed:
        return value
    if deprecated is not None and value in deprecated:
        replacement = deprecated[value]
        findings.warn(
            errors.WARN_DEPRECATED_VALUE,
            f"{value!r} is deprecated; read as {replacement!r}",
            location,
        )
        return replacement
    return None


def check_enum(
    value: str,
    allowed: tuple[str, ...],
    location: str,
    findings: Findings,
    deprecated: Mapping[str, str] | None = None,
) -> str:
    """``value`` if it is in ``allowed`` (or a deprecated alias, mapped with a warning).

    Anything else is refused under every policy: this is the rule for ``status``,
    ``msgType`` and ``scope``, which decide whether and to whom an alert is shown.
    """
    known = _known_enum(value, allowed, location, findings, deprecated)
    if known is None:
        raise _enum_error(value, allowed, location)
    return known


def _tolerant_enum(
    value: str,
    allowed: tuple[str, ...],
    location: str,
    findings: Findings,
    deprecated: Mapping[str, str] | None,
    *,
    fallback: str | None,
) -> str | None:
    known = _known_enum(value, allowed, location, findings, deprecated)
    if known is not None:
        return known
    error = _enum_error(value, allowed, location)
    folded = value.casefold()
    for candidate in allowed:
        if candidate.casefold() == folded:
            findings.tolerate(error, errors.WARN_ENUM_CASE, f"read as {candidate!r}")
            return candidate
    if fallback is None:
        findings.tolerate(error, errors.WARN_VALUE_DROPPED, "dropped")
        return None
    findings.tolerate(error, errors.WARN_UNKNOWN_ENUM, f"read as {fallback!r}")
    return fallback


def read_info_enum(
    value: str,
    allowed: tuple[str, ...],
    location: str,
    findings: Findings,
    deprecated: Mapping[str, str] | None = None,
) -> str:
    """Urgency, severity or certainty; a value outside CAP's list reads as ``Unknown``.

    Real-world policy: a value in the wrong case (``severe``) is read as CAP spells it
    (``cap.enum_case``), any other unknown value as ``Unknown`` (``cap.unknown_enum``).
    Strict policy: both refused (``cap.invalid_enum``).
    """
    read = _tolerant_enum(value, allowed, location, findings, deprecated, fallback=UNKNOWN)
    return UNKNOWN if read is None else read


def read_enum_entry(
    value: str, allowed: tuple[str, ...], location: str, findings: Findings
) -> str | None:
    """One entry of a list-valued enumeration (``category``, ``responseType``).

    Real-world policy: wrong case read as CAP spells it (``cap.enum_case``), an unknown
    value dropped (``None``, ``cap.value_dropped``). Strict policy: both refused.
    """
    return _tolerant_enum(value, allowed, location, findings, None, fallback=None)


def check_identifier(value: str, location: str, findings: Findings) -> str:
    """Warn on identifiers/senders with characters CAP forbids in them.

    Real senders such as ``Vendor generated`` (OASIS EDXL-DE example) break the rule, yet
    the message is still identifiable, so this is a warning rather than a refusal.
    """
    bad = _FORBIDDEN_IN_ID.search(value)
    if bad is not None:
        findings.warn(
            errors.WARN_IDENTIFIER_CHARACTERS,
            f"{value!r} contains {bad.group()!r}, which CAP forbids here",
            location,
        )
    return value


def check_language(value: str, location: str, findings: Findings) -> str:
    """Warn (not refuse) on a language that is no RFC 3066 tag, e.g. ``en_US``."""
    if _LANGUAGE_TAG.fullmatch(value) is None:
        findings.warn(errors.WARN_INVALID_LANGUAGE, f"{value!r} is not an RFC 3066 tag", location)
    return value


def _reference(entry: str, location: str, findings: Findings) -> Reference:
    parts = entry.split(",")
    if len(parts) != 3 or not all(parts):
        raise CapError(
            errors.CAP_INVALID_REFERENCE,
            f"{entry!r} is not a sender,identifier,sent triple",
            location,
        )
    sender, identifier, sent_text = parts
    try:
        sent = parse_cap_datetime(sent_text, location)
    except CapError as exc:
        raise CapError(
            errors.CAP_INVALID_REFERENCE,
            f"{entry!r} has an invalid sent date-time: {exc.message}",
            location,
        ) from exc
    if sent.used_z:
        findings.warn(errors.WARN_DATETIME_UTC_Z, f"reference {entry!r} uses 'Z'", location)
    return Reference(sender=sender, identifier=identifier, sent=sent.value)


def parse_references(
    text: str, location: str, findings: Findings, cap_version: str
) -> tuple[Reference, ...]:
    """Parse whitespace-separated ``sender,identifier,sent`` triples.

    A malformed entry is dropped under the real-world policy (``cap.value_dropped``: the
    alert is kept, only that link to an earlier message is lost) and refused under the
    strict one (``cap.invalid_reference``).
    """
    entries = text.split()
    if not entries:
        findings.warn(errors.WARN_EMPTY_ELEMENT, "<references> is empty", location)
        return ()
    references: list[Reference] = []
    for entry in entries:
        if cap_version == "1.0" and "," not in entry:
            # CAP 1.0 feeds sometimes list bare identifiers; they cannot be matched to a
            # (sender, identifier, sent) key, so they are reported rather than kept.
            findings.warn(
                errors.WARN_DEPRECATED_VALUE,
                f"CAP 1.0 reference {entry!r} is not a sender,identifier,sent triple; ignored",
                location,
            )
            continue
        try:
            references.append(_reference(entry, location, findings))
        except CapError as error:
            findings.tolerate(error, errors.WARN_VALUE_DROPPED, "this reference dropped")
    return tuple(references)


def parse_number(text: str, location: str, what: str) -> float:
    """Parse a finite decimal number."""
    try:
        value = float(text)
    except ValueError as exc:
        raise CapError(
            errors.CAP_INVALID_NUMBER, f"{what} {text!r} is not a number", location
        ) from exc
    if not math.isfinite(value):
        raise CapError(errors.CAP_INVALID_NUMBER, f"{what} {text!r} is not finite", location)
    return value


def read_optional_number(text: str, location: str, what: str, findings: Findings) -> float | None:
    """An optional number (altitude, ceiling): unreadable is dropped (real-world) or refused."""
    try:
        return parse_number(text, location, what)
    except CapError as error:
        findings.tolerate(error, errors.WARN_VALUE_DROPPED, f"{what} dropped")
        return None
