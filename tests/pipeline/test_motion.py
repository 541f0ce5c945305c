"""The image-derived Eulerian flow field: it follows the region, the depth and the kind."""

from __future__ import annotations

import numpy as np
import pytest

from cap.taxonomy import MotionSpec, load_taxonomy
from pipeline.motion import HAZARD_KINDS, FlowPrior, kind_from_direction, motion_prior, scene_flow

SIZE = 96


def band(angle_deg: float, half_width: float = 8.0) -> np.ndarray:
    """A straight band through the centre at ``angle_deg`` (image coordinates)."""
    ys, xs = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) - SIZE / 2
    normal = np.radians(angle_deg + 90.0)
    return np.abs(xs * np.cos(normal) + ys * np.sin(normal)) <= half_width


def mean_direction_deg(field: np.ndarray, mask: np.ndarray) -> float:
    vx, vy = field[mask].mean(axis=0)
    return float(np.degrees(np.arctan2(vy, vx)) % 360.0)


def calm(kind: str, direction: float = 0.0, speed: float = 8.0) -> FlowPrior:
    return FlowPrior(kind=kind, direction_deg=direction, speed=speed, turbulence=0.0)


@pytest.mark.parametrize("angle", [0.0, 30.0, 60.0, 135.0])
def test_water_runs_along_the_regions_own_axis_not_a_fixed_direction(angle: float) -> None:
    mask = band(angle)
    field = scene_flow(mask, calm("flow"), np.random.default_rng(0))
    direction = mean_direction_deg(field, mask)
    # Axial: either way along the band, the prior (rightwards) picks the sign.
    assert min(abs(direction - angle) % 180.0, 180.0 - abs(direction - angle) % 180.0) < 8.0
    assert field[mask].mean(axis=0)[0] >= 0.0


@pytest.mark.parametrize("near_at_bottom", [True, False])
def test_water_runs_downhill_in_depth(near_at_bottom: bool) -> None:
    mask = band(90.0)  # a vertical channel: the axis says nothing about up or down
    ramp = np.linspace(0.0, 1.0, SIZE, dtype=np.float32)[:, None].repeat(SIZE, axis=1)
    depth = ramp if near_at_bottom else ramp[::-1].copy()
    field = scene_flow(mask, calm("flow"), np.random.default_rng(0), depth)
    vy = field[mask][:, 1].mean()
    assert (vy > 0.3) if near_at_bottom else (vy < -0.3)


def test_zero_outside_the_mask_and_slowing_toward_its_edges() -> None:
    mask = band(0.0, half_width=16.0)
    field = scene_flow(mask, calm("flow"), np.random.default_rng(0))
    speed = np.linalg.norm(field, axis=-1)
    assert np.all(speed[~mask] == 0.0)
    centre = speed[SIZE // 2, 20:76].mean()
    edge = speed[SIZE // 2 - 15, 20:76].mean()
    assert centre > 0.3 and edge < 0.5 * centre


def test_far_water_moves_fewer_pixels_than_near_water() -> None:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[8:88, 8:88] = True
    depth = np.full((SIZE, SIZE), 0.1, np.float32)
    depth[:, 48:] = 0.9
    field = scene_flow(mask, calm("drift"), np.random.default_rng(0), depth)
    speed = np.linalg.norm(field, axis=-1)
    assert speed[48, 60:80].mean() > 1.5 * speed[48, 16:36].mean()


def test_fire_rises_and_sways_more_higher_up() -> None:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[8:88, 8:88] = True
    prior = FlowPrior(kind="rise", direction_deg=270.0, speed=8.0, turbulence=0.8)
    field = scene_flow(mask, prior, np.random.default_rng(3))
    assert field[mask][:, 1].mean() < -0.2
    top, bottom = field[20:40, 16:80], field[56:76, 16:80]
    sway_top = np.abs(top[..., 0] / np.linalg.norm(top, axis=-1)).mean()
    sway_bottom = np.abs(bottom[..., 0] / np.linalg.norm(bottom, axis=-1)).mean()
    assert sway_top > 1.5 * sway_bottom
    assert np.linalg.norm(top, axis=-1).mean() > np.linalg.norm(bottom, axis=-1).mean()


def test_snow_falls_with_only_a_slight_wind() -> None:
    mask = np.ones((SIZE, SIZE), dtype=bool)
    prior = FlowPrior(kind="fall", direction_deg=95.0, speed=8.0, turbulence=0.5)
    vx, vy = scene_flow(mask, prior, np.random.default_rng(0))[32:64, 32:64].reshape(-1, 2).T
    assert vy.mean() > 0.5 and np.all(np.abs(vx) < 0.5 * vy)


def test_waves_push_to_and_fro_in_bands() -> None:
    mask = np.ones((SIZE, SIZE), dtype=bool)
    field = scene_flow(mask, calm("wave", direction=0.0), np.random.default_rng(0))
    vx = field[48, 10:86, 0]
    assert (vx > 0.2).any() and (vx < -0.2).any()


def test_seeded_and_deterministic() -> None:
    mask = band(20.0)
    prior = FlowPrior(kind="flow", direction_deg=0.0, speed=2.0, turbulence=0.6)
    first = scene_flow(mask, prior, np.random.default_rng(5))
    assert np.array_equal(first, scene_flow(mask, prior, np.random.default_rng(5)))
    assert not np.array_equal(first, scene_flow(mask, prior, np.random.default_rng(6)))


def test_the_taxonomy_motion_is_the_prior() -> None:
    taxonomy = load_taxonomy()
    for name in taxonomy.renderable:
        prior = motion_prior(name, taxonomy.get(name).motion)
        assert prior.speed == taxonomy.get(name).motion.speed
        assert prior.kind == HAZARD_KINDS.get(name, prior.kind)
    assert motion_prior("wildfire", taxonomy.get("wildfire").motion).kind == "rise"
    assert kind_from_direction(270.0) == "rise" and kind_from_direction(90.0) == "fall"
    assert motion_prior("not_listed", MotionSpec(0.0, 1.0, 0.0, "none")).kind == "flow"


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        FlowPrior(kind="swirl", direction_deg=0.0, speed=1.0, turbulence=0.0)
    with pytest.raises(ValueError, match="turbulence"):
        FlowPrior(kind="flow", direction_deg=0.0, speed=1.0, turbulence=2.0)
    with pytest.raises(ValueError, match="mask"):
        scene_flow(np.ones((4, 4)), calm("flow"), np.random.default_rng(0))
    with pytest.raises(ValueError, match="depth"):
        scene_flow(np.ones((4, 4), bool), calm("flow"), np.random.default_rng(0), np.ones((3, 3)))
