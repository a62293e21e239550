"""A student simulator: learning logs of any size whose hidden knowledge is known.

Real logs never say what a student knew, so a tracing model's mastery estimates can only be
checked on simulated students. This one combines the field's standard ingredients:

* **skills** with a random prerequisite DAG; **questions** tagged with 1-2 skills (a second one
  with ``extra_skill_probability``, most often a prerequisite of the first), each with an IRT
  difficulty and discrimination and its own guess and slip rates;
* **students** with an ability and a latent mastery in [0, 1] per skill. A response is correct
  with ``guess + (1 - guess - slip) * sigmoid(a * (ability + mastery_logit - b))``, where
  ``mastery_logit`` is the mean logit of the mastery of the question's skills;
* **learning** (BKT-like): each attempt moves a skill's mastery a skill-specific fraction of
  the way to 1, scaled by how well its prerequisites are mastered (``0.2 + 0.8 * mean``);
* **forgetting**: between practices mastery decays back to the student's prior mastery with a
  half-life (exponential, so decaying everything at every step is exact);
* **practice**: each student walks the skills roughly in prerequisite order (a shuffled
  topological order), staying on a skill until three correct in a row or ten tries, with
  occasional review of earlier skills; work comes in sessions days apart.

All students advance one step at a time together (vectorised), so an ASSIST2009-size dataset
takes seconds. The same ``seed`` and arguments give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SimulationTruth", "StudentSimulator"]

_DAY_S = 86_400.0
_EPOCH_2024_09_01 = 1_725_148_800.0
_MASTERY_CLIP = 0.02
_STREAK_TO_ADVANCE = 3
_MAX_TRIES_PER_SKILL = 10


@dataclass(frozen=True)
class SimulationTruth:
    """What the log does not show: per response (rows aligned with the log's responses in
    ``to_sequences`` order), the true mastery of the recorded skill just before and just
    after the response, and the true probability of a correct answer; per student, ability.
    """

    responses: pd.DataFrame
    """Columns: student_id, step (0-based per student), item_id, skill_id (the question's
    first skill, the one sequences record), timestamp, correct, mastery, mastery_after,
    p_correct."""
    ability: np.ndarray
    """Per student, in ``student_ids`` order."""
    student_ids: list[str]


class StudentSimulator:
    """Simulated students on a simulated curriculum; ``generate`` makes a learning log.

    The curriculum (skills, prerequisites, questions and their parameters) is fixed by
    ``seed`` when the simulator is made and is public: ``prerequisites[s, p]`` is True when
    skill ``p`` is a direct prerequisite of skill ``s``; ``question_skills[q]`` lists
    question ``q``'s skills (sorted); ``difficulty``, ``discrimination``, ``guess``, ``slip``
    per question; ``learning_rate`` per skill.

    Settings: ``prerequisite_density`` is the chance that a skill earlier in a hidden order
    is a direct prerequisite of a later one; a question's difficulty is the mean of its
    skills' difficulties (``N(difficulty_mean, skill_difficulty_sd)``) plus its own
    ``N(0, difficulty_sd)``; ``guess`` and ``slip`` are means (each question draws 0.5-1.5
    times them); ``learning_rate`` is the range of the per-skill rates; mastery halves its
    distance to prior knowledge every ``half_life_days`` without practice (``inf``: no
    forgetting); abilities are ``N(0, ability_sd)``; ``review_probability`` is the chance a
    step revisits an earlier skill.
    """

    def __init__(
        self,
        n_skills: int = 20,
        n_questions: int = 200,
        skills_per_question: tuple[int, int] = (1, 2),
        extra_skill_probability: float = 0.15,
        prerequisite_density: float = 0.15,
        guess: float = 0.1,
        slip: float = 0.05,
        learning_rate: tuple[float, float] = (0.08, 0.25),
        half_life_days: float = 4.0,
        ability_sd: float = 1.2,
        difficulty_mean: float = -1.4,
        skill_difficulty_sd: float = 0.8,
        difficulty_sd: float = 0.6,
        review_probability: float = 0.15,
        seed: int = 0,
    ) -> None:
        if n_skills < 1 or n_questions < n_skills:
            raise ValueError(
                f"need n_skills >= 1 and n_questions >= n_skills (every skill needs a "
                f"question), got n_skills={n_skills}, n_questions={n_questions}"
            )
        low, high = skills_per_question
        if not 1 <= low <= high <= n_skills:
            raise ValueError(
                "skills_per_question must satisfy 1 <= min <= max <= n_skills, "
                f"got {skills_per_question}"
            )
        if not 0.0 <= prerequisite_density <= 1.0:
            raise ValueError(f"prerequisite_density must be in [0, 1], got {prerequisite_density}")
        if not (0.0 <= guess < 1.0 and 0.0 <= slip < 1.0 and guess + slip < 1.0):
            raise ValueError(f"need 0 <= guess, slip and guess + slip < 1, got {guess}, {slip}")
        if half_life_days <= 0:
            raise ValueError(
                f"half_life_days must be positive (inf: no forgetting), got {half_life_days}"
            )
        self.n_skills = n_skills
        self.n_questions = n_questions
        self.skills_per_question = skills_per_question
        self.extra_skill_probability = extra_skill_probability
        self.prerequisite_density = prerequisite_density
        self.half_life_days = half_life_days
        self.ability_sd = ability_sd
        self.difficulty_mean = difficulty_mean
        self.skill_difficulty_sd = skill_difficulty_sd
        self.difficulty_sd = difficulty_sd
        self.review_probability = review_probability
        self.seed = seed

        rng = np.random.default_rng([seed, 0])
        hidden_order = rng.permutation(n_skills)
        rank = np.empty(n_skills, dtype=np.int64)
        rank[hidden_order] = np.arange(n_skills)
        earlier = rank[None, :] < rank[:, None]
        self.prerequisites = earlier & (rng.random((n_skills, n_skills)) < prerequisite_density)
        self.depth = np.zeros(n_skills, dtype=np.int64)
        for skill in hidden_order:
            parents = np.flatnonzero(self.prerequisites[skill])
            if parents.size:
                self.depth[skill] = self.depth[parents].max() + 1

        primary = rng.permutation(np.arange(n_questions) % n_skills)
        counts = low + rng.binomial(high - low, extra_skill_probability, size=n_questions)
        self.question_skills: list[list[int]] = []
        for q in range(n_questions):
            tagged = {int(primary[q])}
            related = np.flatnonzero(self.prerequisites[primary[q]])
            while len(tagged) < counts[q]:
                pool = related if related.size and rng.random() < 0.7 else np.arange(n_skills)
                tagged.add(int(rng.choice(pool)))
            self.question_skills.append(sorted(tagged))
        width = high
        self._skills = np.full((n_questions, width), -1, dtype=np.int64)
        for q, skills in enumerate(self.question_skills):
            self._skills[q, : len(skills)] = skills
        self._has = self._skills >= 0
        self._n_tagged = self._has.sum(axis=1)
        by_skill = [np.flatnonzero((self._skills == s).any(axis=1)) for s in range(n_skills)]
        self._skill_questions = np.concatenate(by_skill)
        self._skill_offsets = np.cumsum([0] + [len(b) for b in by_skill[:-1]])
        self._skill_counts = np.array([len(b) for b in by_skill])

        self.skill_difficulty = rng.normal(difficulty_mean, skill_difficulty_sd, n_skills)
        tagged_mean = np.array([self.skill_difficulty[s].mean() for s in self.question_skills])
        self.difficulty = tagged_mean + rng.normal(0.0, difficulty_sd, n_questions)
        self.discrimination = np.exp(rng.normal(0.0, 0.3, n_questions))
        self.guess = np.clip(guess * rng.uniform(0.5, 1.5, n_questions), 0.0, 0.49)
        self.slip = np.clip(slip * rng.uniform(0.5, 1.5, n_questions), 0.0, 0.49)
        self.learning_rate = rng.uniform(*learning_rate, n_skills)
        n_parents = self.prerequisites.sum(axis=1)
        self._parent_weights = self.prerequisites / np.maximum(n_parents, 1)[:, None]
        self._has_parents = n_parents > 0

    # The model, one step, for many students at once ----------------------------------------

    def p_correct(
        self, ability: np.ndarray, mastery: np.ndarray, questions: np.ndarray
    ) -> np.ndarray:
        """P(correct) for students (``ability`` (n,), ``mastery`` (n, n_skills)) on
        ``questions`` (n,)."""
        skills = self._skills[questions]
        has = self._has[questions]
        m = np.take_along_axis(mastery, np.maximum(skills, 0), axis=1)
        m = np.clip(m, _MASTERY_CLIP, 1.0 - _MASTERY_CLIP)
        logits = np.where(has, np.log(m / (1.0 - m)), 0.0).sum(axis=1) / self._n_tagged[questions]
        z = self.discrimination[questions] * (ability + logits - self.difficulty[questions])
        g, s = self.guess[questions], self.slip[questions]
        return g + (1.0 - g - s) / (1.0 + np.exp(-z))

    def learn(self, mastery: np.ndarray, questions: np.ndarray) -> np.ndarray:
        """Mastery after each student (rows of ``mastery``) attempts its question."""
        out = mastery.copy()
        rows = np.arange(mastery.shape[0])
        for k in range(self._skills.shape[1]):
            skills = self._skills[questions, k]
            take = skills >= 0
            r, s = rows[take], skills[take]
            ready = np.where(
                self._has_parents[s],
                0.2 + 0.8 * (mastery[r] * self._parent_weights[s]).sum(axis=1),
                1.0,
            )
            out[r, s] += self.learning_rate[s] * ready * (1.0 - mastery[r, s])
        return out

    def forget(self, mastery: np.ndarray, prior: np.ndarray, elapsed_s: np.ndarray) -> np.ndarray:
        """Mastery after ``elapsed_s`` (per student) without practice: back towards ``prior``."""
        keep = 0.5 ** (np.asarray(elapsed_s, dtype=np.float64) / (self.half_life_days * _DAY_S))
        return prior + (mastery - prior) * keep[:, None]

    # Whole histories ------------------------------------------------------------------------

    def generate(
        self,
        n_students: int,
        steps_per_student: int | tuple[int, int] = (20, 200),
        start_time: float = _EPOCH_2024_09_01,
    ) -> tuple[pd.DataFrame, SimulationTruth]:
        """A learning log of ``n_students`` and the truth behind it.

        ``steps_per_student`` is a count, or a (min, max) range drawn log-uniformly (many short
        histories, a few long ones, as real logs have). Students start within two weeks of
        ``start_time`` (epoch seconds). Ids are ``s0001``, ``q0001``, ``k001``...
        """
        if n_students < 1:
            raise ValueError(f"n_students must be positive, got {n_students}")
        rng = np.random.default_rng([self.seed, 1])
        lengths = self._lengths(rng, n_students, steps_per_student)
        n, n_skills = n_students, self.n_skills
        ability = rng.normal(0.0, self.ability_sd, n)
        curriculum = np.argsort(self.depth[None, :] + 1.5 * rng.random((n, n_skills)), axis=1)
        position = rng.integers(0, n_skills // 3 + 1, size=n)
        learned_before = np.arange(n_skills)[None, :] < position[:, None]
        prior_by_rank = np.where(
            learned_before,
            rng.uniform(0.5, 0.85, (n, n_skills)),
            rng.uniform(0.02, 0.2, (n, n_skills)),
        )
        prior = np.empty_like(prior_by_rank)
        np.put_along_axis(prior, curriculum, prior_by_rank, axis=1)
        clock = start_time + np.round(rng.uniform(0.0, 14 * _DAY_S, n))

        # Work on students sorted longest first, so the active ones are always a prefix.
        by_length = np.argsort(-lengths, kind="stable")
        lengths, ability, curriculum = lengths[by_length], ability[by_length], curriculum[by_length]
        position, prior, clock = position[by_length], prior[by_length], clock[by_length]
        mastery = prior.copy()
        streak = np.zeros(n, dtype=np.int64)
        tries = np.zeros(n, dtype=np.int64)
        steps: list[tuple[np.ndarray, ...]] = []
        for t in range(int(lengths.max())):
            a = int(np.searchsorted(-lengths, -t, side="left"))  # the students with > t steps
            if t > 0:
                new_session = rng.random(a) < 1.0 / 12.0
                pause = np.where(
                    new_session,
                    8 * 3600.0 + rng.exponential(2.0 * _DAY_S, a),
                    rng.uniform(2.0, 20.0, a),
                )
                clock[:a] += np.round(pause, 3)
                mastery[:a] = self.forget(mastery[:a], prior[:a], pause)
            finished = position[:a] >= n_skills
            review = finished | ((position[:a] > 0) & (rng.random(a) < self.review_probability))
            reviewed = np.floor(rng.random(a) * np.minimum(position[:a], n_skills)).astype(np.int64)
            rank = np.where(review, reviewed, np.minimum(position[:a], n_skills - 1))
            skill = curriculum[np.arange(a), rank]
            pick = np.floor(rng.random(a) * self._skill_counts[skill]).astype(np.int64)
            question = self._skill_questions[self._skill_offsets[skill] + pick]

            p = self.p_correct(ability[:a], mastery[:a], question)
            correct = (rng.random(a) < p).astype(np.int64)
            first = self._skills[question, 0]
            before = mastery[np.arange(a), first]
            mastery[:a] = self.learn(mastery[:a], question)
            after = mastery[np.arange(a), first]

            seconds = np.round(np.exp(np.log(20.0) + 0.5 * rng.normal(size=a) + 0.8 * (1.0 - p)), 3)
            attempts = np.where(correct == 1, 1, 1 + rng.geometric(0.55, a))
            hinted = (correct == 0) & (rng.random(a) < 0.6 * (1.0 - p))
            hints = np.where(hinted, 1 + rng.poisson(0.8, a), 0)
            steps.append(
                (
                    np.arange(a),
                    np.full(a, t),
                    question,
                    correct,
                    np.round(clock[:a], 3),
                    seconds,
                    attempts,
                    hints,
                    before,
                    after,
                    p,
                )
            )
            clock[:a] += seconds

            current = ~review
            streak[:a] = np.where(current, np.where(correct == 1, streak[:a] + 1, 0), streak[:a])
            tries[:a] += current
            advance = current & (
                (streak[:a] >= _STREAK_TO_ADVANCE) | (tries[:a] >= _MAX_TRIES_PER_SKILL)
            )
            position[:a] += advance
            streak[:a][advance] = 0
            tries[:a][advance] = 0

        columns = [np.concatenate(c) for c in zip(*steps, strict=True)]
        columns[0] = by_length[columns[0]]
        order = np.lexsort((columns[1], columns[0]))
        original_ability = np.empty_like(ability)
        original_ability[by_length] = ability
        return self._frames([c[order] for c in columns], original_ability)

    def _frames(
        self, columns: list[np.ndarray], ability: np.ndarray
    ) -> tuple[pd.DataFrame, SimulationTruth]:
        student, step, question, correct, when, seconds, attempts, hints, before, after, p = columns
        students = _names("s", len(ability))
        questions = _names("q", self.n_questions)
        skills = _names("k", self.n_skills)
        student_names = students[student]
        truth = pd.DataFrame(
            {
                "student_id": student_names,
                "step": step,
                "item_id": questions[question],
                "skill_id": skills[self._skills[question, 0]],
                "timestamp": when,
                "correct": correct,
                "mastery": before,
                "mastery_after": after,
                "p_correct": p,
            }
        )
        # One log row per skill of each response, as the ASSISTments exports have it.
        repeat = self._n_tagged[question]
        response = np.repeat(np.arange(question.size), repeat)
        within = np.arange(response.size) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        log = pd.DataFrame(
            {
                "student_id": student_names[response],
                "item_id": questions[question[response]],
                "skill_id": skills[self._skills[question[response], within]],
                "timestamp": when[response],
                "correct": correct[response],
                "response_time_s": seconds[response],
                "attempt": attempts[response],
                "hint_count": hints[response],
            }
        )
        return log, SimulationTruth(truth, ability, students.tolist())

    def _lengths(
        self, rng: np.random.Generator, n: int, steps: int | tuple[int, int]
    ) -> np.ndarray:
        if isinstance(steps, int):
            if steps < 1:
                raise ValueError(f"steps_per_student must be positive, got {steps}")
            return np.full(n, steps, dtype=np.int64)
        low, high = steps
        if not 1 <= low <= high:
            raise ValueError(f"steps_per_student range must satisfy 1 <= min <= max, got {steps}")
        drawn = np.exp(rng.uniform(np.log(low), np.log(high + 1), n))
        return np.clip(np.floor(drawn), low, high).astype(np.int64)


def _names(prefix: str, n: int) -> np.ndarray:
    width = max(3, len(str(n - 1)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)
