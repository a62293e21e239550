"""A deterministic generator of learner-interaction events with planted structure.

No public dataset has a million learners with known communities, influencers, dropouts and
fake accounts, so the generator plants them and the analytics are scored on recovering them:

- classes of ~40 students, ten classes to a course; replies stay in the class (85 %) or the
  course (10 %), teams form inside a class, views go mostly to the course's resources;
- a few *influential* students receive a share of all replies from across the network;
- *isolated* students never reply, are never replied to and join no team;
- *dropouts* are engaged students (3x the usual activity) whose activity stops between 35 %
  and 60 % of the observed span;
- *bursty* accounts fire hundreds of near-identical views (one shared list of resources)
  within ten minutes, on top of ordinary activity.

Everything is vectorised NumPy; the same ``seed`` gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yangcheng.education.network.events import (
    KINDS,
    NODE_TYPES,
    InteractionEvents,
    canonical_frame,
)

START_S = 1_704_067_200.0
"""2024-01-01T00:00:00Z: the first instant of generated activity."""
DAY_S = 86_400.0
BURST_EVENTS = 200
BURST_S = 600.0
REPLY_MIX = (0.05, 0.85, 0.10)
"""Share of replies to an influential student; of the rest, share within the class and
within the course (the remainder goes to a random student)."""


class NetworkSizeError(ValueError):
    """Sizes the generator cannot honour (too few nodes or edges for the planted parts)."""


@dataclass
class PlantedTruth:
    """What the generator planted; students are nodes ``0..n_students-1``."""

    class_of_student: np.ndarray
    course_of_student: np.ndarray
    influential: np.ndarray
    isolated: np.ndarray
    dropouts: np.ndarray
    bursty: np.ndarray


@dataclass
class SyntheticNetwork:
    events: InteractionEvents
    truth: PlantedTruth
    card: dict[str, Any] = field(default_factory=dict)


def generate_network(
    n_nodes: int = 1_000_000,
    n_edges: int = 5_000_000,
    seed: int = 0,
    *,
    class_size: int = 40,
    classes_per_course: int = 10,
    span_days: float = 120.0,
) -> SyntheticNetwork:
    """Generate ``n_edges`` events over ``n_nodes`` nodes (60 % students, 30 % resources,
    8 % forum threads, 2 % teams), sorted by time."""
    if n_nodes < 500:
        raise NetworkSizeError(f"n_nodes={n_nodes}: need at least 500 nodes")
    if n_edges < 4 * n_nodes:
        raise NetworkSizeError(f"n_edges={n_edges}: need at least 4 x n_nodes ({4 * n_nodes})")
    if class_size < 8:
        raise NetworkSizeError(f"class_size={class_size}: need at least 8 students a class")
    rng = np.random.default_rng(seed)
    n_students = int(n_nodes * 0.6)
    n_resources = int(n_nodes * 0.3)
    n_teams = max(1, int(n_nodes * 0.02))
    n_threads = n_nodes - n_students - n_resources - n_teams
    res0, thread0, team0 = n_students, n_students + n_resources, n_nodes - n_teams
    span_s = span_days * DAY_S

    # Classes and courses; students' roles (disjoint).
    n_classes = max(1, n_students // class_size)
    class_of = rng.permutation(np.arange(n_students) % n_classes)
    n_courses = max(1, n_classes // classes_per_course)
    course_of_class = np.minimum(np.arange(n_classes) // classes_per_course, n_courses - 1)
    perm = rng.permutation(n_students)
    counts = [
        max(3, n_students // 50_000),
        max(5, n_students // 100),
        max(10, n_students // 50),
        max(3, n_students // 20_000),
    ]
    bounds = np.cumsum([0, *counts])
    influential, isolated, dropouts, bursty = (
        np.sort(perm[bounds[i] : bounds[i + 1]]) for i in range(4)
    )
    is_isolated = np.zeros(n_students, dtype=bool)
    is_isolated[isolated] = True
    social = np.flatnonzero(~is_isolated)
    by_class = social[np.argsort(class_of[social], kind="stable")]
    class_first = np.searchsorted(class_of[by_class], np.arange(n_classes))
    class_count = np.diff(np.append(class_first, by_class.shape[0]))

    weight = rng.lognormal(0.0, 0.5, n_students)
    weight[isolated] *= 0.3
    weight[dropouts] *= 3.0
    horizon = np.ones(n_students)
    horizon[dropouts] = rng.uniform(0.35, 0.6, dropouts.shape[0])

    # Teams inside one class; consecutive members of the class list, so all distinct.
    team_class = rng.choice(np.flatnonzero(class_count >= 3), n_teams)
    team_size = np.minimum(rng.integers(3, 7, n_teams), class_count[team_class])
    team_first_row = np.concatenate([[0], np.cumsum(team_size)[:-1]])
    member_team = np.repeat(np.arange(n_teams), team_size)
    member_pos = np.arange(member_team.shape[0]) - team_first_row[member_team]
    offset = rng.integers(0, class_count[team_class])[member_team]
    cls = team_class[member_team]
    members = by_class[class_first[cls] + (offset + member_pos) % class_count[cls]]

    n_burst = bursty.shape[0] * BURST_EVENTS
    rest = n_edges - members.shape[0] - n_burst
    n_reply = max(int(rest * 0.30), social.shape[0])
    n_cowork = int(rest * 0.08)
    n_post = int(rest * 0.06)
    n_attempt = int(rest * 0.14)
    n_view = rest - n_reply - n_cowork - n_post - n_attempt
    if n_view < n_students:
        raise NetworkSizeError(f"n_edges={n_edges}: too few for one view per student")

    cdf_all = np.cumsum(weight / weight.sum())
    social_weight = np.where(is_isolated, 0.0, weight)
    cdf_social = np.cumsum(social_weight / social_weight.sum())

    def actors(n: int, cdf: np.ndarray, every: np.ndarray) -> np.ndarray:
        drawn = np.searchsorted(cdf, rng.random(n - every.shape[0]) * cdf[-1], side="right")
        return np.concatenate([every, np.minimum(drawn, n_students - 1)])

    def in_class(classes: np.ndarray) -> np.ndarray:
        pick = (rng.random(classes.shape[0]) * class_count[classes]).astype(np.int64)
        return by_class[class_first[classes] + pick]

    # Replies: every social student replies at least once, so only the planted are isolated.
    reply_src = actors(n_reply, cdf_social, social)
    u = rng.random(n_reply)
    p_infl, p_class, p_course = REPLY_MIX
    reply_dst = social[rng.integers(0, social.shape[0], n_reply)]
    to_infl = u < p_infl
    reply_dst[to_infl] = influential[rng.integers(0, influential.shape[0], int(to_infl.sum()))]
    v = (u - p_infl) / (1 - p_infl)
    same_class = ~to_infl & (v < p_class) & (class_count[class_of[reply_src]] > 0)
    reply_dst[same_class] = in_class(class_of[reply_src[same_class]])
    same_course = ~to_infl & (v >= p_class) & (v < p_class + p_course)
    course = course_of_class[class_of[reply_src[same_course]]]
    first = course * classes_per_course
    n_in = np.where(course == n_courses - 1, n_classes - first, classes_per_course)
    other = first + (rng.random(course.shape[0]) * n_in).astype(np.int64)
    ok = class_count[other] > 0
    dst_course = reply_dst[same_course]
    dst_course[ok] = in_class(other[ok])
    reply_dst[same_course] = dst_course
    loops = reply_dst == reply_src
    while loops.any():
        reply_dst[loops] = social[rng.integers(0, social.shape[0], int(loops.sum()))]
        loops = reply_dst == reply_src

    # Co-work between teammates.
    row = rng.integers(0, members.shape[0], n_cowork)
    t = member_team[row]
    mate = (member_pos[row] + 1 + (rng.random(n_cowork) * (team_size[t] - 1))) % team_size[t]
    cowork_src = members[row]
    cowork_dst = members[team_first_row[t] + mate.astype(np.int64)]

    # Views, attempts and posts go mostly to the student's own course.
    def in_course(src: np.ndarray, first0: int, n_items: int, power: float) -> np.ndarray:
        course = course_of_class[class_of[src]]
        away = np.greater(rng.random(src.shape[0]), 0.85)
        course[away] = rng.integers(0, n_courses, int(away.sum()))
        lo = course * n_items // n_courses
        hi = (course + 1) * n_items // n_courses
        pick = ((hi - lo) * rng.random(src.shape[0]) ** power).astype(np.int64)
        return first0 + lo + np.minimum(pick, hi - lo - 1)

    view_src = actors(n_view, cdf_all, np.arange(n_students))
    view_dst = in_course(view_src, res0, n_resources, 3.0)
    attempt_src = actors(n_attempt, cdf_all, np.empty(0, np.int64))
    attempt_dst = in_course(attempt_src, res0, n_resources, 2.0)
    post_src = actors(n_post, cdf_social, np.empty(0, np.int64))
    post_dst = in_course(post_src, thread0, n_threads, 2.0)

    parts = [
        ("view", view_src, view_dst),
        ("attempt", attempt_src, attempt_dst),
        ("post", post_src, post_dst),
        ("reply", reply_src, reply_dst),
        ("member", members, team0 + member_team),
        ("cowork", cowork_src, cowork_dst),
    ]
    src = np.concatenate([p[1] for p in parts])
    dst = np.concatenate([p[2] for p in parts])
    kind = np.concatenate([np.full(p[1].shape[0], KINDS.index(p[0]), np.int8) for p in parts])
    early = np.equal(kind, KINDS.index("member"))
    frac = rng.random(src.shape[0]) * np.where(early, 0.1, 1.0)
    timestamp = START_S + frac * span_s * horizon[src]

    # Bursts: near-identical views of one shared resource list within ten minutes.
    template = res0 + rng.choice(n_resources, 20, replace=False)
    burst_src = np.repeat(bursty, BURST_EVENTS)
    burst_dst = np.tile(template[np.arange(BURST_EVENTS) % 20], bursty.shape[0])
    burst_start = START_S + rng.uniform(0.1, 0.9, bursty.shape[0]) * span_s
    burst_ts = np.repeat(burst_start, BURST_EVENTS) + rng.random(n_burst) * BURST_S

    src = np.concatenate([src, burst_src])
    dst = np.concatenate([dst, burst_dst])
    kind = np.concatenate([kind, np.full(n_burst, KINDS.index("view"), np.int8)])
    timestamp = np.concatenate([timestamp, burst_ts])
    order = np.argsort(timestamp, kind="stable")
    frame = canonical_frame(src[order], dst[order], kind[order], timestamp[order])

    node_type = np.zeros(n_nodes, dtype=np.int8)
    node_type[res0:thread0] = NODE_TYPES.index("resource")
    node_type[thread0:team0] = NODE_TYPES.index("thread")
    node_type[team0:] = NODE_TYPES.index("team")
    truth = PlantedTruth(
        class_of_student=class_of,
        course_of_student=course_of_class[class_of],
        influential=influential,
        isolated=isolated,
        dropouts=dropouts,
        bursty=bursty,
    )
    card = {
        "source": "yangcheng.education.network.generate_network (synthetic)",
        "seed": seed,
        "n_nodes": n_nodes,
        "n_events": len(frame),
        "nodes": {
            "student": n_students,
            "resource": n_resources,
            "thread": n_threads,
            "team": n_teams,
        },
        "events": {k: int(c) for k, c in frame["kind"].value_counts(sort=False).items()},
        "planted": {
            "classes": n_classes,
            "courses": n_courses,
            "influential": int(influential.shape[0]),
            "isolated": int(isolated.shape[0]),
            "dropouts": int(dropouts.shape[0]),
            "bursty": int(bursty.shape[0]),
        },
        "span_days": span_days,
    }
    return SyntheticNetwork(InteractionEvents(frame, node_type), truth, card)
