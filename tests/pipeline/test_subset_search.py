"""The exact subset search and loop ordering against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.subset_search import loop_order, min_total_distance_subset, subset_cost


def random_distances(rng: np.random.Generator, n: int, dims: int = 6) -> np.ndarray:
    """Euclidean distances between random points, like ViT feature distances."""
    points = rng.normal(size=(n, dims))
    return np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)


def random_symmetric(rng: np.random.Generator, n: int) -> np.ndarray:
    """An arbitrary symmetric non-negative matrix (not a metric) to stress the bound."""
    upper = np.triu(rng.uniform(0.0, 10.0, size=(n, n)), 1)
    return upper + upper.T


def brute_force_cost(distances: np.ndarray, k: int) -> float:
    return min(
        subset_cost(distances, combo)
        for combo in itertools.combinations(range(distances.shape[0]), k)
    )


def tour_length(distances: np.ndarray, order: tuple[int, ...]) -> float:
    return float(sum(distances[order[i], order[(i + 1) % len(order)]] for i in range(len(order))))


@pytest.mark.parametrize("seed", range(8))
def test_subset_equals_brute_force_for_twenty_candidates_choose_five(seed: int) -> None:
    rng = np.random.default_rng(seed)
    maker = random_distances if seed % 2 == 0 else random_symmetric
    distances = maker(rng, 20)
    subset = min_total_distance_subset(distances, 5)
    combos = list(itertools.combinations(range(20), 5))
    costs = [subset_cost(distances, combo) for combo in combos]
    assert subset == combos[int(np.argmin(costs))]
    assert subset_cost(distances, subset) == pytest.approx(min(costs))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=10),
    k_share=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    integer_valued=st.booleans(),
)
def test_subset_cost_equals_brute_force(
    n: int, k_share: float, seed: int, integer_valued: bool
) -> None:
    rng = np.random.default_rng(seed)
    k = max(1, round(k_share * n))
    distances = random_symmetric(rng, n)
    if integer_valued:
        # Many ties: the search must still reach the optimal cost.
        distances = np.round(distances / 3.0)
    subset = min_total_distance_subset(distances, k)
    assert len(subset) == k
    assert list(subset) == sorted(set(subset))
    assert subset_cost(distances, subset) == pytest.approx(brute_force_cost(distances, k))


def test_subset_prefers_a_tight_cluster() -> None:
    rng = np.random.default_rng(3)
    cluster = rng.normal(scale=0.01, size=(5, 4))
    spread = rng.normal(scale=10.0, size=(15, 4))
    points = np.concatenate([spread[:7], cluster, spread[7:]])
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    assert min_total_distance_subset(distances, 5) == (7, 8, 9, 10, 11)


@pytest.mark.parametrize(
    ("matrix", "k", "message"),
    [
        (np.zeros((3, 4)), 2, "square"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), 1, "symmetric"),
        (np.array([[0.0, -1.0], [-1.0, 0.0]]), 1, "negative"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), 1, "non-finite"),
        (np.zeros((3, 3)), 4, "k must be within"),
        (np.zeros((3, 3)), 0, "k must be within"),
    ],
)
def test_subset_rejects_bad_input(matrix: np.ndarray, k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        min_total_distance_subset(matrix, k)


@pytest.mark.parametrize("seed", range(6))
def test_loop_order_is_the_shortest_cycle(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    distances = random_symmetric(rng, 12)
    subset = tuple(sorted(rng.choice(12, size=7, replace=False).tolist()))
    order = loop_order(distances, subset)
    assert sorted(order) == list(subset)
    assert order[0] == subset[0]
    best = min(
        tour_length(distances, (subset[0], *perm)) for perm in itertools.permutations(subset[1:])
    )
    assert tour_length(distances, order) == pytest.approx(best)


def test_loop_order_follows_points_around_a_circle() -> None:
    angles = np.array([0.0, 3.0, 1.0, 4.0, 2.0]) * 2 * np.pi / 5
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    distances = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
    # Walking around the circle visits angle steps 0,1,2,3,4 = indices 0,2,4,1,3.
    assert loop_order(distances, range(5)) == (0, 2, 4, 1, 3)


def test_loop_order_rejects_bad_subsets() -> None:
    distances = np.zeros((4, 4))
    with pytest.raises(ValueError, match="repeated"):
        loop_order(distances, [1, 1])
    with pytest.raises(ValueError, match="within"):
        loop_order(distances, [0, 4])
    with pytest.raises(ValueError, match="non-empty"):
        loop_order(distances, [])
    with pytest.raises(ValueError, match="at most"):
        loop_order(np.zeros((13, 13)), range(13))
