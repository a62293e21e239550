from __future__ import annotations

import json

import pandas as pd

from yangcheng.education.network.generate import SyntheticNetwork
from yangcheng.education.network.summary import summary


def test_summary_is_json_and_names_planted_learners(network: SyntheticNetwork) -> None:
    result = summary(network.events, top=5)
    json.dumps(result)
    truth = network.truth
    influential = {row["student"] for row in result["influential_students"][:3]}
    assert influential == set(truth.influential.tolist())
    flagged = {row["student"]: row["reasons"] for row in result["at_risk"]}
    assert all(reasons for reasons in flagged.values())
    assert result["flag_counts"]["bursty"] == truth.bursty.shape[0]
    assert len(result["central_students"]) == 5
    assert sum(result["communities"]["largest_sizes"]) <= result["n_students"]


def test_summary_of_a_user_frame_speaks_their_ids() -> None:
    frame = pd.DataFrame(
        {
            "src": ["s1", "s2", "s3", "s2", "s4", "s1"],
            "dst": ["s2", "s1", "s2", "math-1", "math-1", "team-a"],
            "kind": ["reply", "reply", "reply", "view", "view", "member"],
            "timestamp": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    result = summary(frame, top=2)
    assert result["influential_students"][0] == {"student": "s2", "repliers": 2}
    reasons = {row["student"]: row["reasons"] for row in result["at_risk"]}
    assert "isolated" in reasons["s4"]
