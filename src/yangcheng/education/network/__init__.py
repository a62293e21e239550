"""Learner interaction network analytics on NetworKit.

Students, resources, forum threads and teams joined by time-stamped events (views,
attempts, posts, replies, team membership and co-work). ``generate_network`` plants
communities, influencers, isolated learners, dropouts and bursty accounts at up to millions
of nodes; the analytics (PageRank, k-core, Leiden, influence cascades, learner flags) are
scored on recovering them; ``LiveNetwork`` keeps the graph and PageRank current as events
stream in; ``summary`` is the JSON a platform serves. Users bring their own events as a
DataFrame through ``from_dataframe``.
"""

from __future__ import annotations

from yangcheng.education.network.analytics import (
    Communities,
    agreement,
    core_numbers,
    degrees,
    detect_communities,
    independent_cascade,
    pagerank,
    precision_recall,
    set_threads,
    top_k,
)
from yangcheng.education.network.anomaly import (
    Activity,
    activity,
    burst_sizes,
    bursty,
    isolated,
    learner_flags,
    low_engagement,
    stopped,
)
from yangcheng.education.network.events import (
    KIND_TYPES,
    KINDS,
    NODE_TYPES,
    EventsError,
    InteractionEvents,
    from_dataframe,
)
from yangcheng.education.network.generate import (
    NetworkSizeError,
    PlantedTruth,
    SyntheticNetwork,
    generate_network,
)
from yangcheng.education.network.graph import (
    WeightedGraph,
    bipartite_graph,
    build_graph,
    reply_graph,
    social_graph,
)
from yangcheng.education.network.incremental import (
    IngestReport,
    LiveNetwork,
    Refresh,
    power_pagerank,
    push_pagerank,
)
from yangcheng.education.network.summary import summary

__all__ = [
    "KINDS",
    "KIND_TYPES",
    "NODE_TYPES",
    "Activity",
    "Communities",
    "EventsError",
    "IngestReport",
    "InteractionEvents",
    "LiveNetwork",
    "NetworkSizeError",
    "PlantedTruth",
    "Refresh",
    "SyntheticNetwork",
    "WeightedGraph",
    "activity",
    "agreement",
    "bipartite_graph",
    "build_graph",
    "burst_sizes",
    "bursty",
    "core_numbers",
    "degrees",
    "detect_communities",
    "from_dataframe",
    "generate_network",
    "independent_cascade",
    "isolated",
    "learner_flags",
    "low_engagement",
    "pagerank",
    "power_pagerank",
    "precision_recall",
    "push_pagerank",
    "reply_graph",
    "set_threads",
    "social_graph",
    "stopped",
    "summary",
    "top_k",
]
