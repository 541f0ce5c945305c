"""Captioning with resume, the metadata template, the split by image and the token
labels the LoRA loss sees."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from pipeline import tiny_models
from pipeline.training.captioner import Captioner, build_tiny_captioner
from pipeline.training.captions import caption_folder, read_records
from pipeline.training.lora_data import IGNORE_INDEX, encode_pair
from pipeline.training.metadata import caption_to_metadata
from pipeline.training.pairs import build_pairs, split_of
from pipeline.training.photos import DatasetError, scan_photos
from tests.pipeline.training_support import write_photos


class CountingCaptioner(Captioner):
    """The tiny captioner, counting the images it is asked to caption."""

    def __init__(self) -> None:
        tiny = build_tiny_captioner()
        super().__init__(model=tiny.model, processor=tiny.processor, name=tiny.name)
        self.seen = 0

    def caption(self, images: Any, max_new_tokens: int = 30) -> list[str]:
        self.seen += len(images)
        return super().caption(images, max_new_tokens)


def test_an_interrupted_caption_run_resumes_without_redoing_images(tmp_path: Path) -> None:
    photos = write_photos(tmp_path / "photos", count=3)
    out = tmp_path / "captions.jsonl"
    first = CountingCaptioner()
    caption_folder(photos, out, first, batch_size=2)
    assert first.seen == 6
    lines = out.read_text().splitlines()
    # Killed after two images, mid-way through writing the third line.
    out.write_text("\n".join(lines[:2]) + "\n" + lines[2][:15])
    second = CountingCaptioner()
    summary = caption_folder(photos, out, second, batch_size=2)
    assert second.seen == 4 and summary.resumed == 2 and summary.captioned == 4
    records = read_records(out)
    assert sorted(r.path for r in records) == sorted(str(p.path) for p in scan_photos(photos))
    assert all(json.loads(line) for line in out.read_text().splitlines())


def test_captions_of_another_model_are_not_mixed_in(tmp_path: Path) -> None:
    photos = write_photos(tmp_path / "photos", count=1)
    out = tmp_path / "captions.jsonl"
    caption_folder(photos, out, build_tiny_captioner())
    other = build_tiny_captioner()
    other.name = "Salesforce/blip-image-captioning-large"
    with pytest.raises(DatasetError, match="tiny-random/blip"):
        caption_folder(photos, out, other)


def test_metadata_fills_the_papers_slots_from_the_caption() -> None:
    metadata = caption_to_metadata(
        "a man standing near a burning forest with thick smoke at night", "wildfire", "Wildfire"
    )
    assert metadata.time_of_day == "night"
    assert metadata.lighting == "light filtered through smoke"
    assert "man" not in metadata.scene.split() and "man" not in metadata.objects
    assert {"burning", "forest", "smoke"} <= set(metadata.objects)
    text = metadata.text
    assert text.startswith("The image captures ") and "The mood of the image is" in text
    assert text.endswith("Do not include any humans.")
    # Nothing about time or light in the caption: the type's defaults speak.
    plain = caption_to_metadata("a road", "heavy_snow", "Heavy snow")
    assert plain.time_of_day == "daytime" and "snow" in plain.lighting
    assert plain.scene == "a road, a heavy snow scene"


def test_split_is_by_image_stable_and_covers_every_type() -> None:
    assert split_of("/a/1.png", 0.5, 0) == split_of("/a/1.png", 0.5, 0)
    from pipeline.training.captions import CaptionRecord  # noqa: PLC0415

    records = [
        CaptionRecord(f"/p/{t}/{i}.png", t, f"a {t} scene", "m")
        for t in ("flood", "drought")
        for i in range(4)
    ]
    pairs = build_pairs(records, validation_fraction=0.05, seed=3)
    assert len({pair.image for pair in pairs}) == len(pairs) == 8
    for name in ("flood", "drought"):
        assert {p.split for p in pairs if p.disaster_type == name} == {"train", "validation"}
    with pytest.raises(DatasetError, match="unknown disaster type 'meteor'"):
        build_pairs([CaptionRecord("/p/x.png", "meteor", "rocks", "m")])
    with pytest.raises(DatasetError, match="no captioned images"):
        build_pairs([CaptionRecord("/p/x.png", "flood", None, "m", "corrupt")])


def test_the_loss_sees_only_target_tokens() -> None:
    tokenizer = tiny_models.build_llm().tokenizer
    example = encode_pair(tokenizer, "[INST] Flood [/INST]", "flood water over the street", 64)
    prompt_length = len(tokenizer("[INST] Flood [/INST]")["input_ids"])
    assert example.labels[:prompt_length] == (IGNORE_INDEX,) * prompt_length
    assert example.labels[prompt_length:] == example.input_ids[prompt_length:]
    assert example.input_ids[-1] == tokenizer.eos_token_id
    # Cut to fit: the prompt survives whole, the target is shortened, the end stays.
    short = encode_pair(tokenizer, "[INST] Flood [/INST]", "flood " * 50, 10)
    assert len(short.input_ids) == 10 and short.input_ids[-1] == tokenizer.eos_token_id
    # A word the word-level tokenizer cannot represent is not a training signal.
    unknown = encode_pair(tokenizer, "[INST] Flood [/INST]", "flood zyzzyva", 64)
    assert tokenizer.unk_token_id in unknown.input_ids
    assert tokenizer.unk_token_id not in unknown.labels


def test_tiny_captioner_writes_words_for_any_image_size() -> None:
    captioner = build_tiny_captioner()
    images = [np.zeros((40, 90, 3), np.uint8), np.full((120, 60, 3), 200, np.uint8)]
    captions = captioner.caption(images, max_new_tokens=6)
    assert len(captions) == 2 and all(isinstance(c, str) and c for c in captions)
    assert next(captioner.model.parameters()).device == torch.device("cpu")


def test_saved_models_load_from_their_directories(tmp_path: Path) -> None:
    from pipeline.training.base_llm import load_base_llm  # noqa: PLC0415
    from pipeline.training.captioner import load_captioner  # noqa: PLC0415

    tiny = build_tiny_captioner()
    tiny.model.save_pretrained(tmp_path / "blip")
    tiny.processor.save_pretrained(tmp_path / "blip")
    captioner = load_captioner(str(tmp_path / "blip"), torch.device("cpu"))
    image = np.full((48, 48, 3), 90, np.uint8)
    assert captioner.name == str(tmp_path / "blip")
    assert captioner.caption([image], 5) == tiny.caption([image], 5)
    llm = tiny_models.build_llm()
    llm.model.save_pretrained(tmp_path / "llm")
    llm.tokenizer.save_pretrained(tmp_path / "llm")
    loaded, name = load_base_llm(str(tmp_path / "llm"), torch.device("cpu"))
    assert name == str(tmp_path / "llm")
    assert loaded.tokenizer("flood water")["input_ids"] == llm.tokenizer("flood water")["input_ids"]


def test_photo_folders_are_refused_when_they_cannot_be_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a directory"):
        scan_photos(tmp_path / "missing")
    with pytest.raises(DatasetError, match="no disaster-type folders"):
        scan_photos(tmp_path)
    (tmp_path / "flood").mkdir()
    with pytest.raises(DatasetError, match=r"flood: no images"):
        scan_photos(tmp_path)
    write_photos(tmp_path, types=("flood",), count=1)
    (tmp_path / ".thumbnails").mkdir()
    assert [p.disaster_type for p in scan_photos(tmp_path)] == ["flood"]
    (tmp_path / "Flood-2024").mkdir()
    with pytest.raises(DatasetError, match="unknown disaster type 'Flood-2024'"):
        scan_photos(tmp_path)
