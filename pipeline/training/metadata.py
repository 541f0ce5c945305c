"""Captions to training pairs in the second paper's format: the prompt
``[INST] {keywords} [/INST]`` and, as target, metadata text in the paper's template —
scene, time of day, lighting, objects, mood — with the no-humans instruction appended.

The paper does not publish how its metadata was written from the BLIP captions; here
the slots are filled by rule from the caption's words (time-of-day and lighting words,
the objects it names) and per-type defaults where the caption says nothing, so the
same caption always yields the same target and every target can be traced back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.metadata_prompt import ANSWER_PREFIX, adapter_instruction
from pipeline.prompt import NO_HUMANS_INSTRUCTION

# The same instruction and opening the renderer's prompt stage uses, so that a trained
# adapter writes what the renderer expects.
NO_HUMANS = f"{NO_HUMANS_INSTRUCTION}."
# The paper's template, slot by slot (its Fig. 3 example reads "The image captures ...
# The mood of the image is ...").
TEMPLATE = (
    ANSWER_PREFIX + " {scene}. It is {time_of_day}, with {lighting}. "
    "In view: {objects}. The mood of the image is {mood}. " + NO_HUMANS
)

TIME_WORDS: Mapping[str, str] = {
    "night": "night",
    "dark": "night",
    "dusk": "dusk",
    "sunset": "sunset",
    "evening": "evening",
    "dawn": "dawn",
    "sunrise": "sunrise",
    "morning": "morning",
    "day": "daytime",
    "daytime": "daytime",
    "afternoon": "afternoon",
}
LIGHT_WORDS: Mapping[str, str] = {
    "smoke": "light filtered through smoke",
    "smoky": "light filtered through smoke",
    "fog": "diffuse light through fog",
    "foggy": "diffuse light through fog",
    "cloudy": "flat light under clouds",
    "clouds": "flat light under clouds",
    "overcast": "flat light under an overcast sky",
    "sunny": "bright sunlight",
    "sun": "bright sunlight",
    "sunlight": "bright sunlight",
    "glow": "a warm glow",
    "glowing": "a warm glow",
    "flames": "the orange light of flames",
    "lightning": "flashes of lightning",
    "rain": "grey light through rain",
}
# Defaults per disaster type when the caption names no time, light or mood.
TYPE_DEFAULTS: Mapping[str, tuple[str, str, str]] = {
    "flood": ("daytime", "grey light under heavy clouds", "tense and somber"),
    "landslide": ("daytime", "flat light under an overcast sky", "heavy and uneasy"),
    "drought": ("midday", "harsh bright sunlight", "desolate and still"),
    "wildfire": ("dusk", "the orange light of flames", "alarming and intense"),
    "fire": ("night", "the orange light of flames", "alarming and intense"),
    "heavy_snow": ("daytime", "soft diffuse light through falling snow", "cold and quiet"),
    "typhoon": ("daytime", "dark light under storm clouds", "violent and threatening"),
    "earthquake": ("daytime", "dusty flat light", "shaken and desolate"),
    "tsunami": ("daytime", "grey light over the sea", "overwhelming and urgent"),
    "heavy_rain": ("daytime", "grey light through rain", "gloomy and tense"),
    "storm": ("daytime", "dark light under storm clouds", "turbulent and threatening"),
    "tornado": ("afternoon", "greenish light under a storm", "ominous and violent"),
    "heat": ("midday", "harsh shimmering sunlight", "oppressive and still"),
    "cold": ("morning", "pale cold light", "frozen and still"),
}
FALLBACK_DEFAULTS = ("daytime", "natural light", "serious and tense")
# Word lists as text: easier to read and extend than a column of quoted words.
_HUMAN_TEXT = (
    "man men woman women person people boy girl child children kid kids crowd "
    "firefighter firefighters worker workers someone he she they his her"
)
_STOP_TEXT = (
    "a an the of in on at with and or to from by for over under near is are was were "
    "there this that it its some two three several many large small big view image "
    "photo picture shot close up down into while being has have between"
)
_HUMAN_WORDS = frozenset(_HUMAN_TEXT.split())
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class Metadata:
    """The filled slots and the target text they make."""

    scene: str
    time_of_day: str
    lighting: str
    objects: tuple[str, ...]
    mood: str

    @property
    def text(self) -> str:
        """The paper-template target text, ending with the no-humans instruction."""
        return TEMPLATE.format(
            scene=self.scene,
            time_of_day=self.time_of_day,
            lighting=self.lighting,
            objects=", ".join(self.objects),
            mood=self.mood,
        )


def instruction(keywords: str) -> str:
    """The training prompt, as the renderer asks it: ``[INST] Flood [/INST]``."""
    return adapter_instruction(keywords)


def _scene(caption: str, words: list[str]) -> str:
    """The caption without people in it: a scene the image model may draw."""
    kept = [word for word in caption.split() if word.lower().strip(".,;:") not in _HUMAN_WORDS]
    text = " ".join(kept).strip(" .,;:")
    text = re.sub(r"^(there is|there are|this is|an? (image|photo|picture) of)\s+", "", text)
    return text or " ".join(words)


def caption_to_metadata(caption: str, disaster_type: str, keywords: str) -> Metadata:
    """Fill the template's slots from one caption of one disaster type."""
    words = _WORD.findall(caption.lower())
    default_time, default_light, mood = TYPE_DEFAULTS.get(disaster_type, FALLBACK_DEFAULTS)
    time_of_day = next((TIME_WORDS[w] for w in words if w in TIME_WORDS), default_time)
    lighting = next((LIGHT_WORDS[w] for w in words if w in LIGHT_WORDS), default_light)
    objects = tuple(
        dict.fromkeys(
            w
            for w in words
            if w not in _STOP_WORDS and w not in _HUMAN_WORDS and w not in TIME_WORDS and len(w) > 2
        )
    )[:6]
    scene = _scene(caption, words)
    if keywords.lower() not in scene.lower():
        article = "an" if keywords[:1].lower() in "aeiou" else "a"
        scene = f"{scene}, {article} {keywords.lower()} scene"
    return Metadata(
        scene=scene,
        time_of_day=time_of_day,
        lighting=lighting,
        objects=objects or (keywords.lower(),),
        mood=mood,
    )
