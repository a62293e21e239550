"""A JSON-able digest of a learner network, what the platform serves to a teacher."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from yangcheng.education.network.analytics import (
    degrees,
    detect_communities,
    pagerank,
    top_k,
)
from yangcheng.education.network.anomaly import FLAG_COLUMNS, learner_flags
from yangcheng.education.network.events import STUDENT, InteractionEvents, from_dataframe
from yangcheng.education.network.graph import build_graph, reply_graph, social_graph


def summary(
    events: InteractionEvents | pd.DataFrame,
    top: int = 10,
    *,
    max_flagged: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """Top central and influential students, communities, and flagged learners with reasons.

    ``events`` may be a user's DataFrame (validated by ``from_dataframe``; ids in the answer
    are the user's). Flagged learners are listed most-flags first, at most ``max_flagged``.
    """
    if isinstance(events, pd.DataFrame):
        events = from_dataframe(events)
    full = build_graph(events)
    social = social_graph(events)
    replies = reply_graph(events)
    students = events.ids_of(STUDENT)

    centrality = pagerank(full.graph)[students]
    central = [
        {"student": events.label(students[i]), "pagerank": float(centrality[i])}
        for i in top_k(centrality, top)
    ]
    repliers = degrees(replies.graph, in_degree=True)
    influential = [
        {"student": events.label(students[i]), "repliers": int(repliers[i])}
        for i in top_k(repliers.astype(np.float64), top)
        if repliers[i] > 0
    ]
    communities = detect_communities(social.graph, seed=seed)
    flags = learner_flags(events, social, communities.labels)
    flag_matrix = flags[list(FLAG_COLUMNS)].to_numpy()
    n_flags = flag_matrix.sum(axis=1)
    order = np.lexsort((flags["node"].to_numpy(), -n_flags))
    order = order[n_flags[order] > 0][:max_flagged]
    at_risk = [
        {
            "student": events.label(int(flags["node"].iat[i])),
            "reasons": [c for c, on in zip(FLAG_COLUMNS, flag_matrix[i], strict=True) if on],
            "n_events": int(flags["n_events"].iat[i]),
        }
        for i in order
    ]
    sizes = communities.sizes()
    return {
        "n_nodes": events.n_nodes,
        "n_events": len(events.events),
        "n_students": int(students.shape[0]),
        "central_students": central,
        "influential_students": influential,
        "communities": {
            "count": communities.n_communities,
            "modularity": communities.modularity,
            "largest_sizes": [int(s) for s in sizes[:top]],
        },
        "flag_counts": {c: int(flags[c].sum()) for c in FLAG_COLUMNS},
        "at_risk": at_risk,
    }
