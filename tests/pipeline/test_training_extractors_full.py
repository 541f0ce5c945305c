"""The real-weights path of the Table 1 extractors, fed files in the real formats (random
values): torch-fidelity's InceptionV3 state dict, torchvision's AlexNet state dict and a
saved CLIP directory. No real weights exist on these machines; the wiring still must."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
import torch
import torchvision
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

from pipeline import tiny_models
from pipeline.training.extractors import ALEXNET_FILE, INCEPTION_FILE, full_extractors
from pipeline.training.metrics import evaluate_folders
from tests.pipeline.training_support import write_photos


def _random_inception(path: Path, scratch: Path) -> None:
    empty = scratch / "empty.pth"
    torch.save({}, empty)
    # The constructor insists on loading weights; skip that to get random ones to save.
    with mock.patch.object(FeatureExtractorInceptionV3, "load_state_dict", lambda *_: None):
        net = FeatureExtractorInceptionV3(
            "inception-v3-compat", ["2048"], feature_extractor_weights_path=str(empty)
        )
    torch.save(net.state_dict(), path)


@pytest.mark.slow
def test_full_extractors_load_the_real_file_formats(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    _random_inception(weights / INCEPTION_FILE, tmp_path)
    alexnet = torchvision.models.alexnet(weights=None).state_dict()
    torch.save(alexnet, weights / ALEXNET_FILE)
    clip = tiny_models.build_clip()
    clip.model.save_pretrained(tmp_path / "clip")
    clip.processor.save_pretrained(tmp_path / "clip")

    extractors = full_extractors(weights, str(tmp_path / "clip"), image_size=64)
    # The AlexNet file's convolutions are the ones LPIPS uses.
    lpips: torch.nn.Module = extractors.lpips
    torch.testing.assert_close(getattr(lpips.net.slice1, "0").weight, alexnet["features.0.weight"])
    torch.testing.assert_close(getattr(lpips.net.slice5, "10").bias, alexnet["features.10.bias"])

    real = write_photos(tmp_path / "real", types=("flood",), count=3)
    other = write_photos(tmp_path / "other", types=("wildfire", "flood"), count=3)
    (row,) = evaluate_folders(real, other, extractors)
    assert row.disaster_type == "flood" and row.fid is not None and row.fid > 0
    assert row.lpips is not None and row.lpips >= 0
