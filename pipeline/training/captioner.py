"""The captioning model (BLIP, as the paper used): a tiny random one for tests, or real
weights from a local directory / the hub cache. Its source is the `CINEALERT_MODEL_CAPTION`
setting or ``--model``, like the other model roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from transformers import (
    AutoTokenizer,
    BlipConfig,
    BlipForConditionalGeneration,
    BlipImageProcessor,
    BlipProcessor,
)

from pipeline import tiny_tokenizers
from pipeline.tiny_models import in_eval_mode, seeded
from pipeline.training.local_weights import locate

TINY_SOURCE = "tiny"
# The paper captioned with BLIP; the large captioning checkpoint is the public default.
DEFAULT_SOURCE = "Salesforce/blip-image-captioning-large"
REQUIRED_FILES = (
    ("config.json",),
    ("preprocessor_config.json", "processor_config.json"),
    ("tokenizer.json", "vocab.txt"),
    ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json"),
)


@dataclass
class Captioner:
    """A BLIP captioning model, its processor and the name written into each record."""

    model: Any
    processor: Any
    name: str

    def caption(self, images: Sequence[np.ndarray], max_new_tokens: int = 30) -> list[str]:
        """One caption per uint8 RGB image (greedy decoding: the same photo, same words)."""
        parameter = next(self.model.parameters())
        inputs = self.processor(
            images=[Image.fromarray(image) for image in images], return_tensors="pt"
        )
        pixels = inputs["pixel_values"].to(parameter.device, parameter.dtype)
        with torch.inference_mode():
            output = self.model.generate(
                pixel_values=pixels, max_new_tokens=max_new_tokens, do_sample=False
            )
        texts: list[str] = self.processor.batch_decode(output, skip_special_tokens=True)
        return [" ".join(text.split()) for text in texts]


def build_tiny_captioner() -> Captioner:
    """A BLIP captioner with seeded random weights over the tiny BERT vocabulary: the
    processor, generation and decoding are BLIP's own; the words are noise."""
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizers.build_bert_tokenizer_dir())
    text_config = {
        "vocab_size": tiny_tokenizers.BERT_VOCAB_SIZE,
        "hidden_size": 32,
        "encoder_hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 64,
        "bos_token_id": tokenizer.cls_token_id,
        "sep_token_id": tokenizer.sep_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    vision_config = {
        "image_size": 32,
        "patch_size": 8,
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
    }
    config = BlipConfig(text_config=text_config, vision_config=vision_config)
    with seeded(20):
        model = in_eval_mode(BlipForConditionalGeneration(config))
    image_processor = BlipImageProcessor(size={"height": 32, "width": 32})
    processor = BlipProcessor(image_processor=image_processor, tokenizer=tokenizer)  # type: ignore[no-untyped-call]
    return Captioner(model=model, processor=processor, name="tiny-random/blip")


def load_captioner(source: str, device: torch.device) -> Captioner:
    """``tiny`` or a BLIP captioning checkpoint (directory or hub id already in the cache);
    raises `MissingFilesError` naming every absent file before loading anything."""
    if source == TINY_SOURCE:
        captioner = build_tiny_captioner()
    else:
        directory = locate("captioning model", source, REQUIRED_FILES)
        model = BlipForConditionalGeneration.from_pretrained(directory, local_files_only=True)
        processor = BlipProcessor.from_pretrained(directory, local_files_only=True)
        captioner = Captioner(model=in_eval_mode(model), processor=processor, name=source)
    captioner.model.to(device)
    return captioner
