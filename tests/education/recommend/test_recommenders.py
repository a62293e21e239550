from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.recommend import (
    ALS,
    Hybrid,
    InteractionDataset,
    KnowledgeAware,
    LearningTruth,
    NotFittedError,
    Popularity,
    PrerequisiteError,
    RandomRanking,
    Recommender,
    TimeSplit,
    evaluate,
    true_knowledge,
)


def _knowledge(data: InteractionDataset, **params: Any) -> KnowledgeAware:
    return KnowledgeAware(data.resources, data.prerequisites, data.skill_ids, **params)


def _all(data: InteractionDataset) -> dict[str, Recommender]:
    return {
        "popularity": Popularity(),
        "popularity-window": Popularity(window_s=3 * 86_400.0),
        "als": ALS(factors=8, iterations=3),
        "als-bm25": ALS(factors=8, iterations=3, weighting="bm25"),
        "knowledge": _knowledge(data),
        "hybrid": Hybrid(_knowledge(data), Popularity()),
    }


@pytest.fixture(scope="module")
def fitted(tiny: InteractionDataset, tiny_split: TimeSplit) -> dict[str, Recommender]:
    return {name: model.fit(tiny_split.train) for name, model in _all(tiny).items()}


def test_each_recommender_excludes_seen_items(
    fitted: dict[str, Recommender], tiny_split: TimeSplit
) -> None:
    students = tiny_split.students[:10]
    for name, model in fitted.items():
        repeat_found = False
        for student in students:
            seen = set(model.resource_ids_[model.seen(student)])
            recs = model.recommend(student, k=15)
            assert len(recs) == len(set(recs)) == 15, name
            assert not set(recs) & seen, name
            repeat_found |= bool(set(model.recommend(student, k=15, exclude_seen=False)) & seen)
        assert repeat_found, f"{name}: exclude_seen=False never returned a seen resource"


def test_popularity_ranks_by_use_and_windows_by_recency(tiny_split: TimeSplit) -> None:
    train = tiny_split.train
    model = Popularity().fit(train)
    counts = train["resource_id"].value_counts()
    top = model.recommend("no-such-student", k=5)
    assert counts[top].tolist() == sorted(counts[top].tolist(), reverse=True)
    assert counts[top[0]] == counts.max()
    window = 2 * 86_400.0
    recent = train[train["timestamp"] >= train["timestamp"].max() - window]
    windowed = Popularity(window_s=window).fit(train)
    recent_counts = recent["resource_id"].value_counts()
    first = windowed.recommend("no-such-student", k=1)[0]
    assert recent_counts[first] == recent_counts.max()
    # ties in the window are broken by all-time use
    tied = recent_counts[recent_counts == recent_counts.max()].index
    assert counts[first] == counts[tied].max()


def test_als_is_deterministic_and_handles_cold_start(tiny_split: TimeSplit) -> None:
    a = ALS(factors=8, iterations=3, seed=1).fit(tiny_split.train)
    b = ALS(factors=8, iterations=3, seed=1).fit(tiny_split.train)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    student = tiny_split.students[0]
    assert a.recommend(student) == b.recommend(student)
    assert a.recommend("new-student", k=3) == Popularity().fit(tiny_split.train).recommend(
        "new-student", k=3
    )


def test_recommend_before_fit_is_an_error() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        Popularity().recommend("s1")


def _toy_knowledge() -> tuple[KnowledgeAware, pd.DataFrame]:
    """Skills a -> b -> c (a is b's prerequisite, b is c's); d stands alone."""
    resources = pd.DataFrame(
        {
            "resource_id": [f"r{i}" for i in range(8)],
            "kind": ["exercise"] * 4 + ["video"] * 4,
            "skill_id": ["a", "b", "c", "d"] * 2,
            "item_id": ["qa", "qb", "qc", "qd", "", "", "", ""],
        }
    )
    edges = [("b", "a"), ("c", "b")]
    interactions = pd.DataFrame(
        {
            "student_id": ["s1", "s1", "s2", "s2", "s2"],
            "resource_id": ["r0", "r3", "r0", "r1", "r2"],
            "timestamp": [1.0, 2.0, 1.0, 2.0, 3.0],
            "correct": [1, 0, 1, 1, 0],
        }
    )
    model = KnowledgeAware(resources, edges, popularity_weight=0.5, focus_weight=0.0)
    return model.fit(interactions), resources


def test_knowledge_never_pushes_a_blocked_skill() -> None:
    model, resources = _toy_knowledge()
    skill_of = dict(zip(resources["resource_id"], resources["skill_id"], strict=True))
    # a mastered, b not: b is the frontier, c is blocked (b unmastered), d is the frontier
    mastery = np.array([0.99, 0.3, 0.1, 0.2])
    recs = model.recommend_from_state(mastery, k=6)
    skills = [skill_of[r] for r in recs]
    assert "c" not in skills  # six resources of a, b, d exist
    assert set(skills[:4]) == {"b", "d"}
    # with only blocked skills left after exclusions, they do come (at the end)
    all_but_c = [r for r in resources["resource_id"] if skill_of[r] != "c"]
    assert [skill_of[r] for r in model.recommend_from_state(mastery, k=8, seen=all_but_c)] == [
        "c",
        "c",
    ]


