"""A deterministic knowledge graph of any size, written as columnar files for bulk load.

Concepts come in subjects with a prerequisite DAG inside each subject, or are taken from a
``StudentSimulator``'s curriculum (its skills, ids ``k000``..., and its true prerequisite
DAG), so a knowledge-tracing model's skills join the graph's resources directly. Resources
(videos, exercises, documents) teach one concept, a fifth also one of its prerequisites;
teachers of a subject author them; schools run courses that cover windows of a subject's
concepts and are taught by the school's teachers. Everything is vectorised, so a million
resources take seconds; the same arguments and ``seed`` give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.graph.schema import NODE_TABLES, REL_TABLES, RESOURCE_KINDS
from yangcheng.education.graph.vocabulary import (
    CITIES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    LEVELS,
    MODIFIERS,
    SUBJECTS,
    TEMPLATES,
)

__all__ = ["GraphData", "GraphSizeError", "generate_graph", "read_bulk", "write_bulk"]

_COURSES_PER_SCHOOL = 10
_KIND_P = (0.3, 0.5, 0.2)


class GraphSizeError(ValueError):
    """A generator size that cannot make a graph (which argument, what value)."""


@dataclass
class GraphData:
    """The graph as one DataFrame per table (columns as ``schema`` has them)."""

    tables: dict[str, pd.DataFrame]
    seed: int

    @property
    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(frame) for name, frame in self.tables.items()}


def generate_graph(
    n_resources: int = 1_000_000,
    n_concepts: int | None = None,
    n_teachers: int | None = None,
    n_schools: int | None = None,
    simulator: StudentSimulator | None = None,
    seed: int = 0,
) -> GraphData:
    """Make the graph. Unset sizes scale with ``n_resources`` (2,000 concepts, 10,000 teachers
    and 500 schools at a million). With ``simulator`` its skills and prerequisites are the
    concept layer and ``n_concepts`` is ignored. No SIMILAR_TO edges: ``embeddings.similar_edges``
    makes those from the titles."""
    if n_resources < 1:
        raise GraphSizeError(f"n_resources must be positive, got {n_resources}")
    if simulator is None:
        n_concepts = (
            n_concepts if n_concepts is not None else min(2000, max(20, n_resources // 500))
        )
        if n_concepts < 1:
            raise GraphSizeError(f"n_concepts must be positive, got {n_concepts}")
    n_teachers = n_teachers if n_teachers is not None else min(10_000, max(8, n_resources // 100))
    n_schools = n_schools if n_schools is not None else max(1, n_teachers // 20)
    if n_teachers < 1 or n_schools < 1 or n_schools > n_teachers:
        raise GraphSizeError(
            f"need 1 <= n_schools <= n_teachers, got n_schools={n_schools}, n_teachers={n_teachers}"
        )
    rng = np.random.default_rng([seed, 17])
    subjects = list(SUBJECTS)
    if simulator is not None:
        concepts, parents = _simulator_concepts(simulator, subjects)
    else:
        assert n_concepts is not None
        concepts, parents = _concepts(n_concepts, subjects, rng)
    prereq = pd.DataFrame(
        {
            "from": concepts["id"].to_numpy()[parents[:, 1]],
            "to": concepts["id"].to_numpy()[parents[:, 0]],
            "weight": np.ones(len(parents)),
            "source": "curriculum",
        }
    )
    resources, teaches, concept_of = _resources(n_resources, concepts, parents, rng)
    teachers, schools, authored = _people(
        n_teachers, n_schools, concepts, concept_of, resources, subjects, rng
    )
    courses, covers, taught_by, runs = _courses(concepts, teachers, schools, subjects, rng)
    tables = {
        "Concept": concepts,
        "Resource": resources,
        "Teacher": teachers,
        "Course": courses,
        "School": schools,
        "PREREQUISITE_OF": prereq,
        "TEACHES": teaches,
        "AUTHORED": authored,
        "COVERS": covers,
        "TAUGHT_BY": taught_by,
        "RUNS": runs,
        "SIMILAR_TO": pd.DataFrame(
            {
                "from": pd.Series([], dtype=object),
                "to": pd.Series([], dtype=object),
                "score": pd.Series([], dtype=np.float64),
            }
        ),
    }
    return GraphData(tables, seed)


def write_bulk(data: GraphData, directory: str | Path) -> dict[str, Path]:
    """Write one Parquet file per table (columns in schema order); returns table -> path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name in _table_order():
        path = out / f"{name}.parquet"
        data.tables[name].to_parquet(path, index=False, compression="snappy")
        paths[name] = path
    return paths


