"""Risks and the action plan together: an action names the risk it answers (R1, R2, … as on the map),
the risk shows its actions, the assessment file keeps the link, and a re-assessment compares the
two registers harm by harm."""

import csv
import io
import json

import pytest
from django.urls import reverse

from assessments import action_plan, changes, exchange, reassessment, seed
from assessments.access import rights_of
from assessments.answer_saving import assessment_create
from assessments.models import Assessment, PlannedAction, Risk
from tests.test_risks import add_risk, assessment, url, v3  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

DEMO_FILE = seed.FIXTURES / "demo" / "misato-demo.json"


def new_action(assessment, user, risk=None, title="委託契約書の写しを入手する"):
    return action_plan.action_create(assessment=assessment, user=user, rights=rights_of(user, assessment),
                                     values={"title": title}, risk=risk)


# --- Pure: the registers compared harm by harm -----------------------------------------------------


def side(harm_labels, *risks):
    return changes.Side(questions=(), section_titles={}, answers={}, sections={}, overall=changes.ScoreState(),
                        harm_labels=harm_labels, risks=tuple(risks))


HARMS = {"breach": "漏えい・不正アクセス", "profiling": "プロファイリングと決めつけ", "opacity": "透明性の欠如"}
HIGH, MEDIUM, LOW = (2, "高い"), (1, "中程度"), (0, "低い")


def test_a_harm_whose_highest_level_fell_shows_as_a_change():
    before = side(HARMS, changes.RiskShape(harms=("breach",), level=HIGH),
                  changes.RiskShape(harms=("breach", "profiling"), level=MEDIUM, residual=LOW))
    after = side(HARMS, changes.RiskShape(harms=("breach",), level=MEDIUM, residual=LOW))
    rows = {row.key: row for row in changes.compare(before, after).risks}
    assert list(rows) == ["breach", "profiling"]  # catalogue order; 透明性の欠如 is named by neither
    assert rows["breach"].before == changes.HarmState(count=2, highest="高い", highest_residual="低い")
    assert rows["breach"].after == changes.HarmState(count=1, highest="中程度", highest_residual="低い")
    assert rows["breach"].changed
    assert rows["profiling"].after == changes.HarmState() and rows["profiling"].changed


def test_the_same_harm_at_the_same_level_is_no_change():
    before = side(HARMS, changes.RiskShape(harms=("breach",), level=HIGH))
    after = side(HARMS, changes.RiskShape(harms=("breach",), level=HIGH))
    (row,) = changes.compare(before, after).risks
    assert not row.changed


def test_an_earlier_set_without_risks_has_no_such_harm():
    after = side(HARMS, changes.RiskShape(harms=("opacity",), level=LOW))
    (row,) = changes.compare(side({}), after).risks
    assert row.before is None and row.after.count == 1


# --- An action names its risk ------------------------------------------------------------------------


def test_an_action_planned_from_a_risk_is_shown_under_it_and_in_the_plan(bob_client, bob, assessment):
    add_risk(assessment, bob, title="最初のリスク")
    risk = add_risk(assessment, bob, title="こどもの記録が委託先に見られる")
    register = bob_client.get(url("risk_list", assessment)).content.decode()
    link = url("action_new", assessment) + f"?risk={risk.pk}"
    assert f'href="{link}"' in register

    form = bob_client.get(link).content.decode()
    assert f'<option value="{risk.pk}" selected>R2 こどもの記録が委託先に見られる</option>' in form
    assert 'id="from-risk"' in form and 'name="title" value=' not in form  # what to do is the user's to write

    response = bob_client.post(url("action_new", assessment), {
        "title": "アクセスできる職員の範囲を町に開示してもらう", "responsible": "department", "risk": str(risk.pk),
        "version": "0"})
    assert response.status_code == 302
    action = PlannedAction.objects.get(assessment=assessment)
    assert action.risk == risk

    register = bob_client.get(url("risk_list", assessment)).content.decode()
    section = register.split('id="risk-2"')[1].split("</section>")[0]
    assert "アクセスできる職員の範囲を町に開示してもらう" in section and "未着手" in section
    assert "アクセスできる職員の範囲" not in register.split('id="risk-1"')[1].split("</section>")[0]
    plan = bob_client.get(url("action_plan", assessment)).content.decode()
    assert "対応するリスク: R2 こどもの記録が委託先に見られる" in plan
    detail = bob_client.get(reverse("action_detail", args=[assessment.pk, action.pk])).content.decode()
    assert 'href="' + url("risk_list", assessment) + '#risk-2"' in detail


