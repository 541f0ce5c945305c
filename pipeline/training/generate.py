"""`cinealert evaluate --generate`: N images per disaster type from the prompt and t2i
stages only (metadata LLM with the chosen adapter, then text-to-image, no selection or
animation), written as ``OUT/<type>/<i>.png`` with ``OUT/prompts.jsonl`` — the
"generated" side of Table 1 for a user's model set and adapter."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from cap.taxonomy import load_taxonomy
from pipeline import prompt, t2i
from pipeline.config import PipelineConfig
from pipeline.registry import load_models
from pipeline.training.metrics import PROMPTS_FILE
from pipeline.training.photos import DatasetError, check_disaster_type

# The seven disaster types of the papers' Table 1.
PAPER_TYPES = ("flood", "landslide", "drought", "wildfire", "heavy_snow", "typhoon", "earthquake")


@dataclass(frozen=True)
class GeneratedType:
    """What was drawn for one disaster type."""

    disaster_type: str
    prompt: str
    prompt_source: str
    images: tuple[Path, ...]


def generate_sets(
    config: PipelineConfig,
    out: Path,
    types: Sequence[str],
    per_type: int,
    *,
    keywords_only: bool = False,
    on_type: Callable[[GeneratedType], None] | None = None,
) -> list[GeneratedType]:
    """Draw ``per_type`` images per disaster type with the config's models (its
    ``model_sources['lora']`` is the adapter) and write them with their prompts.
    ``keywords_only`` skips the language model: the prompt is the type's keywords plus
    the no-humans instruction (the paper's plain Stable Diffusion baseline)."""
    if per_type < 1:
        raise ValueError(f"images per type must be >= 1, got {per_type}")
    for name in types:
        check_disaster_type(name)
    if out.is_dir() and any(out.iterdir()):
        # Images left from an earlier run would be scored without their prompts.
        raise DatasetError(f"{out} is not empty; generate into a new folder")
    models = load_models(config)
    taxonomy = load_taxonomy()
    out.mkdir(parents=True, exist_ok=True)
    made = []
    with (out / PROMPTS_FILE).open("w", encoding="utf-8") as prompts:
        for name in types:
            hazard = taxonomy.get(name)
            scene = prompt.build_scene_prompt(
                models.llm,
                models.t2i.tokenizer,
                keywords=hazard.keywords,
                template=hazard.keywords
                if keywords_only
                else (hazard.prompt_template if config.use_prompt_template else None),
                max_new_tokens=config.resolved_prompt_tokens,
                sample=config.prompt_sampling,
                seed=config.seed,
                adapter=models.lora_applied,
            )
            images = t2i.generate_candidates(
                models.t2i,
                scene.prompt,
                scene.negative_prompt,
                count=per_type,
                size=config.resolved_image_size,
                steps=config.resolved_steps,
                guidance=config.guidance,
                seed=config.seed,
                batch_size=min(per_type, 4),
            )
            folder = out / name
            folder.mkdir(exist_ok=True)
            paths = []
            for index, image in enumerate(images):
                path = folder / f"{index:03d}.png"
                Image.fromarray(image).save(path)
                paths.append(path)
                # CLIP score is taken against the scene, not the no-humans instruction
                # (CLIP's text encoder ignores negation; DESIGN.md).
                record = {"image": f"{name}/{path.name}", "prompt": scene.prompt}
                record["scene"] = scene.scene
                prompts.write(json.dumps(record, ensure_ascii=False) + "\n")
            result = GeneratedType(name, scene.prompt, scene.source, tuple(paths))
            made.append(result)
            if on_type is not None:
                on_type(result)
    return made
