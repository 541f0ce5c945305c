"""Raw configuration text and TOML values → typed setting values, and the error type.

The lower half of :mod:`daemon.runtime.settings`: it knows the naming scheme
(``CINEALERT_<FIELD>``, ``CINEALERT_MODEL_<ROLE>``) and how each field type is parsed,
but not which fields exist — the caller passes the field types in.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline.config import ROLES

ENV_PREFIX = "CINEALERT_"
# Names the daemon reads from the environment that are not fields of Settings.
CONFIG_FILE_ENV = "CINEALERT_CONFIG"
MODEL_SOURCE_ENV_PREFIX = "CINEALERT_MODEL_"

# The pipeline owns the list of model roles; its config module is torch-free.
MODEL_ROLES = ROLES

# Kubernetes injects "service link" variables for every Service in the namespace; a
# Service named "cinealert" yields CINEALERT_SERVICE_HOST, CINEALERT_PORT_8080_TCP...
# They are not settings and must not stop the daemon.
_SERVICE_LINK = re.compile(
    r"^CINEALERT(?:_[A-Z0-9_]+?)??_(?P<kind>SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?|"
    r"PORT(?:_\d+_(?:TCP|UDP|SCTP)(?:_ADDR|_PORT|_PROTO)?)?)$"
)
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A configuration key is unknown or its value is invalid.

    ``key`` is the environment variable or TOML key at fault, ``value`` what it held.
    """

    def __init__(self, key: str, value: object, problem: str) -> None:
        self.key = key
        self.value = value
        self.problem = problem
        super().__init__(f"{key}={value!r}: {problem}")


def is_kubernetes_service_link(name: str, value: str) -> bool:
    """True for a variable Kubernetes injects for a Service (not a cinealert setting).

    A bare ``..._PORT`` counts only with a ``tcp://``-style value, so a mistyped
    ``CINEALERT_HTPP_PORT=8080`` still fails loudly.
    """
    match = _SERVICE_LINK.match(name)
    if match is None:
        return False
    if match["kind"] == "PORT":
        return value.startswith(("tcp://", "udp://", "sctp://"))
    return True


def env_name(field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    return ENV_PREFIX + field_name.upper()


def values_from_environ(
    env: Mapping[str, str], types_by_field: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed values of every ``CINEALERT_*`` variable; unknown names raise SettingsError."""
    values: dict[str, Any] = {}
    model_sources: dict[str, str] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_FILE_ENV:
            continue
        field_name = name[len(ENV_PREFIX) :].lower()
        if field_name in types_by_field and field_name != "model_sources":
            values[field_name] = _parse_text(name, raw, types_by_field[field_name])
        elif name.startswith(MODEL_SOURCE_ENV_PREFIX):
            role = name[len(MODEL_SOURCE_ENV_PREFIX) :].lower()
            if role not in MODEL_ROLES:
                raise SettingsError(
                    name, raw, f"unknown model role; roles are {upper_list(MODEL_ROLES)}"
                )
            model_sources[role] = _non_empty(name, raw)
        elif not is_kubernetes_service_link(name, raw):
            raise SettingsError(name, raw, "unknown setting (see docs/configuration.md)")
    if model_sources:
        values["model_sources"] = model_sources
    return values


def values_from_toml(path: Path, types_by_field: Mapping[str, Any]) -> dict[str, Any]:
    """Typed values of a TOML settings file; unknown keys raise SettingsError."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError as error:
        raise SettingsError(CONFIG_FILE_ENV, str(path), "config file not found") from error
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(CONFIG_FILE_ENV, str(path), f"not valid TOML: {error}") from error
    values: dict[str, Any] = {}
    for key, raw in document.items():
        where = f"{path}:{key}"
        if key not in types_by_field:
            raise SettingsError(where, raw, "unknown setting (see docs/configuration.md)")
        if key == "model_sources":
            values[key] = _model_sources_from_toml(where, raw)
        else:
            values[key] = _parse_toml_value(where, raw, types_by_field[key])
    return values


def _model_sources_from_toml(where: str, raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise SettingsError(where, raw, "must be a table of role = source")
    sources: dict[str, str] = {}
    for role, source in raw.items():
        if role not in MODEL_ROLES:
            raise SettingsError(f"{where}.{role}", source, f"unknown model role; {MODEL_ROLES}")
        if not isinstance(source, str):
            raise SettingsError(f"{where}.{role}", source, "must be a string")
        sources[role] = _non_empty(f"{where}.{role}", source)
    return sources


def _optional_inner(annotation: Any) -> tuple[Any, bool]:
    """For ``X | None`` return (X, True); otherwise (annotation, False)."""
    if isinstance(annotation, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0], True
    return annotation, False


def _parse_text(key: str, raw: str, annotation: Any) -> Any:
    """Parse an environment string into the field's type; empty means None for optionals."""
    inner, optional = _optional_inner(annotation)
    if optional and raw.strip() == "":
        return None
    parsers: dict[Any, Callable[[str, str], Any]] = {
        str: lambda _k, v: v,
        int: _parse_int,
        float: _parse_float,
        bool: _parse_bool,
        Path: lambda _k, v: Path(v),
    }
    if inner not in parsers:
        raise SettingsError(key, raw, f"cannot be set from text (type {inner})")
    return parsers[inner](key, raw)


def _parse_toml_value(key: str, raw: object, annotation: Any) -> Any:
    """Check a TOML value has the field's type (TOML carries types; no string coercion)."""
    inner, _optional = _optional_inner(annotation)
    if inner is bool:
        if isinstance(raw, bool):
            return raw
    elif inner is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
    elif inner is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
    elif inner is Path:
        if isinstance(raw, str):
            return Path(raw)
    elif inner is str and isinstance(raw, str):
        return raw
    raise SettingsError(key, raw, f"must be a TOML {getattr(inner, '__name__', inner)}")


def _parse_int(key: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError as error:
        raise SettingsError(key, raw, "not an integer") from error


def _parse_float(key: str, raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError as error:
        raise SettingsError(key, raw, "not a number") from error


def _parse_bool(key: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SettingsError(key, raw, "not a boolean (use true/false, 1/0, yes/no, on/off)")


def _non_empty(key: str, raw: str) -> str:
    if not raw.strip():
        raise SettingsError(key, raw, "must not be empty")
    return raw


def upper_list(names: tuple[str, ...]) -> str:
    return ", ".join(n.upper() for n in names)
