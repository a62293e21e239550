from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data.logs import LogError
from yangcheng.education.profiles import (
    DropoutDataError,
    DropoutModel,
    evaluate_dropout,
    from_log,
    generate_engagement_log,
    generated_dropout_data,
)


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return generated_dropout_data(900, seed=3)


def test_generator_is_deterministic_and_seeded() -> None:
    a, ta = generate_engagement_log(60, 6, seed=1)
    b, tb = generate_engagement_log(60, 6, seed=1)
    c, _ = generate_engagement_log(60, 6, seed=2)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(ta, tb)
    assert not a.equals(c)


def test_dropouts_stop_and_stayers_continue() -> None:
    log, truth = generate_engagement_log(200, 6, seed=0)
    last_week = log.groupby("student_id")["timestamp"].max()
    start = log["timestamp"].min() // 86400 * 86400
    for row in truth.itertuples():
        if row.dropout_week >= 0 and row.student_id in last_week:
            assert (last_week[row.student_id] - start) / (7 * 86400) < row.dropout_week + 1
    assert 0 < (truth["dropout_week"] >= 0).mean() < 1


def test_model_beats_chance(data) -> None:  # type: ignore[no-untyped-def]
    assert data.labels is not None and 0.1 < data.labels.mean() < 0.9
    result = evaluate_dropout(data, seed=0, n_bootstrap=100)
    for score in result.scores.values():
        assert score.auc > 0.6
        assert score.auc_low <= score.auc <= score.auc_high


def test_features_use_only_the_observed_weeks(data) -> None:  # type: ignore[no-untyped-def]
    assert data.observe_weeks == 4
    assert (data.features["days_since_last"] >= 0).all()
    assert (data.features["days_since_last"] <= 7).all()  # everyone is active in week 3
    assert data.features["bkt_mastery"].between(0, 1).all()


def test_model_predicts_probabilities(data) -> None:  # type: ignore[no-untyped-def]
    model = DropoutModel("logistic").fit(data.features, data.labels)
    p = model.predict_proba(data.features)
    assert p.shape == (len(data.features), 2)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    with pytest.raises(DropoutDataError, match="bkt_mastery"):
        model.predict_proba(data.features.drop(columns="bkt_mastery"))


def test_from_log_errors_name_the_problem() -> None:
    log, _ = generate_engagement_log(30, 3, seed=0)
    no_time = log.assign(timestamp=np.nan)
    with pytest.raises(LogError, match="timestamp"):
        from_log(no_time)
    with pytest.raises(DropoutDataError, match="observe_weeks"):
        from_log(log, observe_weeks=0)
    short = from_log(log, observe_weeks=1, label_weeks=(2, 6))
    assert short.labels is None  # the log ends before the label window does
    with pytest.raises(DropoutDataError, match="no labels"):
        evaluate_dropout(short)
