"""Exact combinatorial searches over a pairwise distance matrix.

Masked sampling keeps the k inpainted variants that are most alike (smallest total
pairwise distance) and then plays them in the order that makes the shortest loop.
Both are small exact searches: n ≈ 20 candidates, k ≈ 5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Held-Karp is O(2^k · k^2): 12 members is ~600k steps in pure Python, still quick.
MAX_LOOP_MEMBERS = 12


def check_distance_matrix(distances: np.ndarray) -> np.ndarray:
    """Validate a square, symmetric, finite, non-negative matrix; return it as float64."""
    matrix = np.asarray(distances, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"distance matrix must be square (n, n), got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("distance matrix has non-finite entries")
    if np.any(matrix < 0):
        raise ValueError(f"distance matrix has negative entries, minimum {matrix.min()!r}")
    if not np.allclose(matrix, matrix.T, rtol=1e-6, atol=1e-9):
        raise ValueError("distance matrix must be symmetric")
    return matrix


def subset_cost(distances: np.ndarray, subset: Sequence[int]) -> float:
    """Sum of the distances over every unordered pair in ``subset``."""
    members = list(subset)
    return float(sum(distances[a, b] for i, a in enumerate(members) for b in members[i + 1 :]))


def min_total_distance_subset(distances: np.ndarray, k: int) -> tuple[int, ...]:
    """Return the k indices (ascending) whose total pairwise distance is smallest. Exact.

    Depth-first search over index-ordered subsets with branch-and-bound. Each partial
    subset memoises its own cost and its summed distance ("link") to every index, so
    extending it by one index costs O(n) instead of recomputing O(k^2) pairs. A partial
    subset is abandoned once its cost plus a lower bound on the cheapest completion
    cannot beat the best full subset found so far. Among equal optima the
    lexicographically smallest subset wins, because subsets are visited in that order
    and only a strictly cheaper subset replaces the incumbent.
    """
    matrix = check_distance_matrix(distances)
    n = matrix.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"subset size k must be within [1, {n}], got {k}")

    off_diagonal = matrix[~np.eye(n, dtype=bool)]
    # Any pair added later costs at least the smallest distance in the whole matrix.
    min_pair = float(off_diagonal.min()) if off_diagonal.size else 0.0

    best_cost = math.inf
    best_subset: tuple[int, ...] = ()
    chosen: list[int] = []

    def completion_bound(links: np.ndarray, start: int, remaining: int) -> float:
        # Each of the `remaining` picks pays at least its link to the chosen set (take the
        # smallest links available), plus at least `min_pair` per pair among themselves.
        candidates = links[start:]
        cheapest_links = float(np.sum(np.partition(candidates, remaining - 1)[:remaining]))
        return cheapest_links + min_pair * remaining * (remaining - 1) / 2

    def search(start: int, cost: float, links: np.ndarray) -> None:
        nonlocal best_cost, best_subset
        remaining = k - len(chosen)
        if remaining == 0:
            if cost < best_cost:
                best_cost = cost
                best_subset = tuple(chosen)
            return
        if cost + completion_bound(links, start, remaining) >= best_cost:
            return
        # Leave room for the remaining picks after `index`.
        for index in range(start, n - remaining + 1):
            chosen.append(index)
            search(index + 1, cost + float(links[index]), links + matrix[index])
            chosen.pop()

    search(0, 0.0, np.zeros(n, dtype=np.float64))
    return best_subset


def loop_order(distances: np.ndarray, subset: Sequence[int]) -> tuple[int, ...]:
    """Order ``subset`` as the shortest closed tour (exact Held-Karp DP), so the loop is smooth.

    The tour starts at the smallest index and, of its two directions, the one whose second
    member is smaller is returned, so the answer is deterministic.
    """
    matrix = check_distance_matrix(distances)
    members = list(subset)
    n = matrix.shape[0]
    if len(members) == 0:
        raise ValueError("loop_order needs a non-empty subset")
    if len(set(members)) != len(members):
        raise ValueError(f"subset has repeated indices: {members}")
    if any(not 0 <= member < n for member in members):
        raise ValueError(f"subset indices must be within [0, {n}), got {members}")
    if len(members) > MAX_LOOP_MEMBERS:
        raise ValueError(
            f"exact loop ordering supports at most {MAX_LOOP_MEMBERS} members, got {len(members)}"
        )
    members.sort()
    if len(members) <= 3:
        # Every cyclic order of three or fewer members has the same length.
        return tuple(members)

    size = len(members)
    local = matrix[np.ix_(members, members)]
    full = (1 << size) - 1
    # best[mask][last]: shortest path from member 0 through `mask` ending at `last`.
    best: dict[tuple[int, int], float] = {(1, 0): 0.0}
    parent: dict[tuple[int, int], int] = {}
    for mask in range(1, full + 1, 2):  # member 0 is always in the path
        for last in range(size):
            key = (mask, last)
            if key not in best:
                continue
            length = best[key]
            for nxt in range(1, size):
                if mask & (1 << nxt):
                    continue
                new_key = (mask | (1 << nxt), nxt)
                candidate = length + float(local[last, nxt])
                if candidate < best.get(new_key, math.inf):
                    best[new_key] = candidate
                    parent[new_key] = last

    closing = min(range(1, size), key=lambda last: best[(full, last)] + float(local[last, 0]))
    order = [closing]
    mask, last = full, closing
    while last != 0:
        previous = parent[(mask, last)]
        mask &= ~(1 << last)
        last = previous
        order.append(last)
    order.reverse()  # now starts with member 0
    if order[1] > order[-1]:
        order = [order[0], *reversed(order[1:])]
    return tuple(members[i] for i in order)
