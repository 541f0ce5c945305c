"""Access to the hand-written CAP fixtures under tests/cap/fixtures and the shared corpus."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "cap-corpus"


def fixture_bytes(name: str) -> bytes:
    """The bytes of one fixture file."""
    return (FIXTURES / name).read_bytes()


def fixture_text(name: str) -> str:
    """One UTF-8 fixture as text, for tests that derive variants by replacement."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def replace_once(text: str, old: str, new: str) -> bytes:
    """``text`` with ``old`` replaced exactly once; fails loudly if ``old`` is not there."""
    if text.count(old) < 1:
        raise AssertionError(f"fixture does not contain {old!r}")
    return text.replace(old, new, 1).encode("utf-8")
