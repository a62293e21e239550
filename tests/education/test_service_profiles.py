"""Profiles on the platform: a student's and a teacher's indicators, the registry, the page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker
from yangcheng.education.demo_school import demo_school
from yangcheng.education.profiles import INDICATORS


def _invoke(client: TestClient, key: str, name: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/v1/capabilities/{name}:invoke", json=body, headers={"Authorization": f"Bearer {key}"}
    )


@pytest.fixture
def key(make_key: KeyMaker) -> str:
    return make_key("education")


def test_a_student_profile_carries_every_student_indicator_with_its_level(
    client: TestClient, key: str
) -> None:
    school = demo_school()
    student = sorted(school.dropout_risk, key=lambda s: -school.dropout_risk[s])[0]
    answer = _invoke(client, key, "education.profile.student", {"student_id": student}).json()
    wanted = {n for n, i in INDICATORS.items() if i.scope == "student"}
    assert set(answer["indicators"]) == wanted
    risk = answer["indicators"]["dropout_risk"]
    assert risk["value"] == pytest.approx(school.dropout_risk[student])
    assert risk["level"] == INDICATORS["dropout_risk"].level_of(risk["value"])
    assert set(answer["alerts"]) == {
        n for n, v in answer["indicators"].items() if v["level"] == "alert"
    }
    mastery = answer["skill_mastery"]
    assert answer["weakest_skills"][0] == min(mastery, key=lambda s: mastery[s])


def test_unknown_people_are_named(client: TestClient, key: str) -> None:
    missing = _invoke(client, key, "education.profile.student", {"student_id": "nobody"})
    assert missing.status_code == 422 and "nobody" in missing.text
    teacher = _invoke(client, key, "education.profile.teacher", {"teacher_id": "t99"})
    assert teacher.status_code == 422 and "t01" in teacher.text


def test_a_teacher_profile_and_its_courses(client: TestClient, key: str) -> None:
    answer = _invoke(client, key, "education.profile.teacher", {"teacher_id": "t01"}).json()
    wanted = {n for n, i in INDICATORS.items() if i.scope == "teacher"}
    assert set(answer["indicators"]) == wanted
    own = demo_school().assignments.courses
    assert set(answer["courses"]) == set(own["course_id"][own["teacher_id"] == "t01"])
    assert answer["indicators"]["courses"]["value"] == len(answer["courses"])


def test_the_registry_and_its_document(client: TestClient, key: str) -> None:
    answer = _invoke(client, key, "education.indicators", {"scope": "teacher"}).json()
    assert {i["scope"] for i in answer["indicators"]} == {"teacher"}
    for indicator in INDICATORS.values():
        assert indicator.title in answer["document_markdown"]


def test_the_profiles_page_ranks_students_by_risk(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("education")
    dash = _invoke(client, key, "education.profiles.overview", {}).json()["dashboard"]
    risks = [row[1] for row in dash["tables"][0]["rows"] if row[1] is not None]
    assert risks == sorted(risks, reverse=True) and risks
    (chart,) = dash["charts"]
    assert sum(y for _, y in chart["series"][0]["points"]) == len(demo_school().dropout_risk)
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/education-profiles")
    assert page.status_code == 200 and "Students most at risk" in page.text
