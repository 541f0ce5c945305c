"""Hazard classification: which taxonomy hazard a CAP alert describes.

Evidence, strongest first: an ``<eventCode>`` value listed in the taxonomy (whatever its
``valueName``), words in ``<event>``, words in ``<headline>``. Within one tier the longest
(most specific) match wins, so "지진해일" is a tsunami although it contains "지진", and
"Flash Flood Warning" never reads as a mere "warning". Ties go to the hazard whose
categories the info carries, then to the match earlier in the text, then to taxonomy order.

An alert's hazard is the strongest *renderable* hazard among its infos; ``none`` when no
info names one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cap.model import Alert, Info
from cap.taxonomy import (
    NONE_HAZARD,
    WILDCARD,
    Taxonomy,
    TaxonomyError,
    is_cjk,
    load_taxonomy,
    normalize_code,
    normalize_text,
    tokenize,
)

# Evidence tiers: a code is set deliberately by the issuer, the event names the hazard, the
# headline is free prose that may mention other things.
TIER_EVENT_CODE = 3
TIER_EVENT = 2
TIER_HEADLINE = 1


@dataclass(frozen=True)
class AlertHazard:
    """The hazard of an alert, with the per-info results and what decided it."""

    hazard: str  # the alert's hazard: taxonomy name or "none"
    info_hazards: tuple[str, ...]  # one per Info, same order as alert.infos
    matched: str | None  # what matched (e.g. "eventCode:FFW" or "ko:지진해일"), for logs


@dataclass(frozen=True)
class HazardMatch:
    """One piece of evidence for a hazard, comparable by strength."""

    hazard: str
    label: str  # "eventCode:FFW", "en:flash flood", ...
    tier: int
    length: int  # characters of the matched entry: longer is more specific
    supported: bool  # the info's categories include one of the hazard's categories
    position: int  # where in the text it matched; earlier wins a tie
    order: int  # the hazard's index in the taxonomy; the last tie-breaker

    def strength(self) -> tuple[int, int, bool, int, int]:
        """Sort key: the larger, the stronger."""
        return (self.tier, self.length, self.supported, -self.position, -self.order)


@dataclass(frozen=True)
class _Entry:
    hazard: str
    label: str
    length: int


class _Matcher:
    """The taxonomy's words and codes arranged for fast lookup."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.order = {name: index for index, name in enumerate(taxonomy.names)}
        self.categories = {spec.name: frozenset(spec.categories) for spec in taxonomy.hazards}
        self.codes: dict[str, _Entry] = {}
        self.phrases: dict[tuple[str, ...], _Entry] = {}
        # Wildcard stems by stem, with the distinct stem lengths: a token is looked up by its
        # start/end of each length instead of being compared with every stem.
        self.prefixes: dict[str, list[_Entry]] = {}
        self.suffixes: dict[str, list[_Entry]] = {}
        self.substrings: list[tuple[str, _Entry]] = []
        for spec in taxonomy.hazards:
            for code in spec.event_codes:
                form = normalize_code(code)
                self.codes.setdefault(form, _Entry(spec.name, code, len(form)))
            for language, entries in spec.words.items():
                for raw in entries:
                    self._add_word(spec.name, language, raw)
        # Longest phrase starting with each word: most words of an alert start none, and
        # are then not looked up as the start of a phrase at all.
        self.longest_phrase_from: dict[str, int] = {}
        for phrase in self.phrases:
            if phrase:
                longest = self.longest_phrase_from.get(phrase[0], 0)
                self.longest_phrase_from[phrase[0]] = max(longest, len(phrase))
        self.prefix_lengths = sorted({len(stem) for stem in self.prefixes})
        self.suffix_lengths = sorted({len(stem) for stem in self.suffixes})

    def _add_word(self, hazard: str, language: str, raw: str) -> None:
        core = normalize_text(raw.strip(WILDCARD))
        entry = _Entry(hazard, f"{language}:{raw.strip(WILDCARD)}", len(core))
        if is_cjk(core):
            self.substrings.append((core, entry))
            return
        tokens = tokenize(core)
        if raw.startswith(WILDCARD) or raw.endswith(WILDCARD):
            if len(tokens) != 1:
                raise TaxonomyError(f"wildcard word {raw!r} of {hazard!r} must be a single word")
            target = self.suffixes if raw.startswith(WILDCARD) else self.prefixes
            target.setdefault(tokens[0], []).append(entry)
            return
        self.phrases.setdefault(tokens, entry)

    def match_codes(self, info: Info) -> list[HazardMatch]:
        """Matches of the info's eventCode values."""
        found = []
        for position, pair in enumerate(info.event_codes):
            entry = self.codes.get(normalize_code(pair.value))
            if entry is not None:
                # Label with the alert's own spelling so logs show what the issuer sent.
                labelled = _Entry(entry.hazard, f"eventCode:{pair.value.strip()}", entry.length)
                found.append(self._match(labelled, info, TIER_EVENT_CODE, position))
        return found

    def match_text(self, text: str, info: Info, tier: int) -> list[HazardMatch]:
        """Word matches in one text field: whole words, word ends, and CJK substrings."""
        normalized = normalize_text(text)
        found = []
        tokens = tokenize(normalized)
        for start, token in enumerate(tokens):
            longest = self.longest_phrase_from.get(token, 0)
            for size in range(1, min(longest, len(tokens) - start) + 1):
                entry = self.phrases.get(tokens[start : start + size])
                if entry is not None:
                    found.append(self._match(entry, info, tier, start))
            # A slice shorter than the stem length never equals a stem of that length.
            for length in self.prefix_lengths:
                for entry in self.prefixes.get(token[:length], ()):
                    found.append(self._match(entry, info, tier, start))
            for length in self.suffix_lengths:
                for entry in self.suffixes.get(token[-length:], ()):
                    found.append(self._match(entry, info, tier, start))
        if is_cjk(normalized):
            for core, entry in self.substrings:
                position = normalized.find(core)
                if position >= 0:
                    found.append(self._match(entry, info, tier, position))
        return found

    def _match(self, entry: _Entry, info: Info, tier: int, position: int) -> HazardMatch:
        supported = not self.categories[entry.hazard].isdisjoint(info.categories)
        return HazardMatch(
            hazard=entry.hazard,
            label=entry.label,
            tier=tier,
            length=entry.length,
            supported=supported,
            position=position,
            order=self.order[entry.hazard],
        )


