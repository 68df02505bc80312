"""The report's cache (issue 14, "stale reports"): whatever the report prints, changed through the
admin or the app, gives a new PDF that shows the change; an unchanged report is served from cache."""

import pytest
from django.test import Client
from django.urls import reverse

from assessments import reviewing
from assessments.models import Assessment
from assessments.reports import render
from tests.forms_helper import admin_add_reviewer, read_form
from tests.test_workflow import move
from tests.test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(cast):
    owner, staff = Client(), Client()
    owner.force_login(cast["owner"])
    staff.force_login(cast["staff"])
    return owner, staff


def report_text(client, assessment) -> str:
    response = client.get(reverse("report_pdf", args=[assessment.pk]))
    assert response.status_code == 200
    return squash("".join(pdf_text(response.content)))


def admin_change(staff, model: str, pk: int, form_id: str, **changes):
    url = reverse(f"admin:assessments_{model}_change", args=[pk])
    data = {**read_form(staff.get(url).content.decode(), form_id), **changes}
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_the_same_report_is_served_from_the_cache_without_rendering(cast, clients, monkeypatch):
    owner, _staff = clients
    first = owner.get(reverse("report_pdf", args=[cast["assessment"].pk])).content
    monkeypatch.setattr(render, "html_to_pdf", lambda html: pytest.fail("rendered again"))
    assert owner.get(reverse("report_pdf", args=[cast["assessment"].pk])).content == first


def test_what_the_admin_changes_is_in_the_next_report(cast, clients):
    owner, staff = clients
    assessment = cast["assessment"]
    report_text(owner, assessment)
    project = assessment.project
    admin_change(staff, "project", project.pk, "project_form", title="こどもデータ連携実証事業（改題）")
    assert squash("こどもデータ連携実証事業（改題）") in report_text(owner, assessment)
    admin_change(staff, "municipality", project.municipality.pk, "municipality_form", name="美里町（表記変更）")
    assert squash("美里町（表記変更）") in report_text(owner, assessment)
    # A reviewer seat added in the admin (the assessment's page, its reviewers inline).
    response = admin_add_reviewer(staff, assessment, cast["outsider"])
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "専門家1名" in report_text(owner, assessment)


def test_what_the_app_changes_is_in_the_next_report(cast, clients):
    owner, _staff = clients
    assessment = cast["assessment"]
    report_text(owner, assessment)
    reviewing.opinion_save(assessment=assessment, user=cast["reviewer"], section=None, verdict="conditional",
                           text="契約書の開示を条件に妥当とする")
    assert "契約書の開示を条件に妥当とする" in report_text(owner, assessment)
    reviewing.resident_views_save(assessment=assessment, user=cast["editor"], sought="no", methods=[], summary="", response="",
                                  reason_not_sought="町は実証事業のため不要と説明した")
    assert "町は実証事業のため不要と説明した" in report_text(owner, assessment)
    move(cast, "editor", "submit")
    assert squash("作成中→提出済み") in report_text(owner, assessment)
