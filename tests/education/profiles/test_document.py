"""The evaluation-system document in docs/ is the one the registry generates today."""

from __future__ import annotations

from pathlib import Path

from yangcheng.education.profiles import evaluation_system_markdown

DOCUMENT = Path(__file__).parents[3] / "docs" / "education" / "evaluation-system.md"
MODEL = "## Dropout prediction model"


def test_the_published_document_matches_the_registry() -> None:
    published = DOCUMENT.read_text(encoding="utf-8")
    generated = evaluation_system_markdown()
    # the indicator part must match exactly; the model part carries measured AUCs
    assert published.split(MODEL)[0] == generated.split(MODEL)[0], (
        "regenerate: python -m yangcheng.education.profiles docs/education/evaluation-system.md"
    )
    assert "| logistic |" in published.split(MODEL)[1]
