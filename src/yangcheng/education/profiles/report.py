"""The evaluation-system document, generated from the indicator registry.

Written from ``INDICATORS`` so the document cannot disagree with the thresholds profiles
use; the dropout model's section quotes AUCs measured when the document is made (or says it
was not measured). ``python -m yangcheng.education.profiles PATH`` writes it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yangcheng.education.profiles.behaviour import (
    DropoutEvaluation,
    evaluate_dropout,
    generated_dropout_data,
)
from yangcheng.education.profiles.indicators import INDICATORS, Indicator, Scope

__all__ = ["evaluation_system_markdown", "main"]

_SCOPES: tuple[tuple[Scope, str], ...] = (
    ("student", "Student indicators"),
    ("teacher", "Teacher indicators"),
    ("course", "Course indicators"),
)


def _thresholds(i: Indicator) -> str:
    if i.higher_is_better:
        return f"ok >= {i.ok:g}; warn >= {i.warn:g}; alert < {i.warn:g}"
    return f"ok <= {i.ok:g}; warn <= {i.warn:g}; alert > {i.warn:g}"


def evaluation_system_markdown(
    dropout: DropoutEvaluation | None = None, indicators: dict[str, Indicator] | None = None
) -> str:
    """The document as Markdown: indicators grouped by level, then the dropout model."""
    registry = indicators if indicators is not None else INDICATORS
    lines = [
        "# Yangcheng education: evaluation system",
        "",
        "Indicators for students, teachers and courses, each with its definition, how it is "
        "computed, its unit, which direction is better and the thresholds between the levels "
        "ok, warn and alert. Generated from the indicator registry "
        "(`yangcheng.education.profiles.indicators`); profiles use the same thresholds.",
        "",
    ]
    for scope, heading in _SCOPES:
        chosen = [i for i in registry.values() if i.scope == scope]
        if not chosen:
            continue
        lines += [f"## {heading}", ""]
        for i in chosen:
            direction = "higher is better" if i.higher_is_better else "lower is better"
            lines += [
                f"### {i.title} (`{i.name}`)",
                "",
                f"- **Definition:** {i.definition}",
                f"- **Formula:** {i.formula}",
                f"- **Unit:** {i.unit}",
                f"- **Direction:** {direction}",
                f"- **Thresholds:** {_thresholds(i)}",
                f"- **Source data:** {i.source}",
                "",
            ]
    lines += ["## Dropout prediction model", ""]
    lines += [
        "Predicts, for students still active in the last observed week, whether they will "
        "have no activity in the later window, from the first weeks' activity counts and "
        "trend, accuracy, gaps, streaks and BKT mastery. Gradient boosting "
        "(`HistGradientBoostingClassifier`) against a logistic-regression baseline; AUC on "
        "held-out students with a 95% bootstrap interval.",
        "",
    ]
    if dropout is None:
        lines += ["AUC: not measured for this document.", ""]
    else:
        lines += [
            f"Measured on generated engagement data: {dropout.n_train} training and "
            f"{dropout.n_test} test students, {100 * dropout.positive_rate:.1f}% dropouts.",
            "",
            "| model | AUC | 95% CI |",
            "|---|---|---|",
        ]
        for name, s in dropout.scores.items():
            lines.append(f"| {name} | {s.auc:.3f} | {s.auc_low:.3f}-{s.auc_high:.3f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the evaluation-system document.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--students", type=int, default=2000, help="generated students")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-measure", action="store_true", help="skip the dropout AUC")
    args = parser.parse_args(argv)
    dropout = None
    if not args.no_measure:
        dropout = evaluate_dropout(generated_dropout_data(args.students, seed=args.seed), args.seed)
    args.path.write_text(evaluation_system_markdown(dropout), encoding="utf-8")
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
