"""CLIPScore is taken against the scene description, never against the no-humans
instruction: CLIP's text encoder ignores negation, so "Do not include any humans" would
pull the score towards images *with* humans."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from pipeline.interface import RenderRequest
from pipeline.model_set import ModelSet, ProcessedModel
from pipeline.prompt import NO_HUMANS_INSTRUCTION
from pipeline.renderer import PipelineRenderer
from tests.pipeline.conftest import SWEEP_CONFIG

# Fixed embeddings: candidate 0 is "a scene", candidate 1 "a scene with people". A caption
# mentioning humans (however negated) lies nearer candidate 1.
SCENE, PEOPLE = torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])


class _Output:
    def __init__(self, pooled: torch.Tensor) -> None:
        self.pooler_output = pooled


class SpyClip(torch.nn.Module):
    """A CLIP stand-in with fixed embeddings that records every text it encodes."""

    def __init__(self, tokenizer: Any) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # device/dtype probe for callers
        self.tokenizer = tokenizer
        self.texts: list[str] = []

    def get_text_features(self, input_ids: torch.Tensor, **_: Any) -> _Output:
        text = self.tokenizer.decode(input_ids[0], skip_special_tokens=True)
        self.texts.append(text)
        embedding = PEOPLE + 0.1 * SCENE if "humans" in text.lower() else SCENE
        return _Output(embedding[None])

    def get_image_features(self, pixel_values: torch.Tensor) -> _Output:
        rows = [SCENE if index % 2 == 0 else PEOPLE for index in range(len(pixel_values))]
        return _Output(torch.stack(rows))


def test_the_no_humans_instruction_never_reaches_the_clip_text_encoder(
    tiny_models: ModelSet,
) -> None:
    spy = SpyClip(tiny_models.clip.processor.tokenizer)
    models = dataclasses.replace(
        tiny_models, clip=ProcessedModel(model=spy, processor=tiny_models.clip.processor)
    )
    config = SWEEP_CONFIG.with_changes(candidates=2)
    result = PipelineRenderer(config, models).render(RenderRequest(hazard="flood", seed=3))
    assert result.prompt.endswith(f"{NO_HUMANS_INSTRUCTION}.")  # the image model still gets it
    assert spy.texts, "the CLIP text encoder was never called"
    assert all("humans" not in text.lower() for text in spy.texts), spy.texts
    assert result.extra["clip_caption"] == result.prompt.removesuffix(
        f" {NO_HUMANS_INSTRUCTION}."
    ).removesuffix(".")
    # With the instruction in the caption, candidate 1 ("with people") would have won.
    assert result.extra["chosen_candidate"] == 0
    assert result.candidate_scores == (100.0, 0.0)
