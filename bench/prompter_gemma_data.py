"""The small, hand-written metadata set of the gemma-3-270m LoRA experiment
(bench/prompter_gemma.py): for each of the papers' seven disaster types, six scene
subjects times four conditions give 24 captions, turned into training pairs by the same
rule `cinealert dataset metadata` applies to BLIP captions."""

from __future__ import annotations

from pipeline.training.metadata import caption_to_metadata, instruction
from pipeline.training.pairs import TrainingPair
from pipeline.training.photos import disaster_keywords

SUBJECTS: dict[str, tuple[str, ...]] = {
    "flood": (
        "a flooded street with brown water between houses",
        "a river over its banks covering fields",
        "cars half under muddy water on a road",
        "a submerged park with benches under water",
        "floodwater flowing past a closed shop front",
        "a bridge with a swollen river rushing below",
    ),
    "landslide": (
        "a hillside collapsed onto a mountain road",
        "mud and rocks sliding down a steep slope",
        "a road cut by fallen earth and trees",
        "a scarred slope above a small village",
        "boulders resting on a twisted guardrail",
        "a torrent of mud through a forest clearing",
    ),
    "drought": (
        "cracked dry earth of an empty reservoir",
        "a withered corn field under a pale sky",
        "a dry riverbed with scattered stones",
        "dust blowing over a parched pasture",
        "a dried pond with a stranded boat",
        "dead trees standing in a barren valley",
    ),
    "wildfire": (
        "flames racing through a pine forest",
        "a wall of smoke rising over a ridge",
        "burning trees beside a mountain road",
        "glowing embers drifting over dry grass",
        "a hillside of charred trunks and ash",
        "orange fire lines across a dark slope",
    ),
    "heavy_snow": (
        "a town street buried in deep snow",
        "cars covered by thick snow drifts",
        "snow falling heavily on a mountain pass",
        "a railway line under a white blanket",
        "trees bending under the weight of snow",
        "a snowplough clearing a blocked highway",
    ),
    "typhoon": (
        "palm trees bent by violent wind",
        "huge waves crashing over a sea wall",
        "torrential rain sweeping a coastal town",
        "a dark spiral of clouds over the ocean",
        "debris flying along a flooded harbour",
        "shutters torn from buildings by the storm",
    ),
    "earthquake": (
        "a collapsed building with broken concrete",
        "a cracked road split across its width",
        "rubble filling a narrow city street",
        "a leaning house with shattered windows",
        "a bridge with a fallen section",
        "dust rising from damaged apartment blocks",
    ),
}
CONDITIONS = ("under a grey sky", "at dusk", "in the morning", "at night")
VALIDATION_PER_TYPE = 4  # the last captions of each type (by condition, then subject)


def experiment_pairs() -> list[TrainingPair]:
    """24 pairs per type (20 train, 4 validation), deterministic."""
    pairs = []
    for disaster_type, subjects in SUBJECTS.items():
        keywords = disaster_keywords(disaster_type)
        captions = [f"{subject} {condition}" for condition in CONDITIONS for subject in subjects]
        for index, caption in enumerate(captions):
            metadata = caption_to_metadata(caption, disaster_type, keywords)
            validation = index >= len(captions) - VALIDATION_PER_TYPE
            pairs.append(
                TrainingPair(
                    prompt=instruction(keywords),
                    target=metadata.text,
                    disaster_type=disaster_type,
                    image=f"written:{disaster_type}:{index}",
                    split="validation" if validation else "train",
                )
            )
    return pairs
