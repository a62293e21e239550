"""The knowledge state beyond BKT: prerequisite closure, calibrated bars, streaks, forgetting,
heading; and tuning on another seed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data.sequences import StudentSequence
from yangcheng.education.recommend import KnowledgeAware, benchmark
from yangcheng.education.recommend.state import (
    ancestors,
    calibrated_thresholds,
    knowledge_state,
    skill_transitions,
    trailing_correct,
)


def test_ancestors_are_the_transitive_closure() -> None:
    # c -> b -> a (c needs b, b needs a); d alone
    direct = np.zeros((4, 4), dtype=bool)
    direct[1, 0] = direct[2, 1] = True
    closure = ancestors(direct)
    assert closure[2, 0] and closure[2, 1] and closure[1, 0]
    assert not closure[0].any() and not closure[3].any() and not closure[:, 3].any()


def test_calibrated_bar_needs_more_knowledge_when_guessing_is_easy() -> None:
    bars = calibrated_thresholds(0.8, np.array([0.1, 0.3]), np.array([0.1, 0.1]))
    # 0.1 + 0.8 m = 0.8 -> m = 0.875; 0.3 + 0.6 m = 0.8 -> m = 0.833
    np.testing.assert_allclose(bars, [0.875, 0.8333333], rtol=1e-6)
    assert calibrated_thresholds(0.95, np.array([0.3]), np.array([0.3]))[0] == 0.999


def test_transitions_count_next_new_skill_only() -> None:
    table = skill_transitions([np.array([0, 0, 1, 0, 2]), np.array([0, 2])], 3)
    np.testing.assert_allclose(table[0], [0.0, 0.5, 0.5])  # 0 -> 1, 0 -> 2
    np.testing.assert_allclose(table[1], [0.0, 0.0, 1.0])  # 1 -> 2 (the return to 0 is old)
    assert not table[2].any()


def test_trailing_correct_resets_on_an_error() -> None:
    runs = trailing_correct(np.array([0, 0, 1, 0, 1]), np.array([1, 1, 1, 0, 1]), 3)
    assert runs.tolist() == [0, 2, 0]


def _chain() -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Skills a -> b -> c, four exercises and one video each."""
    skills = ["a", "b", "c"]
    rows = []
    for s in skills:
        rows += [(f"{s}{i}", "exercise", s, f"q{s}{i}") for i in range(4)]
        rows.append((f"{s}v", "video", s, ""))
    resources = pd.DataFrame(rows, columns=["resource_id", "kind", "skill_id", "item_id"])
    return resources, [("b", "a"), ("c", "b")]


def _history(answers: list[tuple[str, int]], student: str = "s") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "student_id": [student] * len(answers),
            "resource_id": [r for r, _ in answers],
            "timestamp": np.arange(len(answers), dtype=float),
            "correct": [c for _, c in answers],
        }
    )


def _fit(**params: Any) -> KnowledgeAware:
    resources, edges = _chain()
    logs = []
    for n in range(12):  # students who go a -> b -> c, some stumbling on b
        answers = [("a0", 1), ("a1", 1), ("a2", 1), ("b0", n % 2), ("b1", 1), ("b2", 1)]
        logs.append(_history([*answers, ("c0", 1)], f"s{n}"))
    return KnowledgeAware(resources, edges, **params).fit(pd.concat(logs))


def test_a_streak_not_yet_made_keeps_the_skill_in_hand_on_the_frontier() -> None:
    strict = _fit(streak_mastered=3, mastery_threshold=0.6)
    loose = _fit(streak_mastered=0, mastery_threshold=0.6)
    history = _history([("a0", 1), ("a1", 1), ("a2", 0), ("a3", 1)])
    a_index = strict.skill_ids_.index("a")
    m_loose, m_strict = loose.mastery_of(history), strict.mastery_of(history)
    if m_loose[a_index] >= 0.6:  # BKT alone calls it mastered after one right answer
        assert loose.tiers(m_loose)[a_index] == 1
    assert m_strict[a_index] < 0.6 and strict.tiers(m_strict)[a_index] == 2
    made = _history([("a0", 1), ("a1", 1), ("a2", 1)])
    assert strict.tiers(strict.mastery_of(made))[a_index] == 1


def test_inferred_prerequisites_count_as_mastered() -> None:
    model = _fit(infer_prerequisites=True)
    mastery = model.mastery_of(_history([("c0", 0)]))
    tiers = dict(zip(model.skill_ids_, model.tiers(mastery), strict=True))
    assert tiers == {"a": 1, "b": 1, "c": 2}
    plain = _fit(infer_prerequisites=False)
    assert (
        dict(
            zip(plain.skill_ids_, plain.tiers(plain.mastery_of(_history([("c0", 0)]))), strict=True)
        )["c"]
        == 0
    )


def test_focus_heads_to_the_skill_students_take_next() -> None:
    model = _fit(trajectory_weight=0.5)
    focus = model.focus_of(_history([("a0", 1), ("a1", 1)]))
    a, b, c = (model.skill_ids_.index(s) for s in "abc")
    # (share + 0.5 * next) / 1.5: a all of the recent work, b every student's next skill
    np.testing.assert_allclose(focus[[a, b, c]], [2 / 3, 1 / 3, 0.0])
    assert focus.sum() == pytest.approx(1.0)
    assert not _fit(trajectory_weight=0.0).focus_of(_history([("a0", 1)]))[b]


def test_bad_state_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="mastered_p_correct"):
        _fit(mastered_p_correct=1.5)
    with pytest.raises(ValueError, match="streak_mastered"):
        _fit(streak_mastered=-1)
    with pytest.raises(ValueError, match="tune_seed"):
        benchmark.run("sim-tiny", seed=2, tune_seed=2)


def test_what_is_not_practised_fades_with_the_half_life() -> None:
    day = 86_400.0
    seq = StudentSequence(
        "s",
        np.array([0, 1]),
        np.array([0, 1]),
        np.array([1, 1], dtype=np.int8),
        np.array([0.0, 2 * day]),
    )
    traced, prior, bar = np.full(3, 0.9), np.full(3, 0.1), np.full(3, 0.95)
    state = knowledge_state(traced, seq, bar, prior=prior, half_life_days=1.0, now_s=2 * day)
    # skill 0 two half-lives old: 0.1 + 0.8 / 4; skill 1 just practised; skill 2 never
    np.testing.assert_allclose(state, [0.3, 0.9, 0.9])
    same = knowledge_state(traced, seq, bar, prior=prior, half_life_days=None, now_s=2 * day)
    np.testing.assert_allclose(same, traced)


def test_live_state_fades_by_the_clock_it_is_given() -> None:
    model = _fit(half_life_days=1.0)
    history = _history([("a0", 1), ("a1", 1), ("a2", 1)])
    a = model.skill_ids_.index("a")
    now = model.mastery_of(history)[a]
    later = model.mastery_of(history, now_s=30 * 86_400.0)[a]
    assert later < now and later == pytest.approx(model.prior_mastery_[a], abs=1e-6)


def test_tuning_picks_a_grid_point_on_another_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    grid = {"half_life_days": (None, 5.0), "focus_weight": (3.0,)}
    monkeypatch.setattr(benchmark, "KNOWLEDGE_GRID", grid)
    monkeypatch.setattr(benchmark, "ALS_ALPHAS", (2.0, 10.0))
    tuned = benchmark.tune("sim-tiny", seed=5)
    assert tuned["ALS"]["alpha"] in (2.0, 10.0)
    assert tuned["KnowledgeAware"]["half_life_days"] in (None, 5.0)
    assert tuned["KnowledgeAware"]["focus_weight"] == 3.0
