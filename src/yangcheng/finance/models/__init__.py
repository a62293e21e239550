"""Transaction risk models: card fraud and credit default, trained and served alike.

Features are defined once (:mod:`.features`, :mod:`.velocity`) for both training
tables and single serving requests; the estimators follow scikit-learn; default
models ship in ``artifacts/`` and load with :func:`load_shipped`.
"""

from yangcheng.finance.models.features import (
    CARD_FEATURES,
    LOAN_FEATURES,
    TAIWAN_FEATURES,
    card_feature_matrix,
    card_feature_row,
    loan_feature_matrix,
    loan_feature_row,
    taiwan_feature_matrix,
    taiwan_feature_row,
)
from yangcheng.finance.models.gbm import GBMRiskModel
from yangcheng.finance.models.logistic import LogisticScorecardModel
from yangcheng.finance.models.metrics import evaluate, pr_auc, recall_at_fpr, roc_auc
from yangcheng.finance.models.shipped import SHIPPED, RiskModel, load_shipped, shipped_card
from yangcheng.finance.models.velocity import (
    ENTITIES,
    VELOCITY_FEATURES,
    WINDOWS_S,
    offline_velocity,
)

__all__ = [
    "CARD_FEATURES",
    "ENTITIES",
    "LOAN_FEATURES",
    "SHIPPED",
    "TAIWAN_FEATURES",
    "VELOCITY_FEATURES",
    "WINDOWS_S",
    "GBMRiskModel",
    "LogisticScorecardModel",
    "RiskModel",
    "card_feature_matrix",
    "card_feature_row",
    "evaluate",
    "load_shipped",
    "loan_feature_matrix",
    "loan_feature_row",
    "offline_velocity",
    "pr_auc",
    "recall_at_fpr",
    "roc_auc",
    "shipped_card",
    "taiwan_feature_matrix",
    "taiwan_feature_row",
]