def test_knowledge_never_pushes_blocked_skills_on_simulated_students(
    fitted: dict[str, Recommender], tiny_split: TimeSplit
) -> None:
    model = fitted["knowledge"]
    assert isinstance(model, KnowledgeAware)
    skill_index = {s: i for i, s in enumerate(model.skill_ids_)}
    skill_of = dict(
        zip(
            model.resources["resource_id"],
            model.resources["skill_id"].map(skill_index),
            strict=True,
        )
    )
    checked = 0
    for student in tiny_split.students:
        row = model.student_ids_.index(student)
        tiers = model.tiers(model.mastery_[row])
        recs = model.recommend(student, k=10)
        unblocked_left = sum(
            tiers[skill_of[r]] > 0
            for r in model.resource_ids_
            if r not in set(model.resource_ids_[model.seen(student)])
        )
        if unblocked_left >= 10:
            assert all(tiers[skill_of[r]] > 0 for r in recs), student
            checked += 1
    assert checked > 0


def test_knowledge_accepts_only_matching_prerequisites() -> None:
    resources = pd.DataFrame(
        {"resource_id": ["r0"], "kind": ["exercise"], "skill_id": ["a"], "item_id": ["q0"]}
    )
    frame = pd.DataFrame(
        {"student_id": ["s"], "resource_id": ["r0"], "timestamp": [1.0], "correct": [1]}
    )
    with pytest.raises(PrerequisiteError, match="unknown skill 'zz'"):
        KnowledgeAware(resources, [("a", "zz")]).fit(frame)
    with pytest.raises(PrerequisiteError, match=r"\(1, 1\)"):
        KnowledgeAware(resources, np.zeros((2, 2), dtype=bool)).fit(frame)


def test_knowledge_live_state_matches_fitted_state(
    fitted: dict[str, Recommender], tiny_split: TimeSplit
) -> None:
    model = fitted["knowledge"]
    assert isinstance(model, KnowledgeAware)
    student = tiny_split.students[0]
    history = tiny_split.train[tiny_split.train["student_id"] == student]
    mastery = model.mastery_of(history)
    np.testing.assert_allclose(mastery, model.mastery_[model.student_ids_.index(student)])
    live = model.recommend_from_state(
        mastery, k=10, seen=history["resource_id"].tolist(), focus=model.focus_of(history)
    )
    assert live == model.recommend(student, k=10)


class _Oracle(Recommender):
    """Knows the future: the student's targets first."""

    def __init__(self, targets: dict[str, np.ndarray], resource_ids: np.ndarray) -> None:
        self.targets = targets
        self.resource_ids = resource_ids

    def fit(self, interactions: pd.DataFrame) -> Self:
        self._index(interactions, self.resource_ids)
        return self

    def scores(self, student: str) -> np.ndarray:
        wanted = set(self.targets.get(student, ()))
        return np.array([float(r in wanted) for r in self.resource_ids_])


def test_evaluation_ranks_an_oracle_above_random(
    tiny: InteractionDataset, tiny_split: TimeSplit
) -> None:
    targets = tiny_split.targets()
    models: dict[str, Recommender] = {
        "oracle": _Oracle(targets, tiny.resources["resource_id"].to_numpy()).fit(tiny_split.train),
        "random": RandomRanking(seed=0).fit(tiny_split.train),
    }
    knowledge = true_knowledge(
        tiny.simulator, tiny.truth, tiny.steps_per_student, tiny_split.cut_s, tiny.log
    )
    result = evaluate(
        models,
        tiny_split,
        k=10,
        n_bootstrap=200,
        truth=LearningTruth(tiny.simulator, knowledge, tiny.resources),
    )
    oracle, random = result["oracle"], result["random"]
    for metric in ("recall", "ndcg"):
        assert oracle[metric]["low"] > random[metric]["high"], metric
        assert oracle[metric]["low"] <= oracle[metric]["mean"] <= oracle[metric]["high"]
    assert oracle["ndcg"]["mean"] == pytest.approx(1.0)
    assert oracle["hit_rate"]["mean"] == 1.0 > random["hit_rate"]["mean"]
    assert oracle["students"] == len(targets)
    assert 0.0 <= random["in_frontier"]["mean"] <= 1.0
    assert random["mastery_gain"]["mean"] > 0.0


def test_params_follow_scikit_learn(tiny: InteractionDataset) -> None:
    model = ALS(factors=8)
    assert model.get_params()["factors"] == 8
    assert model.set_params(alpha=3.0).alpha == 3.0
    with pytest.raises(ValueError, match="no parameter 'nope'"):
        model.set_params(nope=1)
    assert set(_knowledge(tiny).get_params()) >= {"mastery_threshold", "popularity_weight"}
