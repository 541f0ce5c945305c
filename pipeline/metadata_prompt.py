"""What the metadata LLM is given: the fine-tuned chat form ``[INST] Flood [/INST]`` when
a LoRA adapter taught the model the paper's metadata, or, without one, a few-shot
instruction in the same chat form that shows the paper's metadata template ("The image
captures ... The mood of the image is ...") and starts the answer with its first words.

A chat model given only ``[INST] Flood [/INST]`` answers like a chatbot ("Sure! Here are
some facts about floods ..."), which makes a poor text-to-image prompt; the examples and
the primed answer keep an un-adapted model on the template.
"""

from __future__ import annotations

# The opening of every metadata text in the paper's examples; an un-adapted model's answer
# is primed with it so it continues a description instead of starting a conversation.
ANSWER_PREFIX = "The image captures"

# Two examples in the paper's metadata form: scene, time of day, lighting, objects, mood,
# and no people (the no-humans instruction is added after generation anyway).
FEW_SHOT_EXAMPLES = (
    (
        "Wildfire",
        "The image captures a forest fire spreading over a hillside at dusk, tall orange "
        "flames and thick grey smoke rising into a red sky, burnt trees in the foreground. "
        "The mood of the image is tense and alarming.",
    ),
    (
        "Heavy snow",
        "The image captures a mountain village buried under deep fresh snow in the early "
        "morning, snowflakes still falling, soft blue light on the roofs and a buried road. "
        "The mood of the image is quiet and isolating.",
    ),
)

_TASK = (
    "Write the metadata of a photograph of the disaster named last, in the form of the "
    "examples: the place, the time of day, the lighting, the objects and the mood. "
    "Describe the scene only, with no people in it. Answer with the metadata only."
)

# What fills a taxonomy template's `{style}` slot: photographic, like the LLM's metadata.
TEMPLATE_STYLE = "photorealistic, natural light, high detail"


def adapter_instruction(keywords: str) -> str:
    """The fine-tuned chat form the paper's LoRA adapter was trained on."""
    return f"[INST] {_checked(keywords)} [/INST]"


def few_shot_instruction(keywords: str) -> str:
    """The few-shot instruction for a model without the adapter, ending with the primed
    start of the answer (``ANSWER_PREFIX``)."""
    examples = "\n\n".join(
        f"Disaster: {name}\nMetadata: {metadata}" for name, metadata in FEW_SHOT_EXAMPLES
    )
    return (
        f"[INST] {_TASK}\n\n{examples}\n\nDisaster: {_checked(keywords)}\nMetadata: [/INST] "
        f"{ANSWER_PREFIX}"
    )


def fill_template(template: str) -> str:
    """A taxonomy prompt template with its ``{style}`` slot filled; any other brace is an
    error in the taxonomy data, reported rather than sent to the image model."""
    filled = template.replace("{style}", TEMPLATE_STYLE)
    if "{" in filled or "}" in filled:
        raise ValueError(f"prompt template has an unknown placeholder: {template!r}")
    return filled


def _checked(keywords: str) -> str:
    keywords = keywords.strip()
    if not keywords:
        raise ValueError(f"prompt keywords must not be empty, got {keywords!r}")
    return keywords
