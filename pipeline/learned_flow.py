"""The learned alternative to the image-derived flow: an image-to-flow network (the
second paper uses Holynski et al.'s, "Animating Pictures with Eulerian Motion Fields",
CVPR 2021), loaded from a TorchScript file so any architecture can be plugged in.

Contract of the scripted module: input float32 (1, 3, H, W) RGB in [-1, 1] (H, W
multiples of 8); output (1, 2, H, W) velocity (dx, dy) in pixels per frame at that
size. Outside the mask the prediction is zeroed: only the hazard moves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


class FlowModelError(ValueError):
    """The flow model cannot be loaded or broke its contract; names file and shapes."""


def load_flow_model(path: Path, device: torch.device | str = "cpu") -> torch.jit.ScriptModule:
    """Load a TorchScript image-to-flow model (``torch.jit.save`` output) in eval mode."""
    if not path.is_file():
        raise FlowModelError(f"{path}: no such flow model file")
    try:
        model: torch.jit.ScriptModule = torch.jit.load(  # type: ignore[no-untyped-call]
            str(path), map_location=torch.device(device)
        )
    except (RuntimeError, ValueError) as error:
        raise FlowModelError(f"{path}: not a TorchScript model ({error})") from error
    model.eval()
    return model


def predict_flow(
    model: torch.jit.ScriptModule, image: np.ndarray, mask: np.ndarray | None
) -> np.ndarray:
    """Float32 (H, W, 2) flow for a uint8 (H, W, 3) image, zero outside ``mask``."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise FlowModelError(f"image must be uint8 (H, W, 3), got {image.dtype} {image.shape}")
    height, width = image.shape[:2]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    pixels = torch.from_numpy(image).permute(2, 0, 1)[None].float().to(device) / 127.5 - 1.0
    with torch.inference_mode():
        output = model(pixels)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (1, 2, height, width):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output)
        raise FlowModelError(f"flow model must return (1, 2, {height}, {width}), got {shape}")
    flow = output[0].permute(1, 2, 0).float().cpu().numpy()
    if not np.all(np.isfinite(flow)):
        raise FlowModelError("flow model returned non-finite values")
    if mask is not None:
        flow = np.where(mask[..., None], flow, 0.0)
    result: np.ndarray = flow.astype(np.float32)
    return result


class FlowPredictor:
    """A flow model file loaded on first use and kept: (image, mask) -> (H, W, 2) flow."""

    def __init__(self, path: Path, device: torch.device | str = "cpu") -> None:
        self.path = path
        self.device = torch.device(device)
        self._model: torch.jit.ScriptModule | None = None

    def __call__(self, image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """The model's flow for ``image``, zero outside ``mask``."""
        if self._model is None:
            self._model = load_flow_model(self.path, self.device)
        return predict_flow(self._model, image, mask)
