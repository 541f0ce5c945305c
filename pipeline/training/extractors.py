"""The networks behind the Table 1 metrics: InceptionV3 (FID, torch-fidelity's port of
the TensorFlow graph, through torchmetrics), AlexNet + LPIPS linear heads (LPIPS,
torchmetrics' port; the heads ship inside torchmetrics) and CLIP (CLIP score). Real
weights come from local files only — missing ones are all named in one error — and the
tiny set (seeded random weights) exercises the same code paths in tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torchmetrics.functional.image.lpips import _LPIPS
from transformers import CLIPModel, CLIPProcessor

from pipeline import tiny_models
from pipeline.full_models import REQUIRED_FILES
from pipeline.model_set import ProcessedModel
from pipeline.training.local_weights import MissingFilesError, locate

# The files torch-fidelity and torchvision would download; here they must already exist.
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
# AlexNet `features` indices in each LPIPS slice (torchmetrics' Alexnet class).
_ALEX_SLICES = ((0, 1), (2, 3, 4), (5, 6, 7), (8, 9), (10, 11))


@dataclass
class Extractors:
    """What evaluation needs: a FID feature network (an int means torchmetrics' own
    InceptionV3 with ``inception_weights``), an LPIPS network, CLIP, and their names."""

    fid_feature: torch.nn.Module | int
    inception_weights: Path | None
    lpips: torch.nn.Module
    clip: ProcessedModel
    names: dict[str, str]
    image_size: int  # side the images are resized to for FID, LPIPS and SSIM


class TinyFeatures(torch.nn.Module):
    """A seeded random conv net standing in for InceptionV3 in tests: uint8 images in,
    16 pooled features out (torchmetrics reads ``num_features``)."""

    num_features = 16

    def __init__(self) -> None:
        super().__init__()
        with tiny_models.seeded(30):
            self.body = torch.nn.Sequential(
                torch.nn.Conv2d(3, 8, 3, stride=2),
                torch.nn.ReLU(),
                torch.nn.Conv2d(8, self.num_features, 3, stride=2),
                torch.nn.AdaptiveAvgPool2d(1),
                torch.nn.Flatten(),
            )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features (N, 16) of uint8 images (N, 3, H, W)."""
        result: torch.Tensor = self.body(images.float() / 255.0)
        return result


def tiny_extractors() -> Extractors:
    """Random-weight networks: the metric code is real, the numbers mean nothing."""
    with tiny_models.seeded(31):
        lpips = _LPIPS(pretrained=True, net="alex", pnet_rand=True)
    return Extractors(
        fid_feature=TinyFeatures().eval(),
        inception_weights=None,
        lpips=lpips.eval(),
        clip=tiny_models.build_clip(),
        names={
            "fid": "tiny-random/conv",
            "lpips": "tiny-random/alexnet",
            "clip": "tiny-random/clip",
        },
        image_size=64,
    )


def default_weights_dir() -> Path:
    """torch hub's checkpoint folder ($TORCH_HOME/hub/checkpoints), where torchvision
    and torch-fidelity keep these files once fetched."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _alexnet_lpips(alexnet_weights: Path) -> torch.nn.Module:
    lpips = _LPIPS(pretrained=True, net="alex", pnet_rand=True)  # heads from torchmetrics
    state: dict[str, torch.Tensor] = torch.load(
        alexnet_weights, map_location="cpu", weights_only=True
    )
    slices = [lpips.net.slice1, lpips.net.slice2, lpips.net.slice3, lpips.net.slice4]
    slices.append(lpips.net.slice5)
    for block, indices in zip(slices, _ALEX_SLICES, strict=True):
        for index in indices:
            layer: Any = getattr(block, str(index))
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.data.copy_(state[f"features.{index}.weight"])
                if layer.bias is not None:
                    layer.bias.data.copy_(state[f"features.{index}.bias"])
    return lpips.eval()


def full_extractors(weights_dir: Path, clip_source: str, image_size: int = 299) -> Extractors:
    """Real networks: the InceptionV3 and AlexNet files from ``weights_dir``, CLIP from a
    directory or the hub cache. Raises `MissingFilesError` naming every missing file."""
    missing = [
        name for name in (INCEPTION_FILE, ALEXNET_FILE) if not (weights_dir / name).is_file()
    ]
    if missing:
        raise MissingFilesError(
            "metric networks", str(weights_dir), missing, f"directory {weights_dir}"
        )
    directory = locate("CLIP model", clip_source, REQUIRED_FILES["clip"])
    clip = ProcessedModel(
        model=tiny_models.in_eval_mode(CLIPModel.from_pretrained(directory, local_files_only=True)),
        processor=CLIPProcessor.from_pretrained(directory, local_files_only=True),
    )
    return Extractors(
        fid_feature=2048,
        inception_weights=weights_dir / INCEPTION_FILE,
        lpips=_alexnet_lpips(weights_dir / ALEXNET_FILE),
        clip=clip,
        names={
            "fid": "inception-v3-compat (torch-fidelity)",
            "lpips": "alexnet (LPIPS v0.1)",
            "clip": clip_source,
        },
        image_size=image_size,
    )
