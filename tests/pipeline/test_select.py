"""CLIPScore selection: the formula by hand, the clamp, the weight, and the tiny CLIP."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.model_set import ModelSet
from pipeline.select import clip_scores, select_best, select_candidate


def test_clip_score_matches_hand_computation() -> None:
    images = np.array([[3.0, 4.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 2.0]])
    text = np.array([0.0, 5.0])
    # cos = (0.8, 0.0, 0.0, 1.0); the third is -0.0 -> clamped; w = 100
    scores = clip_scores(images, text, weight=100.0)
    np.testing.assert_allclose(scores, [80.0, 0.0, 0.0, 100.0])


def test_negative_cosine_is_clamped_to_zero_and_weight_scales() -> None:
    images = np.array([[1.0, 1.0], [-1.0, -0.5]])
    text = np.array([1.0, 0.0])
    cosines = np.array([1 / np.sqrt(2), -1 / np.sqrt(1.25)])
    scores = clip_scores(images, text, weight=2.5)
    np.testing.assert_allclose(scores, 2.5 * np.maximum(cosines, 0.0))
    assert scores[1] == 0.0


def test_mismatched_or_zero_embeddings_are_refused() -> None:
    with pytest.raises(ValueError, match="do not match"):
        clip_scores(np.ones((2, 3)), np.ones(4), 100.0)
    with pytest.raises(ValueError, match="zero embedding"):
        clip_scores(np.zeros((1, 3)), np.ones(3), 100.0)


def test_select_best_takes_highest_and_first_of_ties() -> None:
    assert select_best([1.0, 7.0, 3.0]).best_index == 1
    selection = select_best([5.0, 9.0, 9.0])
    assert selection.best_index == 1
    assert selection.best_score == 9.0
    with pytest.raises(ValueError, match="zero candidates"):
        select_best([])


def test_tiny_clip_scores_every_candidate_in_range(tiny_models: ModelSet) -> None:
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
    selection = select_candidate(tiny_models.clip, images, "a flooded street", weight=100.0)
    assert len(selection.scores) == 4
    assert all(0.0 <= score <= 100.0 for score in selection.scores)
    assert selection.best_score == max(selection.scores)
    again = select_candidate(tiny_models.clip, images, "a flooded street", weight=100.0)
    assert again == selection
