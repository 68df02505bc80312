"""Across Saitama: the dashboard and the comparison."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import selectors
from assessments.demo import create_demo_assessment
from assessments.models import Assessment, Category, Municipality, Project

pytestmark = pytest.mark.django_db


def publish(assessment, owner):
    """Set up a published assessment (the review itself is tested in test_workflow and test_review_rules)."""
    from django.utils import timezone

    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.PUBLISHED, published_at=timezone.now())
    return Assessment.objects.get(pk=assessment.pk)


def test_the_dashboard_shows_the_seed_totals_and_every_municipality(client, catalogue, published_set):
    page = client.get(reverse("dashboard")).content.decode()
    totals = page.split('id="seed-totals"')[1].split("</p>")[0]
    assert "64行" in totals and "706,384千円" in totals and "710,539千円" in totals and "4,155千円" in totals
    table = page.split('id="municipality-table"')[1].split("</table>")[0]
    assert table.count('<th scope="row"') == 63
    tokorozawa = table.split("所沢市")[1].split("</tr>")[0]
    assert "—" in tokorozawa and "0千円" not in tokorozawa  # its only amount is unknown: never 0


def test_dashboard_numbers_agree_with_the_catalogue(catalogue, published_set, bob):
    data = selectors.dashboard(bob)
    assert sum(row.known_amount for row in data["by_municipality"]) == 706_384
    assert sum(row.unknown_amounts for row in data["by_municipality"]) == Project.objects.exclude(
        municipality=None).filter(amount_thousand_yen=None).count()
    assert len(data["by_municipality"]) == 63
    pairs = Project.objects.exclude(municipality=None).values_list("pk", "categories").exclude(categories=None).count()
    assert sum(sum(counts) for _m, counts in data["matrix"]) == pairs
    kakanai = next(row for row in data["by_category"] if row.key.key == "kakanai-madoguchi")
    assert kakanai.projects == Category.objects.get(key="kakanai-madoguchi").projects.count()


def test_levels_count_published_and_own_assessments_only(client, catalogue, published_set, bob, charlie):
    demo = create_demo_assessment(user=bob)
    private = create_demo_assessment(user=charlie)
    level = Assessment.objects.get(pk=demo.pk).overall_level
    assert level
    def kodomo(user):
        return next(r for r in selectors.dashboard(user)["by_category"] if r.key.key == "kodomo")

    assert kodomo(bob).levels == {level: 1}  # his own
    assert kodomo(charlie).levels == {level: 1}  # only his own, not bob's unpublished one
    publish(demo, bob)
    assert kodomo(charlie).levels == {level: 2}
    assert private.pk != demo.pk


def test_the_dashboard_uses_a_constant_number_of_queries(client, catalogue, published_set, bob):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(queries)

    before = count()
    saitama = Municipality.objects.get(name="さいたま市")
    for index in range(30):
        project = Project.objects.create(key=f"extra-{index}", title=f"追加{index}", municipality=saitama,
                                         amount_thousand_yen=index)
        project.categories.set(Category.objects.all()[:2])
    create_demo_assessment(user=bob)
    assert count() == before <= 16  # 16: one for the assessments due for review (見直し時期)


def test_compare_puts_like_projects_side_by_side(client, catalogue, published_set, bob):
    demo = publish(create_demo_assessment(user=bob), bob)
    kodomo = Category.objects.get(key="kodomo")
    page = client.get(reverse("compare"), {"category": kodomo.pk}).content.decode()
    table = page.split('id="comparison"')[1]
    assert "美里町 こどもデータ連携実証事業" in table and "川島町 こどもデータ連携実証事業" in table
    misato_row = table.split("美里町 こどもデータ連携実証事業")[1].split("</tr>")[0]
    assert demo.overall_level in misato_row
    assert f"{demo.result_summary['unknown']} / {demo.result_summary['not_disclosed']}" in misato_row
    kawajima_row = table.split("川島町 こどもデータ連携実証事業")[1].split("</tr>")[0]
    assert "評価はまだありません" in kawajima_row


def test_the_amount_chart_says_what_the_table_says(client, catalogue, published_set):
    page = client.get(reverse("dashboard")).content.decode()
    description = page.split('<desc id="chart-desc">')[1].split("</desc>")[0]
    table = page.split('id="municipality-table"')[1].split("</table>")[0]
    for row in re.findall(r'<tr><th scope="row"[^>]*><a [^>]*>([^<]+)</a></th><td[^>]*>(\d+)</td><td class="amount">([^<]+)</td>', table):
        name, projects, amount = row
        if int(projects):
            expected = "不明" if amount.strip() == "—" else amount.strip()
            assert f"{name} {expected}" in description, name
    assert "所沢市 不明" in description and "さいたま市 1,924千円" in description


def test_the_dashboard_says_which_columns_count_projects_and_which_count_assessments(client):
    """美里町 showed 「評価された事業 1」 beside 「深刻な懸念 2」 (one project, two assessments) with
    nothing to say why."""
    page = client.get(reverse("dashboard")).content.decode()
    note = page.split('id="level-counts-note"')[1].split("</p>")[0]
    assert "「評価された事業」は事業の数、レベルの列は評価の数です" in note
