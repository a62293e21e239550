"""pyKT's protocol: pooled next-response AUC/ACC at t >= 1, windows, student splits."""

from __future__ import annotations

import numpy as np
import pytest

from tests.education.tracing.conftest import _seq, learning_data
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing import BKT, cross_validate, score_predictions


def _two_students() -> KTSequences:
    return KTSequences(
        [_seq("a", [0, 1, 2], [0, 0, 1], [1, 0, 1]), _seq("b", [2, 0, 1], [1, 0, 0], [1, 1, 0])],
        n_questions=3,
        n_skills=2,
    )


def test_auc_and_accuracy_match_a_hand_computed_example() -> None:
    # scored (t >= 1): y = [0, 1, 1, 0], p = [0.2, 0.4, 0.8, 0.6]
    # AUC: positive/negative pairs (0.4, 0.2) ok, (0.4, 0.6) wrong, (0.8, 0.2) ok,
    # (0.8, 0.6) ok -> 3/4; accuracy at p >= 0.5: [0, 0, 1, 1] vs y -> 2/4.
    # The first responses get deliberately wrong predictions: they must not count.
    probs = [np.array([0.0, 0.2, 0.4]), np.array([0.0, 0.8, 0.6])]
    scores = score_predictions(_two_students(), probs)
    assert scores.auc == pytest.approx(0.75)
    assert scores.accuracy == pytest.approx(0.5)
    assert scores.n_responses == 4


def test_threshold_counts_one_half_as_correct() -> None:
    probs = [np.array([0.5, 0.5, 0.5]), np.array([0.5, 0.5, 0.4])]
    # y = [0, 1, 1, 0]; predicted [1, 1, 1, 0] -> 3/4
    assert score_predictions(_two_students(), probs).accuracy == pytest.approx(0.75)


def test_scoring_refuses_misaligned_or_single_class_input() -> None:
    data = _two_students()
    with pytest.raises(ValueError, match="student a: 2 predictions for 3 responses"):
        score_predictions(data, [np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="1 prediction arrays for 2 students"):
        score_predictions(data, [np.zeros(3)])
    ones = KTSequences([_seq("c", [0, 1], [0, 1], [0, 1])], 3, 2)
    with pytest.raises(ValueError, match="both correct and wrong"):
        score_predictions(ones, [np.array([0.5, 0.5])])


def test_cross_validate_scores_each_fold_on_the_held_out_students() -> None:
    data = learning_data(n_students=100, length=30, seed=4)
    seen: list[tuple[int, int]] = []

    class Recording(BKT):
        def fit(self, train: KTSequences, valid: KTSequences | None = None) -> Recording:
            assert valid is not None
            names = {s.student for s in train}
            assert names.isdisjoint(s.student for s in valid)
            seen.append((len(train), len(valid)))
            return super().fit(train, valid)

    result = cross_validate(Recording, data, k=5, seed=0)
    assert len(result.folds) == 5
    # pyKT's split: 20 test students, the other 80 in 5 folds of 16
    assert seen == [(64, 16)] * 5
    assert {f.test_sequences for f in result.folds} == {20}
    assert 0.6 < result.auc_mean < 1.0
    assert result.auc_std >= 0.0
    assert "AUC" in result.summary()

    classic = cross_validate(BKT, data, k=4, seed=0, test_fraction=0.0)
    assert [f.test_sequences for f in classic.folds] == [25] * 4
