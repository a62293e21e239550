"""Education on the platform: knowledge tracing served, trained and drawn.

``education.kt.predict`` serves a tracer from a file (the shipped DKT, or one trained here by
the ``education.kt.train`` job); ``education.kt.mastery`` draws a student's curves for the
console's Mastery page. The shipped model's card (real ASSISTments 2015 data, its licence,
its test AUC) and the demo students' card are published in the catalog, so every figure
says what it was measured on.
"""

from __future__ import annotations

from yangcheng.cards import DatasetCard, ModelCard
from yangcheng.education import (
    service_graph,
    service_kt,
    service_kt_mastery,
    service_kt_models,
    service_kt_train,
    service_network,
    service_profiles,
    service_recommend,
    service_tutor,
)
from yangcheng.education.models.shipped import (
    DEMO_STUDENTS,
    demo_students,
    shipped_card,
    shipped_models,
)
from yangcheng.platform.catalog import Registry

__all__ = ["register"]


def register(registry: Registry) -> None:
    """Entry point `yangcheng.capabilities:education`."""
    for cap in (
        *service_graph.CAPABILITIES,
        *service_kt.CAPABILITIES,
        *service_kt_models.CAPABILITIES,
        *service_kt_train.CAPABILITIES,
        *service_kt_mastery.CAPABILITIES,
        *service_network.CAPABILITIES,
        *service_profiles.CAPABILITIES,
        *service_recommend.CAPABILITIES,
        *service_tutor.CAPABILITIES,
    ):
        registry.add_capability(cap)
    registry.on_configure(service_kt_models.configure)
    registry.on_configure(service_graph.configure)
    registry.add_dashboard(service_kt_mastery.DASHBOARD)
    registry.add_dashboard(service_profiles.DASHBOARD)
    registry.add_dashboard(service_recommend.DASHBOARD)
    registry.add_dashboard(service_network.DASHBOARD)
    registry.add_dashboard(service_graph.DASHBOARD)
    registry.add_dashboard(service_tutor.DASHBOARD)
    for name in shipped_models():
        registry.add_model(model_card(name))
    registry.add_dataset(demo_card())


def model_card(name: str) -> ModelCard:
    """A shipped tracer's card as the catalog publishes it."""
    card = shipped_card(name)
    return ModelCard(
        name=card["name"],
        version=str(card["version"]),
        task=card["task"],
        description=card["description"],
        licence=card["licence"],
        training_data=card["training_data"],
        metrics={k: float(v) for k, v in card["metrics"].items()},
        limitations=card["limitations"],
        artifact=f"yangcheng/education/models/artifacts/{card['artifact']}",
    )


def demo_card() -> DatasetCard:
    students = demo_students()
    return DatasetCard(
        name="assist2015-demo",
        version="1",
        description="A few ASSISTments 2015 test students (fold 1), shipped for the console's "
        "mastery curves: 40-150 responses on 3-8 skills each.",
        source="ASSISTments 2015 skill builder (Heffernan & Heffernan 2014), a15_test1.csv of "
        f"the AKT repository (github.com/arghosh/AKT); {DEMO_STUDENTS.name}",
        licence="ASSISTments terms: cite the dataset; AKT repo MIT",
        records=students.interactions,
        counts={
            "students": len(students),
            "interactions": students.interactions,
            "skills": students.n_skills,
        },
    )