@functools.cache
def _matcher_for(taxonomy: Taxonomy) -> _Matcher:
    return _Matcher(taxonomy)


def best_match(info: Info, taxonomy: Taxonomy | None = None) -> HazardMatch | None:
    """The strongest evidence in one info (its hazard may be ``none``), or None if nothing."""
    matcher = _matcher_for(taxonomy or load_taxonomy())
    found = matcher.match_codes(info)
    found += matcher.match_text(info.event, info, TIER_EVENT)
    if info.headline:
        found += matcher.match_text(info.headline, info, TIER_HEADLINE)
    return max(found, key=HazardMatch.strength, default=None)


def classify_info(info: Info, taxonomy: Taxonomy | None = None) -> str:
    """The hazard one ``<info>`` describes: a taxonomy name, ``none`` if nothing to draw."""
    match = best_match(info, taxonomy)
    return NONE_HAZARD if match is None else match.hazard


def classify_alert(alert: Alert, taxonomy: Taxonomy | None = None) -> AlertHazard:
    """The alert's hazard: the strongest renderable hazard among its infos, else ``none``."""
    matches = [best_match(info, taxonomy) for info in alert.infos]
    info_hazards = tuple(NONE_HAZARD if match is None else match.hazard for match in matches)
    evidence = [match for match in matches if match is not None]
    renderable = [match for match in evidence if match.hazard != NONE_HAZARD]
    if renderable:
        strongest = max(renderable, key=HazardMatch.strength)
        return AlertHazard(strongest.hazard, info_hazards, strongest.label)
    # Nothing to draw; still say what made it "none" (e.g. "eventCode:CAE") for the logs.
    reason = max(evidence, key=HazardMatch.strength, default=None)
    return AlertHazard(NONE_HAZARD, info_hazards, None if reason is None else reason.label)
