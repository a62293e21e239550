"""The default models that ship inside the package, so that scoring works offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from yangcheng.finance.models.gbm import GBMRiskModel
from yangcheng.finance.models.logistic import LogisticScorecardModel

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
SHIPPED = ("card_fraud_gbm", "credit_default_gbm", "credit_scorecard", "loan_default_gbm")
RiskModel = GBMRiskModel | LogisticScorecardModel
_CLASSES: dict[str, type[GBMRiskModel] | type[LogisticScorecardModel]] = {
    "GBMRiskModel": GBMRiskModel,
    "LogisticScorecardModel": LogisticScorecardModel,
}


def _directory(name: str) -> Path:
    if name not in SHIPPED:
        raise KeyError(f"no shipped model {name!r}; shipped: {', '.join(SHIPPED)}")
    return ARTIFACTS_DIR / name


def load_shipped(name: str) -> RiskModel:
    """A shipped model by name (see :data:`SHIPPED`), loaded from its artifact directory."""
    directory = _directory(name)
    kind = json.loads((directory / "model.json").read_text(encoding="utf-8"))["kind"]
    return _CLASSES[kind].load(directory)


def shipped_card(name: str) -> dict[str, Any]:
    """The model card (``card.json``) of a shipped model."""
    card: dict[str, Any] = json.loads((_directory(name) / "card.json").read_text(encoding="utf-8"))
    return card
