"""Forward warping: Euler-integrated particle paths and softmax splatting, in torch.

Backward warping (each output pixel looks up a source position) smears the image border
into the moving region and cannot let a near point cover a far one. Forward splatting
sends every source point to where it goes and lets points that land on one pixel share
it by softmax weights (Niklaus & Liu, "Softmax Splatting", CVPR 2020): nearer points
get exponentially more weight, so they occlude. Everything here runs on the tensors'
device and is batched over frames.
"""

from __future__ import annotations

import torch
from torch.nn import functional

# Softmax splatting's importance is exp(SOFTMAX_BETA * nearness), nearness in [0, 1]: a
# depth step of 0.1 gives the nearer point ~150x the weight, i.e. it occludes.
SOFTMAX_BETA = 50.0


def sample_field(field: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of ``field`` (H, W, 2) at ``positions`` (P, 2) as (x, y) pixels.

    Outside the image the field reads zero: nothing beyond the border flows in.
    """
    height, width = field.shape[:2]
    scale = torch.tensor(
        [2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)],
        device=positions.device,
        dtype=positions.dtype,
    )
    grid = (positions * scale - 1.0).reshape(1, 1, -1, 2)
    source = field.permute(2, 0, 1).unsqueeze(0)
    sampled = functional.grid_sample(
        source, grid, mode="bilinear", padding_mode="zeros", align_corners=True
    )
    return sampled[0, :, 0].transpose(0, 1)


def euler_paths(field: torch.Tensor, steps: int, sign: float) -> torch.Tensor:
    """Where each pixel's content is after 0..``steps`` Euler steps along ``sign * field``.

    The field is Eulerian (constant in time): a particle's next velocity is read where it
    is now, x_{k+1} = x_k + sign * v(x_k). Returns (steps + 1, H * W, 2) float32
    positions in row-major pixel order; row 0 is the pixel grid itself.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    height, width = field.shape[:2]
    positions = pixel_positions(height, width, field.device)
    paths = [positions]
    for _ in range(steps):
        positions = positions + sign * sample_field(field, positions)
        paths.append(positions)
    return torch.stack(paths)


def pixel_positions(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(H * W, 2) float32 pixel centres as (x, y), row-major."""
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device, dtype=torch.float32),
        torch.arange(width, device=device, dtype=torch.float32),
        indexing="ij",
    )
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=-1)


def softmax_splat(
    positions: torch.Tensor,
    colors: torch.Tensor,
    nearness: torch.Tensor,
    alpha: torch.Tensor,
    size: tuple[int, int],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Splat points into ``size`` (H, W) images, one per leading batch index.

    ``positions`` (B, P, 2) as (x, y); ``colors`` (P, C); ``nearness`` (B, P) or (P,) in
    [0, 1] (larger = nearer, the softmax importance); ``alpha`` (B, P) or (P,): the
    point's share (the symmetric loop's time weight). Each point spreads over its four
    neighbouring pixels with bilinear weights. Returns ``(image, coverage)``: (B, H, W, C)
    the softmax-weighted mean colour (0 where nothing landed) and (B, H, W) the summed
    alpha-times-bilinear weight, ~1 where the surface is covered, 0 in a hole.
    """
    batch, count = positions.shape[:2]
    height, width = size
    channels = colors.shape[-1]
    device = positions.device
    alpha = alpha.expand(batch, count)
    # exp(beta * (n - 1)) <= 1: no overflow; the smallest, e^-50, is still a normal float.
    importance = alpha * torch.exp(SOFTMAX_BETA * (nearness.expand(batch, count) - 1.0))
    left = torch.floor(positions[..., 0])
    top = torch.floor(positions[..., 1])
    frac_x = positions[..., 0] - left
    frac_y = positions[..., 1] - top
    base = (torch.arange(batch, device=device) * (height * width)).unsqueeze(1)
    accumulated = torch.zeros(batch * height * width, channels + 2, device=device)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        xs = left + dx
        ys = top + dy
        bilinear = (frac_x if dx else 1.0 - frac_x) * (frac_y if dy else 1.0 - frac_y)
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height) & (bilinear > 0)
        index = base + ys.clamp(0, height - 1).long() * width + xs.clamp(0, width - 1).long()
        weight = importance * bilinear
        contribution = torch.cat(
            [
                colors.unsqueeze(0) * weight.unsqueeze(-1),
                weight.unsqueeze(-1),
                (alpha * bilinear).unsqueeze(-1),
            ],
            dim=-1,
        )
        accumulated.index_add_(0, index[inside], contribution[inside])
    accumulated = accumulated.reshape(batch, height, width, channels + 2)
    denominator = accumulated[..., channels]
    image = accumulated[..., :channels] / denominator.clamp_min(1e-30).unsqueeze(-1)
    image = torch.where(denominator.unsqueeze(-1) > 0, image, torch.zeros_like(image))
    return image, accumulated[..., channels + 1]