def test_a_risk_of_another_assessment_is_refused_beside_the_field(bob_client, bob, assessment, misato, v3):
    other = assessment_create(user=bob, project=misato, question_set=v3, title="別の評価", standpoint="resident")
    foreign = add_risk(other, bob, title="別の評価のリスク")
    add_risk(assessment, bob)
    response = bob_client.post(url("action_new", assessment), {
        "title": "対策を求める", "responsible": "department", "risk": str(foreign.pk), "version": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "対策を求める" in page  # the input back
    field = page.split('id="div_id_risk"')[1].split("</div>")[0:3]
    assert "正しく選択してください" in "".join(field) or "選択してください" in "".join(field)
    assert not PlannedAction.objects.exists()
    with pytest.raises(Exception) as refused:
        new_action(assessment, bob, risk=foreign)
    assert "この評価のリスクから選んでください" in str(refused.value)


def test_the_link_can_be_changed_or_removed_and_a_deleted_risk_leaves_the_action(bob_client, bob, assessment):
    first, second = add_risk(assessment, bob, title="リスクA"), add_risk(assessment, bob, title="リスクB")
    action = new_action(assessment, bob, risk=first)
    edit = reverse("action_edit", args=[assessment.pk, action.pk])
    base = {"title": action.title, "responsible": "department", "version": str(action.version)}
    assert bob_client.post(edit, {**base, "risk": str(second.pk)}).status_code == 302
    action.refresh_from_db()
    assert action.risk == second
    assert bob_client.post(edit, {**base, "version": str(action.version), "risk": ""}).status_code == 302
    action.refresh_from_db()
    assert action.risk is None

    action_plan.action_update(action=action, user=bob, rights=rights_of(bob, assessment), values=base,
                              base_version=action.version, risk=first.pk)
    Risk.objects.filter(pk=first.pk).delete()
    action.refresh_from_db()
    assert action.risk is None and action.title == "委託契約書の写しを入手する"


def test_the_plan_csv_names_the_risk(bob_client, bob, assessment):
    risk = add_risk(assessment, bob, title="こどもの記録が見られる")
    new_action(assessment, bob, risk=risk)
    response = bob_client.get(url("action_plan_csv", assessment))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "risk" and rows[1][-1] == "こどもの記録が見られる"


def demo_on_v3() -> dict:
    """The demo's file on v3 (the set these tests load): v4 has v3's questions and risk part."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    data["question_set"]["version"] = 3
    return data


def test_the_assessment_file_keeps_which_risk_each_action_answers(bob, misato, v3):
    data = demo_on_v3()
    imported = exchange.assessment_from_data(data, user=bob)
    linked = {a.title: a.risk.title if a.risk else None for a in imported.planned_actions.select_related("risk")}
    risks = [r["title"] for r in data["risks"]]
    for item in data["actions"]:
        expected = risks[item["risk"] - 1] if "risk" in item else None
        assert linked[item["title"]] == expected
    assert any(linked.values())
    again = exchange.assessment_to_data(imported)
    assert [a.get("risk") for a in again["actions"]] == [a.get("risk") for a in data["actions"]]


def test_a_file_naming_a_risk_it_lacks_is_refused(bob, misato, v3):
    data = demo_on_v3()
    data["actions"][0]["risk"] = len(data["risks"]) + 1
    with pytest.raises(exchange.AssessmentFileError) as refused:
        exchange.assessment_from_data(data, user=bob)
    assert "対応計画の1件目" in str(refused.value) and "リスクの番号" in str(refused.value)
    assert not Assessment.objects.filter(title=data["title"]).exists()


# --- A re-assessment compares the registers -----------------------------------------------------------


def test_the_comparison_shows_a_harm_whose_level_fell(bob_client, bob, assessment):
    add_risk(assessment, bob, title="漏えいのおそれ", severity=4, likelihood=3)  # 非常に高い
    Assessment.objects.filter(pk=assessment.pk).update(status="approved")
    new = reassessment.reassessment_start(user=bob, previous=assessment, title="再評価", standpoint="resident")
    assert new.question_set_id == assessment.question_set_id
    add_risk(new, bob, title="漏えいのおそれ（対策後）", severity=2, likelihood=1)  # 低い
    page = bob_client.get(url("reassessment_compare", new)).content.decode()
    table = page.split('id="risk-changes"')[1].split("</table>")[0]
    row = table.split("漏えい・不正アクセス")[1].split("</tr>")[0]
    assert "1件・最も高い水準 非常に高い" in row and "1件・最も高い水準 低い" in row and "あり" in row
    report = bob_client.get(reverse("report_preview", args=[new.pk])).content.decode()
    chapter = report.split('id="previous-changes"')[1]
    assert "リスク（住民にとっての害ごと）" in chapter and "最も高い水準 非常に高い" in chapter
