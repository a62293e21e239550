from __future__ import annotations

import numpy as np

from yangcheng.education.network.analytics import detect_communities, precision_recall
from yangcheng.education.network.anomaly import (
    Activity,
    bursty,
    learner_flags,
    low_engagement,
    stopped,
)
from yangcheng.education.network.generate import SyntheticNetwork
from yangcheng.education.network.graph import social_graph

DAY = 86_400.0


def test_planted_anomalies_are_recovered(network: SyntheticNetwork) -> None:
    events, truth = network.events, network.truth
    social = social_graph(events)
    labels = detect_communities(social.graph).labels
    flags = learner_flags(events, social, labels)
    assert len(flags) == truth.class_of_student.shape[0]

    def scored(column: str, planted: np.ndarray) -> dict:
        return precision_recall(flags["node"][flags[column]].to_numpy(), planted)

    assert scored("isolated", truth.isolated)["f1"] == 1.0
    assert scored("bursty", truth.bursty)["f1"] == 1.0
    dropouts = scored("stopped", truth.dropouts)
    assert dropouts["precision"] > 0.7
    assert dropouts["recall"] > 0.4
    assert np.array_equal(bursty(events), truth.bursty)


def test_stopped_needs_silence_and_a_rate_that_predicted_activity() -> None:
    counters = Activity.empty(4)
    now = 100 * DAY
    # 0: busy then silent for 40 days; 1: busy and active yesterday;
    # 2: two events then silent (too few to expect any); 3: never active.
    counters.update(np.array([0] * 30), np.linspace(0, 60 * DAY, 30))
    counters.update(np.array([1] * 30), np.linspace(0, 99 * DAY, 30))
    counters.update(np.array([2, 2]), np.array([0.0, 10 * DAY]))
    assert stopped(counters, now, window_s=28 * DAY).tolist() == [True, False, False, False]


def test_low_engagement_is_relative_to_the_community() -> None:
    n_events = np.array([10, 12, 11, 1, 9, 1, 1, 1, 1, 1, 1])
    community = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2])
    assert np.flatnonzero(low_engagement(n_events, community)).tolist() == [3]
