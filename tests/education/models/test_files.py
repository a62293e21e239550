"""Model files: every tracer saved and loaded back predicts as before; nothing else loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.education.tracing.conftest import learning_data
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.models import (
    ModelFileError,
    load_tracer,
    model_path,
    read_card,
    save_tracer,
)
from yangcheng.education.models.tracers import TRACERS, make_tracer
from yangcheng.education.tracing import BKT, IRT, OnnxTracer


@pytest.fixture(scope="module")
def data() -> tuple[KTSequences, KTSequences]:
    both = learning_data(n_students=120, length=30, seed=3)
    return both.subset(range(90)), both.subset(range(90, 120))


@pytest.mark.parametrize("cls", [BKT, IRT])
def test_numpy_tracers_round_trip_through_npz(
    cls: type[BKT] | type[IRT], data: tuple[KTSequences, KTSequences], tmp_path: Path
) -> None:
    train, test = data
    model = cls().fit(train)
    path = save_tracer(model, tmp_path, "m1", {"name": "m1", "metrics": {"test_auc": 0.7}})
    assert path.name == "m1.npz" and model_path(tmp_path, "m1") == path
    loaded = load_tracer(path)
    assert type(loaded) is cls and loaded.get_params() == model.get_params()
    for a, b in zip(loaded.predict_proba(test), model.predict_proba(test), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.mastery(test[0]), model.mastery(test[0]))
    assert read_card(path)["metrics"] == {"test_auc": 0.7}


def test_a_neural_tracer_is_saved_as_onnx_and_served_without_torch_objects(
    data: tuple[KTSequences, KTSequences], tmp_path: Path
) -> None:
    train, test = data
    model = make_tracer(
        "DKT", max_epochs=2, seed=0, threads=1, embedding_size=8, hidden_size=8
    ).fit(train)
    path = save_tracer(model, tmp_path, "dkt", {"name": "dkt"})
    assert path.suffix == ".onnx"
    served = load_tracer(path)
    assert isinstance(served, OnnxTracer) and served.tracer == "DKT"
    for a, b in zip(served.predict_proba(test), model.predict_proba(test), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # the same name saved as another kind replaces it: a name means one model
    save_tracer(BKT().fit(train), tmp_path, "dkt", {"name": "dkt"})
    assert model_path(tmp_path, "dkt") == tmp_path / "dkt.npz"
    assert not (tmp_path / "dkt.onnx").exists()


def test_names_that_are_not_plain_file_stems_are_refused(tmp_path: Path) -> None:
    for bad in ("../escape", "a/b", ".hidden", "UPPER", ""):
        with pytest.raises(ModelFileError, match="model name"):
            model_path(tmp_path, bad)


def test_files_not_written_here_do_not_load(tmp_path: Path) -> None:
    objects = tmp_path / "objects.npz"
    np.savez(objects, __meta__=np.array([{"tracer": "BKT"}], dtype=object))
    with pytest.raises(ModelFileError, match="not a readable"):
        load_tracer(objects)  # an object array would need pickle: refused
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    with pytest.raises(ModelFileError, match="not written by save_tracer"):
        load_tracer(foreign)
    rogue = tmp_path / "rogue.npz"
    meta = {"format": 1, "tracer": "Path", "params": {}, "values": {}, "tuples": {}}
    np.savez(rogue, __meta__=np.array(json.dumps(meta)))
    with pytest.raises(ModelFileError, match="not a knowledge tracer"):
        load_tracer(rogue)
    (tmp_path / "junk.onnx").write_bytes(b"not a graph")
    with pytest.raises(ModelFileError):
        load_tracer(tmp_path / "junk.onnx")
    with pytest.raises(ModelFileError, match="card beside it"):
        read_card(tmp_path / "junk.onnx")


def test_tracers_are_made_by_name_with_the_options_they_take() -> None:
    assert {"BKT", "IRT", "DKT"} <= set(TRACERS)
    bkt = make_tracer("BKT", max_epochs=3, seed=1)  # BKT has neither: ignored
    assert isinstance(bkt, BKT)
    dkt = make_tracer("DKT", max_epochs=3, seed=1, threads=1)
    assert dkt.get_params()["max_epochs"] == 3 and dkt.get_params()["seed"] == 1
    with pytest.raises(KeyError, match="trainable"):
        make_tracer("GPT")