def read_bulk(paths: dict[str, Path]) -> GraphData:
    """The tables back from ``write_bulk``'s files (for checks and re-use)."""
    return GraphData({name: pd.read_parquet(p) for name, p in paths.items()}, seed=-1)


def _article(word: str) -> str:
    return "An" if word[0] in "aeiou" else "A"


def _table_order() -> list[str]:
    return [t.name for t in NODE_TABLES] + [t.name for t in REL_TABLES]


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(3, len(str(n - 1)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)


def _concept_names(
    n: int, subject_of: np.ndarray, subjects: list[str]
) -> tuple[list[str], list[str]]:
    """Name and topic per concept: modifier x topic of its subject, numbered past the vocab."""
    names, topics = [], []
    seen = np.zeros(len(subjects), dtype=np.int64)
    for i in range(n):
        s = int(subject_of[i])
        j = int(seen[s])
        seen[s] += 1
        topic_list = SUBJECTS[subjects[s]]
        topic = topic_list[j % len(topic_list)]
        modifier = MODIFIERS[(j // len(topic_list)) % len(MODIFIERS)]
        lap = j // (len(topic_list) * len(MODIFIERS))
        names.append(f"{modifier} {topic}" + (f" {lap + 1}" if lap else ""))
        topics.append(topic)
    return names, topics


def _concepts(
    n: int, subjects: list[str], rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Concepts in contiguous subject blocks; each draws 0-3 prerequisites among the 30
    concepts before it in its subject. Returns the table and (child, parent) index pairs."""
    subject_of = (np.arange(n) * len(subjects)) // n
    start = np.searchsorted(subject_of, subject_of, side="left")
    pairs = []
    n_parents = rng.choice(4, size=n, p=(0.15, 0.4, 0.3, 0.15))
    for i in range(n):
        lo = max(int(start[i]), i - 30)
        k = min(int(n_parents[i]), i - lo)
        if k:
            for p in rng.choice(np.arange(lo, i), size=k, replace=False):
                pairs.append((i, int(p)))
    parents = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    depth = np.zeros(n, dtype=np.int64)
    for child, parent in parents:  # parents precede children, pairs in child order
        depth[child] = max(depth[child], depth[parent] + 1)
    return _concept_frame(_ids("k", n), subject_of, depth, subjects), parents


def _simulator_concepts(
    sim: StudentSimulator, subjects: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    n = sim.n_skills
    child, parent = np.nonzero(sim.prerequisites)
    subject_of = (np.arange(n) * min(len(subjects), max(1, n // 5))) // n
    return _concept_frame(_ids("k", n), subject_of, sim.depth, subjects), np.stack(
        [child, parent], axis=1
    ).astype(np.int64)


def _concept_frame(
    ids: np.ndarray, subject_of: np.ndarray, depth: np.ndarray, subjects: list[str]
) -> pd.DataFrame:
    names, topics = _concept_names(len(ids), subject_of, subjects)
    grade = 1 + np.minimum(11, (depth * 12) // max(1, int(depth.max()) + 1))
    frame = pd.DataFrame(
        {
            "id": ids,
            "name": names,
            "subject": np.array(subjects, dtype=object)[subject_of],
            "grade": grade.astype(np.int64),
        }
    )
    frame.attrs["topic"] = topics
    return frame


def _resources(
    n: int, concepts: pd.DataFrame, parents: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    n_concepts = len(concepts)
    popularity = rng.lognormal(0.0, 0.7, n_concepts)
    concept = rng.choice(n_concepts, size=n, p=popularity / popularity.sum())
    kind = rng.choice(3, size=n, p=_KIND_P)
    template = rng.integers(0, 3, size=n)
    grade = concepts["grade"].to_numpy()
    difficulty = np.round(np.clip(rng.normal((grade[concept] - 6.5) / 3.0, 0.7), -3, 3), 3)
    level = np.digitize(difficulty, (-0.5, 0.8))
    median_s = np.array([480.0, 300.0, 900.0])[kind]
    duration_s = np.clip(np.round(median_s * rng.lognormal(0, 0.5, n)), 30, 7200).astype(np.int64)
    quality = np.round(rng.beta(5.0, 2.0, n), 4)

    names = concepts["name"].to_numpy()
    subjects = concepts["subject"].to_numpy()
    topics = concepts.attrs["topic"]
    titles = np.empty(n_concepts * 9, dtype=object)
    texts = np.empty(n_concepts * 27, dtype=object)
    for c in range(n_concepts):
        for k, kind_name in enumerate(RESOURCE_KINDS):
            for t, template_text in enumerate(TEMPLATES[kind_name]):
                title = template_text.format(name=names[c])
                title = title[0].upper() + title[1:]
                titles[c * 9 + k * 3 + t] = title
                for lv, level_name in enumerate(LEVELS):
                    texts[(c * 9 + k * 3 + t) * 3 + lv] = (
                        f"{title}. {_article(level_name)} {level_name} {kind_name} on {topics[c]} "
                        f"in {subjects[c]} "
                        f"for grade {grade[c]}: {names[c]}, with worked examples."
                    )
    slot = concept * 9 + kind * 3 + template
    ids = _ids("r", n)
    resources = pd.DataFrame(
        {
            "id": ids,
            "kind": np.array(RESOURCE_KINDS, dtype=object)[kind],
            "title": titles[slot],
            "text": texts[slot * 3 + level],
            "difficulty": difficulty,
            "duration_s": duration_s,
            "quality": quality,
        }
    )
    # A fifth of the resources also teach one prerequisite of their concept.
    order = np.argsort(parents[:, 0], kind="stable")
    child_sorted, parent_sorted = parents[order, 0], parents[order, 1]
    first = np.searchsorted(child_sorted, np.arange(n_concepts), side="left")
    n_par = np.searchsorted(child_sorted, np.arange(n_concepts), side="right") - first
    second = (rng.random(n) < 0.2) & (n_par[concept] > 0)
    pick = first[concept] + np.floor(rng.random(n) * np.maximum(n_par[concept], 1)).astype(np.int64)
    extra_rows = np.flatnonzero(second)
    concept_ids = concepts["id"].to_numpy()
    teaches = pd.DataFrame(
        {
            "from": np.concatenate([ids, ids[extra_rows]]),
            "to": np.concatenate(
                [concept_ids[concept], concept_ids[parent_sorted[pick[extra_rows]]]]
                if len(parent_sorted)
                else [concept_ids[concept], concept_ids[:0]]
            ),
        }
    )
    return resources, teaches, concept


def _people(
    n_teachers: int,
    n_schools: int,
    concepts: pd.DataFrame,
    concept_of: np.ndarray,
    resources: pd.DataFrame,
    subjects: list[str],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    school_ids = _ids("h", n_schools)
    city = rng.integers(0, len(CITIES), n_schools)
    schools = pd.DataFrame(
        {
            "id": school_ids,
            "name": [f"{CITIES[c]} School No. {i + 1}" for i, c in enumerate(city)],
            "city": np.array(CITIES, dtype=object)[city],
        }
    )
    teacher_ids = _ids("t", n_teachers)
    subject = rng.permutation(np.arange(n_teachers) % len(subjects))
    school = rng.permutation(np.arange(n_teachers) % n_schools)
    given = rng.integers(0, len(GIVEN_NAMES), n_teachers)
    family = rng.integers(0, len(FAMILY_NAMES), n_teachers)
    teachers = pd.DataFrame(
        {
            "id": teacher_ids,
            "name": [
                f"{GIVEN_NAMES[g]} {FAMILY_NAMES[f]}" for g, f in zip(given, family, strict=True)
            ],
            "school": school_ids[school],
            "subject": np.array(subjects, dtype=object)[subject],
        }
    )
    # Each resource is authored by a teacher of its concept's subject (any teacher if none).
    subject_index = {s: i for i, s in enumerate(subjects)}
    concept_subject = np.array([subject_index[s] for s in concepts["subject"]], dtype=np.int64)
    by_subject = np.argsort(subject, kind="stable")
    first = np.searchsorted(subject[by_subject], np.arange(len(subjects)), side="left")
    count = np.searchsorted(subject[by_subject], np.arange(len(subjects)), side="right") - first
    res_subject = concept_subject[concept_of]
    has = count[res_subject] > 0
    pick = first[res_subject] + np.floor(
        rng.random(len(concept_of)) * np.maximum(count[res_subject], 1)
    ).astype(np.int64)
    author = np.where(
        has,
        by_subject[np.minimum(pick, n_teachers - 1)],
        rng.integers(0, n_teachers, len(concept_of)),
    )
    authored = pd.DataFrame({"from": teacher_ids[author], "to": resources["id"].to_numpy()})
    return teachers, schools, authored


def _courses(
    concepts: pd.DataFrame,
    teachers: pd.DataFrame,
    schools: pd.DataFrame,
    subjects: list[str],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_schools = len(schools)
    n_courses = n_schools * _COURSES_PER_SCHOOL
    course_ids = _ids("c", n_courses)
    concept_subject = concepts["subject"].to_numpy()
    by_subject = {s: np.flatnonzero(concept_subject == s) for s in subjects}
    present = [s for s in subjects if by_subject[s].size]
    subject = rng.integers(0, len(present), n_courses)
    school = np.repeat(np.arange(n_schools), _COURSES_PER_SCHOOL)
    teacher_school = pd.Categorical(teachers["school"], categories=schools["id"]).codes
    teachers_by_school = np.argsort(teacher_school, kind="stable")
    t_first = np.searchsorted(teacher_school[teachers_by_school], np.arange(n_schools), "left")
    t_count = (
        np.searchsorted(teacher_school[teachers_by_school], np.arange(n_schools), "right") - t_first
    )
    concept_ids = concepts["id"].to_numpy()
    grade = concepts["grade"].to_numpy()
    names, grades, cover_from, cover_to, tb_from, tb_to = [], [], [], [], [], []
    teacher_ids = teachers["id"].to_numpy()
    for c in range(n_courses):
        pool = by_subject[present[subject[c]]]
        width = min(int(pool.size), int(rng.integers(8, 21)))
        lo = int(rng.integers(0, pool.size - width + 1))
        window = pool[lo : lo + width]
        cover_from.extend([course_ids[c]] * width)
        cover_to.extend(concept_ids[window])
        names.append(f"{present[subject[c]].title()} {concepts['name'].iloc[window[0]]} course")
        grades.append(int(np.median(grade[window])))
        s = school[c]
        k = min(int(t_count[s]), 1 + int(rng.random() < 0.3))
        chosen: list[int] = rng.choice(int(t_count[s]), size=k, replace=False).tolist() if k else []
        for j in chosen:
            tb_from.append(course_ids[c])
            tb_to.append(teacher_ids[teachers_by_school[t_first[s] + int(j)]])
    courses = pd.DataFrame(
        {
            "id": course_ids,
            "name": names,
            "subject": np.array(present, dtype=object)[subject],
            "grade": np.array(grades, dtype=np.int64),
        }
    )
    covers = pd.DataFrame(
        {"from": np.array(cover_from, dtype=object), "to": np.array(cover_to, dtype=object)}
    )
    taught_by = pd.DataFrame(
        {"from": np.array(tb_from, dtype=object), "to": np.array(tb_to, dtype=object)}
    )
    runs = pd.DataFrame({"from": schools["id"].to_numpy()[school], "to": course_ids})
    return courses, covers, taught_by, runs
